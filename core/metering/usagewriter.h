#pragma once

#include "core/domain/domain.h"
#include "core/domain/result.h"
#include "core/metering/journal.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace tollgate {

class Service;

// Writes usage records to the database on its own thread with group commit: every record queued while one
// transaction commits goes into the next one.
//
// With a journal (the gateway always has one when the database is a file or a server), a record is durable as soon as
// submit() has appended it there: `done` runs at once, on the calling thread, and the database catches up in batches;
// a record the database refuses for a while (a server restarting) stays queued and journalled until it takes it.
// Without a journal, `done` runs on the writer thread once the record is committed, so the gateway can hold back the
// last byte of a response until then.
class UsageWriter final
{
public:
    using Done = std::function<void(const Status&)>;

    explicit UsageWriter(Service& service, std::unique_ptr<UsageJournal> journal = {});
    // Writes everything queued (as far as the database takes it; the rest stays in the journal), then stops.
    ~UsageWriter();
    Q_DISABLE_COPY_MOVE(UsageWriter)

    void submit(UsageRecord record, Done done = {});
    // Blocks until every record submitted before the call is in the database (or could not be written).
    void flush();

    bool journalled() const { return m_journal != nullptr; }
    qint64 queueDepth() const;
    qint64 written() const;
    qint64 failures() const;

private:
    struct Item
    {
        UsageRecord record;
        Done done;
        qint64 journalEnd = 0; // the journal's size after this record
    };
    void run();
    // Writes a batch; false when the database took none of it (it is down: try again later).
    bool write(std::deque<Item>& batch);

    Service& m_service;
    std::unique_ptr<UsageJournal> m_journal;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_progress;
    std::deque<Item> m_queue;
    qint64 m_journalEnd = 0;
    qint64 m_submitted = 0;
    qint64 m_finished = 0; // written or given up on
    bool m_stop = false;
    int m_flushing = 0; // threads in flush(): the writer does not wait for a batch to gather
    bool m_stalled = false; // the database refuses the records (they stay journalled), or the writer has stopped
    qint64 m_written = 0;
    qint64 m_failures = 0;
    std::thread m_thread;
};

} // namespace tollgate
