#include "core/metering/usagewriter.h"

#include "core/service/service.h"

#include <QLoggingCategory>

namespace tollgate {

Q_LOGGING_CATEGORY(lcMetering, "tollgate.core.metering")

namespace {
constexpr qint64 kJournalResetBytes = 16 * 1024 * 1024;
constexpr auto kGatherTime = std::chrono::milliseconds(10);
constexpr qsizetype kGatherRecords = 2'000;
} // namespace

UsageWriter::UsageWriter(Service& service, std::unique_ptr<UsageJournal> journal)
    : m_service(service)
    , m_journal(std::move(journal))
    , m_journalEnd(m_journal ? m_journal->size() : 0)
    , m_thread([this] { run(); })
{
    m_service.usage().addUsageBarrier(this, [this] { flush(); });
}

UsageWriter::~UsageWriter()
{
    m_service.usage().removeUsageBarrier(this);
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void UsageWriter::submit(UsageRecord record, Done done)
{
    Status journalled;
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_journal) {
            // Appended and queued under one lock: the queue is in journal order.
            auto end = m_journal->append(record);
            if (end.ok())
                m_journalEnd = *end;
            else
                journalled = end.error(); // not durable: the caller refuses the response; the database still gets it
        }
        m_queue.push_back({std::move(record), m_journal ? Done {} : std::move(done), m_journalEnd});
        ++m_submitted;
        // The writer waits for a first record, then for a batch to gather: a wake-up for every record would cost
        // more than the record.
        wake = m_queue.size() == 1 || qsizetype(m_queue.size()) == kGatherRecords;
    }
    if (wake)
        m_wake.notify_one();
    if (m_journal && done)
        done(journalled);
}

void UsageWriter::flush()
{
    std::unique_lock lock(m_mutex);
    const qint64 target = m_submitted;
    ++m_flushing;
    m_wake.notify_all();
    m_progress.wait(lock, [&] { return m_finished >= target || m_stalled; });
    --m_flushing;
}

qint64 UsageWriter::queueDepth() const
{
    std::lock_guard lock(m_mutex);
    return m_submitted - m_finished;
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
    std::deque<Item> batch;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
            if (m_journal)
                // Nobody waits for the database (the records are durable already): let a batch gather, so one
                // transaction carries many records (a commit costs about as much as a hundred inserts).
                m_wake.wait_for(lock, kGatherTime, [this] {
                    return m_stop || m_flushing > 0 || qsizetype(m_queue.size()) >= kGatherRecords;
                });
            if (m_queue.empty())
                break; // stopping, and everything is written
            batch.swap(m_queue);
        }
        if (write(batch)) {
            batch.clear();
            continue;
        }
        // The database took none of it (a server restarting, a full disk): the records stay journalled and queued, in
        // order, and are tried again; flush() stops waiting for them meanwhile.
        std::unique_lock lock(m_mutex);
        m_stalled = true;
        m_progress.notify_all();
        if (m_stop) {
            qCCritical(lcMetering) << m_submitted - m_finished << "usage records are left in the journal"
                                   << m_journal->path() << "for the next start: the database refuses them";
            break;
        }
        m_wake.wait_for(lock, std::chrono::seconds(1), [this] { return m_stop; });
        for (auto it = batch.rbegin(); it != batch.rend(); ++it)
            m_queue.push_front(std::move(*it));
        batch.clear();
    }
    m_service.database().closeThreadConnection();
    std::lock_guard lock(m_mutex);
    m_stalled = true; // nothing more will be written
    m_progress.notify_all();
}

bool UsageWriter::write(std::deque<Item>& batch)
{
    const Id orgId = m_service.directory().organization().id;
    QList<UsageRecord> records;
    records.reserve(qsizetype(batch.size()));
    for (Item& item : batch) {
        if (!item.record.orgId)
            item.record.orgId = orgId;
        records.append(item.record);
    }
    const auto markAt = [this](qint64 end) {
        return m_journal ? std::optional<JournalMark>({m_journal->name(), end}) : std::nullopt;
    };
    const std::optional<JournalMark> mark = markAt(batch.back().journalEnd);
    Status s = m_service.usage().recordUsage(records, mark ? &*mark : nullptr);
    for (int attempt = 1; !s.ok() && attempt < 3; ++attempt) { // a busy or briefly unreachable database
        qCWarning(lcMetering) << "usage write failed, retrying:" << s.error().toString();
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
        s = m_service.usage().recordUsage(records, mark ? &*mark : nullptr);
    }
    qint64 written = 0;
    if (s.ok()) {
        written = qint64(batch.size());
        for (Item& item : batch)
            if (item.done)
                item.done(s);
    } else {
        // One bad record must not take the others down with it: write them one by one.
        for (size_t i = 0; i < batch.size(); ++i) {
            const std::optional<JournalMark> own = markAt(batch[i].journalEnd);
            const Status one = m_service.usage().recordUsage({records[qsizetype(i)]}, own ? &*own : nullptr);
            if (one.ok())
                ++written;
            else
                qCCritical(lcMetering) << "a usage record could not be written:" << one.error().toString();
            if (batch[i].done)
                batch[i].done(one);
        }
        if (m_journal && written == 0)
            return false; // the database is refusing everything: keep them all for later
    }
    std::lock_guard lock(m_mutex);
    m_stalled = false;
    m_written += written;
    m_failures += qint64(batch.size()) - written;
    m_finished += qint64(batch.size());
    m_progress.notify_all();
    if (m_journal && m_queue.empty() && m_journal->size() > kJournalResetBytes) {
        // Everything is in the database and no append can come in while the lock is held: start the file over.
        if (Status r = m_journal->reset(m_service); !r.ok())
            qCWarning(lcMetering) << "the usage journal could not be emptied:" << r.error().toString();
    }
    return true;
}

} // namespace tollgate
