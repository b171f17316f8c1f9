#pragma once

#include "core/usage/rollupread.h"
#include "core/usage/usagetypes.h"

#include <QCoreApplication>
#include <QHash>

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace tollgate {

class Clock;
class Database;
class OrgState;

// A usage journal's name and a byte offset in it.
struct JournalMark
{
    QString name;
    qint64 offset = 0;
};

// What was used: the usage records (written with their daily, weekly and monthly rollups in one transaction), how
// far each usage journal is applied, and every read of them: the request log, reports, month-to-date spend, daily
// active users. Reads first wait for the running usage writers (addUsageBarrier), so they include every request
// answered before they were asked for.
class Usage final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Usage)

public:
    Usage(Database& db, const Clock& clock, const OrgState& org);
    Q_DISABLE_COPY_MOVE(Usage)

    // Writes usage records in one transaction (durable when this returns). With a mark, also records in the same
    // transaction that the journal `mark.name` is applied up to `mark.offset` (core/metering/journal.h).
    Status recordUsage(const QList<UsageRecord>& records, const JournalMark* mark = nullptr);
    // How far a usage journal is applied; nothing when the database has never seen it.
    Result<std::optional<qint64>> journalApplied(const QString& name) const;
    Status setJournalApplied(const JournalMark& mark);
    Status forgetJournal(const QString& name);

    qint64 usageRecordCount() const;
    // Spend this calendar month (organisation time zone) by user, group, key, project or customer id, from the
    // rollups; group spend includes the group's subgroups.
    Result<QHash<Id, Money>> monthToDateSpend(UsageDimension by) const;
    // Distinct users with at least one admitted request, per local day in [from, to) (both at local midnight).
    Result<QList<std::pair<Instant, qint64>>> dailyActiveUsers(Instant from, Instant to) const;
    // The request log, newest first.
    Result<QList<UsageRecord>> usageLog(const UsageLogFilter& filter) const;
    // Totals or series over usage records (over the daily rollups when the range starts and ends at local
    // midnight); refuses a range with more than kMaxUsageBuckets buckets.
    Result<UsageReport> usageReport(const UsageQuery& query) const;

    // Recomputes the rollups from the usage records (after the organisation's time zone changed).
    Status rebuildRollups();
    // Rebuilds them when they were made in another time zone than the organisation's.
    Status ensureRollups();

    // Counted up after usage is written, so a console can tell that what it shows is out of date without being
    // called from the writer's thread.
    quint64 usageRevision() const { return m_usageRevision.load(std::memory_order_acquire); }
    // Runs `charge` in every transaction that writes usage records and `charged` after it committed: how the shared
    // limit counters learn what the records cost (Enforcement::charge).
    using Charge = std::function<Status(QSqlDatabase&, const QList<UsageRecord>&)>;
    using Charged = std::function<void(const QList<UsageRecord>&)>;
    void setCharges(Charge charge, Charged charged)
    {
        m_charge = std::move(charge);
        m_charged = std::move(charged);
    }
    // Each running usage writer registers its flush(); reads wait for every one.
    void addUsageBarrier(const void* owner, std::function<void()> barrier);
    void removeUsageBarrier(const void* owner);

private:
    QTimeZone rollupZone() const;
    QList<Id> groupsOfUser(Id userId) const;
    Status fillRecordGroups(QSqlDatabase& tx); // records written before their groups were recorded
    void awaitRecordedUsage() const;
    // The sums a top N is chosen from (requests and cost per key over [from, to)), read once for every caller that
    // asks while it is being read: the dashboard's charts and lists rank users over the same range side by side.
    using SharedSums = Result<std::shared_ptr<const RollupSums>>;
    SharedSums rankingSums(UsageDimension dimension, Instant from, Instant to) const;
    struct RankingKey
    {
        UsageDimension dimension;
        Instant from;
        Instant to;
        friend bool operator==(const RankingKey&, const RankingKey&) = default;
        friend size_t qHash(const RankingKey& k, size_t seed = 0)
        {
            return qHashMulti(seed, int(k.dimension), k.from, k.to);
        }
    };

    Database& m_db;
    const Clock& m_clock;
    const OrgState& m_org;
    mutable std::mutex m_rankingLock;
    mutable QHash<RankingKey, std::shared_future<SharedSums>> m_rankings; // being read
    mutable std::shared_mutex m_barrierLock;
    std::vector<std::pair<const void*, std::function<void()>>> m_usageBarriers;
    std::atomic<quint64> m_usageRevision {0};
    Charge m_charge;
    Charged m_charged;
};

} // namespace tollgate
