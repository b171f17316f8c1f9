#include "metering/usagewriter.h"

#include "service/service.h"

#include <QLoggingCategory>

namespace tollgate {

Q_LOGGING_CATEGORY(lcMetering, "tollgate.metering")

UsageWriter::UsageWriter(Service& service)
    : m_service(service)
    , m_thread([this] { run(); })
{
}

UsageWriter::~UsageWriter()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void UsageWriter::submit(UsageRecord record, Done done)
{
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back({std::move(record), std::move(done)});
    }
    m_wake.notify_one();
}

void UsageWriter::flush()
{
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [this] { return m_queue.empty() && !m_busy; });
}

qint64 UsageWriter::queueDepth() const
{
    std::lock_guard lock(m_mutex);
    return qint64(m_queue.size());
}

qint64 UsageWriter::written() const
{
    std::lock_guard lock(m_mutex);
    return m_written;
}

qint64 UsageWriter::failures() const
{
    std::lock_guard lock(m_mutex);
    return m_failures;
}

void UsageWriter::run()
{
    const Id orgId = m_service.organization().id;
    std::deque<Item> batch;
    QList<UsageRecord> records;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_busy = false;
            if (m_queue.empty())
                m_idle.notify_all();
            m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
            if (m_queue.empty() && m_stop)
                break;
            batch.swap(m_queue);
            m_busy = true;
        }
        records.clear();
        records.reserve(qsizetype(batch.size()));
        for (Item& item : batch) {
            if (!item.record.orgId)
                item.record.orgId = orgId;
            records.append(item.record);
        }
        Status s = m_service.recordUsage(records);
        for (int attempt = 1; !s.ok() && attempt < 3; ++attempt) { // a busy or briefly unreachable database
            qCWarning(lcMetering) << "usage write failed, retrying:" << s.error().toString();
            std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
            s = m_service.recordUsage(records);
        }
        if (s.ok()) {
            {
                std::lock_guard lock(m_mutex);
                m_written += qint64(batch.size());
            }
            for (Item& item : batch) {
                if (item.done)
                    item.done(s);
            }
        } else {
            // One bad record must not take the others down with it: write them one by one.
            for (qsizetype i = 0; i < records.size(); ++i) {
                const Status one = m_service.recordUsage({records[i]});
                if (!one.ok())
                    qCCritical(lcMetering) << "a usage record could not be written:" << one.error().toString();
                {
                    std::lock_guard lock(m_mutex);
                    (one.ok() ? m_written : m_failures) += 1;
                }
                if (batch[size_t(i)].done)
                    batch[size_t(i)].done(one);
            }
        }
        batch.clear();
    }
    m_service.database().closeThreadConnection();
    std::lock_guard lock(m_mutex);
    m_busy = false;
    m_idle.notify_all();
}

} // namespace tollgate
