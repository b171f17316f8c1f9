#pragma once

#include "domain/domain.h"
#include "domain/result.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace tollgate {

class Service;

// Writes usage records on its own thread with group commit: every record queued while one transaction commits goes
// into the next one. The callback runs on the writer thread once the record is durable (or could not be written),
// so the gateway can hold back the last byte of a response until then.
class UsageWriter final
{
public:
    using Done = std::function<void(const Status&)>;

    explicit UsageWriter(Service& service);
    // Writes everything queued, then stops.
    ~UsageWriter();
    Q_DISABLE_COPY_MOVE(UsageWriter)

    void submit(UsageRecord record, Done done = {});
    // Blocks until every record submitted before the call is durable.
    void flush();

    qint64 queueDepth() const;
    qint64 written() const;
    qint64 failures() const;

private:
    struct Item
    {
        UsageRecord record;
        Done done;
    };
    void run();

    Service& m_service;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<Item> m_queue;
    bool m_busy = false;
    bool m_stop = false;
    qint64 m_written = 0;
    qint64 m_failures = 0;
    std::thread m_thread;
};

} // namespace tollgate
