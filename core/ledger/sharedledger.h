#pragma once

#include "core/ledger/ledger.h"

#include <QSqlDatabase>

#include <condition_variable>
#include <thread>

namespace tollgate {

class Database;

// The ledger of every instance on one PostgreSQL database (docs/design.md "Several instances"). The counters are
// rows of limit_counters (scope, metric, window: used and reserved); a reservation is a conditional update in one
// transaction over all the counters of a request, taken in key order, so no interleaving of any number of
// instances spends past a limit.
//
// Far from a limit an instance leases a slice of a counter's headroom (its row in limit_leases, counted in
// reserved) and admits against it in memory; the slice is a sixteenth of the headroom left, so slices shrink as the
// headroom does, and once less than 64 requests' worth is left no slice is taken: every reservation is a database
// round trip, and what a settled request did not use goes back at once. Leases also go back when unused for a
// quarter of a second and on shutdown.
//
// What a request really cost moves from its instance's lease to `used` in the transaction that writes its usage
// record (charge()), so the counters agree with the records whatever happens to the instance. An instance renews
// its row in limit_instances every two seconds; when one stops (killed, or cut off from the database) for longer
// than its lease time (TOLLGATE_LEASE_SECONDS, 15 by default), the others delete its leases: the reservations of
// its calls in flight stay charged until then, and the records it journalled count once the journal is replayed.
class SharedLedger final : public Ledger
{
public:
    SharedLedger(const Database& db, const Clock& clock, Loader loader);
    // Returns every lease.
    ~SharedLedger() override;

    Decision admit(QList<LimitCheck> checks, const AdmissionAmounts& amounts) override;
    Decision explain(QList<LimitCheck> checks, const AdmissionAmounts& amounts) override;
    void settle(Reservation& reservation, Money actualCost, qint64 actualTokens, quint64 ticket = 0) override;
    int prune() override;
    qint64 counterCount() const override;
    std::optional<Counter> peek(const CounterKey& key) const override;

    // In the transaction that writes usage records: adds them to the counters (a request this instance settled
    // moves from its lease to used; any other record, a replayed journal's, adds to used).
    Status charge(QSqlDatabase& tx, const QList<UsageRecord>& records);
    // After that transaction committed.
    void charged(const QList<UsageRecord>& records);

private:
    struct Shared : Counter
    {
        CounterKey key;
        qint64 granted = 0; // this instance's lease: in the row's reserved
        qint64 inflight = 0; // held by requests in flight
        qint64 spent = 0; // settled, until the usage record is written
        bool rowKnown = false;
        bool tight = false; // too close to the limit for a slice: leftovers go back at once
        qint64 limitSeen = -1; // the limit when this instance last asked the database
        Instant lastUse = 0;
        qint64 free() const { return granted - inflight - spent; }
    };
    enum class Trip { Admitted, Again, Failed, Refused };

    std::vector<Shared*> entries(const QList<LimitCheck>& checks);
    static qint64 need(Metric metric, Money cost, qint64 tokens);
    // Takes every counter's need from this instance's leases, all or nothing; with m_mutex held.
    bool takeLocal(const std::vector<Shared*>& counters, const QList<LimitCheck>& checks, Money cost, qint64 tokens,
                   Decision& d);
    // One admission transaction; `attempt` counts the ones that failed before (Failed: try again).
    Trip trip(QList<LimitCheck>& checks, const AdmissionAmounts& amounts, Decision& d, int attempt);
    void maintain();
    void returnFree(bool everything);
    void heartbeat();
    void reclaimExpired();
    void releaseAll();
    // Deletes an instance's leases and takes them out of the counters' reserved; returns how many there were.
    Result<int> dropLeases(QSqlDatabase& tx, const QString& instance);

    const Database& m_db;
    const Clock& m_clock;
    Loader m_loader;
    QString m_instance;
    qint64 m_leaseMs = 15'000;

    mutable std::mutex m_mutex; // the counters and the pending charges
    std::unordered_map<CounterKey, Shared, CounterKeyHash> m_counters;
    // UsageRecord::ledgerTicket -> what that record charges
    std::unordered_map<quint64, std::vector<std::pair<Shared*, qint64>>> m_pending;
    std::vector<std::pair<Shared*, qint64>> m_charging; // of the transaction in progress
    bool m_returnSoon = false;

    std::mutex m_tripMutex; // one admission transaction at a time per instance: they queue instead of racing

    std::condition_variable m_wake;
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace tollgate
