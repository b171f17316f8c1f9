// The shared ledger's leases over time: unused ones go back, the instance renews its registration, and the leases of
// an instance that stopped renewing are taken back.

#include "core/ledger/countersql.h"
#include "core/ledger/sharedledger.h"
#include "core/storage/database.h"

#include <algorithm>

namespace tollgate {

using namespace countersql;

namespace {
constexpr qint64 kIdleMs = 250; // a lease unused for this long goes back
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr int kHeartbeatTicks = 20; // two seconds
} // namespace

void SharedLedger::maintain()
{
    int ticks = 0;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(lock, kTick, [this] { return m_stop || m_returnSoon; });
            if (m_stop)
                break;
            m_returnSoon = false;
        }
        returnFree(false);
        if (++ticks % kHeartbeatTicks == 0) {
            heartbeat();
            reclaimExpired();
            prune();
        }
    }
    releaseAll();
    m_db.closeThreadConnection();
}

void SharedLedger::returnFree(bool everything)
{
    // Taken from the leases here first, so no admission uses what is on its way back.
    std::map<CounterKey, std::pair<Shared*, qint64>, KeyOrder> back;
    const Instant now = m_clock.now();
    {
        std::lock_guard lock(m_mutex);
        for (auto& [key, c] : m_counters) {
            const qint64 f = c.free();
            if (f <= 0)
                continue;
            if (everything || c.tight || now - c.lastUse >= kIdleMs || now >= c.windowEnd) {
                c.granted -= f;
                back[key] = {&c, f};
            }
        }
    }
    if (back.empty())
        return;
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        std::vector<std::pair<CounterKey, qint64>> amounts;
        for (const auto& [key, slot] : back)
            amounts.emplace_back(key, slot.second);
        auto held = takeFromLeases(tx, m_instance, amounts);
        if (!held.ok())
            return held.error();
        std::vector<std::tuple<CounterKey, qint64, qint64>> adds;
        for (const CounterKey& key : *held)
            adds.emplace_back(key, 0, -back[key].second);
        return addToCounters(tx, adds);
    });
    std::lock_guard lock(m_mutex);
    for (auto& [key, slot] : back) {
        if (s.ok())
            slot.first->reserved -= slot.second;
        else
            slot.first->granted += slot.second; // still leased: try again later
    }
    if (!s.ok())
        qCWarning(lcShared).noquote() << "cannot return unused leases:" << s.error().message;
}

void SharedLedger::heartbeat()
{
    auto r = runSql(m_db.connection(),
                    QStringLiteral("UPDATE limit_instances SET expires_at = %1 + ? WHERE instance = ?").arg(kNow),
                    {m_leaseMs, m_instance});
    if (!r.ok()) {
        qCWarning(lcShared).noquote() << "cannot renew this instance's leases:" << r.error().message;
        return;
    }
    if (r->numRowsAffected() > 0)
        return;
    // Cut off for longer than the lease time: the others took the leases back. Register again and hold what the
    // requests in flight and the unwritten records still need.
    qCCritical(lcShared).noquote() << "this instance's leases expired (it could not reach the database for"
                                   << m_leaseMs / 1000 << "s); holding its requests in flight again";
    std::vector<std::pair<CounterKey, qint64>> hold;
    {
        std::lock_guard lock(m_mutex);
        for (auto& [key, c] : m_counters) {
            c.granted = c.inflight + c.spent;
            if (c.granted > 0)
                hold.emplace_back(key, c.granted);
        }
    }
    std::sort(hold.begin(), hold.end(), [](const auto& a, const auto& b) { return keyLess(a.first, b.first); });
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        auto i = runSql(
            tx, QStringLiteral("INSERT INTO limit_instances (instance, expires_at) VALUES (?, %1 + ?)").arg(kNow),
            {m_instance, m_leaseMs});
        if (!i.ok())
            return i.error();
        for (const auto& [key, amount] : hold) {
            auto u = runSql(tx, QStringLiteral("UPDATE limit_counters SET reserved = reserved + ? WHERE %1").arg(kKey),
                            QVariantList {amount} + keyArgs(key));
            if (!u.ok())
                return u.error();
            auto l = runSql(tx,
                            QStringLiteral("INSERT INTO limit_leases (instance, scope, scope_id, metric, window_kind,"
                                           " window_start, amount) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                            QVariantList {m_instance} + keyArgs(key) + QVariantList {amount});
            if (!l.ok())
                return l.error();
        }
        return {};
    });
    if (!s.ok())
        qCWarning(lcShared).noquote() << "cannot register this instance again:" << s.error().message;
}

void SharedLedger::reclaimExpired()
{
    auto gone = runSql(m_db.connection(),
                       QStringLiteral("SELECT instance FROM limit_instances WHERE expires_at < %1").arg(kNow));
    if (!gone.ok())
        return;
    QStringList instances;
    while (gone->next())
        instances << gone->value(0).toString();
    for (const QString& instance : std::as_const(instances)) {
        int leases = 0;
        Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
            if (auto dropped = dropLeases(tx, instance); !dropped.ok())
                return dropped.error();
            else
                leases = *dropped;
            auto i = runSql(
                tx, QStringLiteral("DELETE FROM limit_instances WHERE instance = ? AND expires_at < %1").arg(kNow),
                {instance});
            return i.ok() ? Status {} : Status(i.error());
        });
        if (s.ok())
            qCInfo(lcShared).noquote() << "took back" << leases << "leases of" << instance
                                       << "(it stopped renewing them)";
        else
            qCWarning(lcShared).noquote() << "cannot take back the leases of" << instance << ":" << s.error().message;
    }
    // Counters of windows that ended an hour ago and that nobody holds.
    auto cleaned = runSql(
        m_db.connection(),
        QStringLiteral("DELETE FROM limit_counters c WHERE window_end < ? AND NOT EXISTS (SELECT 1 FROM limit_leases"
                       " l WHERE l.scope = c.scope AND l.scope_id = c.scope_id AND l.metric = c.metric AND"
                       " l.window_kind = c.window_kind AND l.window_start = c.window_start)"),
        {m_clock.now() - 3'600'000});
    if (!cleaned.ok())
        qCWarning(lcShared).noquote() << "cannot delete the counters of ended windows:" << cleaned.error().message;
}

Result<int> SharedLedger::dropLeases(QSqlDatabase& tx, const QString& instance)
{
    auto l = runSql(tx, QStringLiteral("SELECT %1 FROM limit_leases WHERE instance = ?").arg(kKeyColumns), {instance});
    if (!l.ok())
        return l.error();
    std::vector<CounterKey> keys;
    while (l->next())
        keys.push_back(keyAt(*l));
    if (keys.empty())
        return 0;
    std::sort(keys.begin(), keys.end(), keyLess);
    // The counters first, then the leases: the order every transaction here takes them in.
    if (auto locked = lockCounters(tx, keys); !locked.ok())
        return locked.error();
    auto d =
        runSql(tx, QStringLiteral("DELETE FROM limit_leases WHERE instance = ? RETURNING %1, amount").arg(kKeyColumns),
               {instance});
    if (!d.ok())
        return d.error();
    std::vector<std::tuple<CounterKey, qint64, qint64>> adds;
    while (d->next())
        adds.emplace_back(keyAt(*d), 0, -d->value(5).toLongLong());
    if (Status u = addToCounters(tx, adds); !u.ok())
        return u.error();
    return int(adds.size());
}

void SharedLedger::releaseAll()
{
    returnFree(true);
    // What is left is held by records that never reached the database: they stay journalled, and count when the
    // journal is replayed.
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (auto dropped = dropLeases(tx, m_instance); !dropped.ok())
            return dropped.error();
        auto i = runSql(tx, QStringLiteral("DELETE FROM limit_instances WHERE instance = ?"), {m_instance});
        return i.ok() ? Status {} : Status(i.error());
    });
    if (!s.ok())
        qCWarning(lcShared).noquote() << "cannot return this instance's leases (they expire in" << m_leaseMs / 1000
                                      << "s):" << s.error().message;
}

} // namespace tollgate
