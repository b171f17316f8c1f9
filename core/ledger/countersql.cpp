#include "core/ledger/countersql.h"

#include "core/storage/database.h"

#include <algorithm>

Q_LOGGING_CATEGORY(lcShared, "tollgate.core.ledger.shared", QtInfoMsg)

namespace tollgate::countersql {

// The database's clock in milliseconds: leases expire by it, whichever instance looks.
const QString kNow = QStringLiteral("CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)");
const QString kKey =
    QStringLiteral("scope = ? AND scope_id = ? AND metric = ? AND window_kind = ? AND window_start = ?");

QVariantList keyArgs(const CounterKey& k)
{
    return {int(k.scope), k.scopeId, int(k.metric), int(k.window), k.windowStart};
}

bool keyLess(const CounterKey& a, const CounterKey& b)
{
    return std::tuple(int(a.scope), a.scopeId, int(a.metric), int(a.window), a.windowStart)
        < std::tuple(int(b.scope), b.scopeId, int(b.metric), int(b.window), b.windowStart);
}

const QString kKeyColumns = QStringLiteral("scope, scope_id, metric, window_kind, window_start");
static const QString kJoin = QStringLiteral("c.scope = v.scope AND c.scope_id = v.scope_id AND c.metric = v.metric AND"
                                            " c.window_kind = v.window_kind AND c.window_start = v.window_start");

// A VALUES list of `count` rows of placeholders, each cast to its column's type (PostgreSQL does not infer them):
// one statement for every counter of a request instead of one per counter.
QString valueRows(qsizetype count, int extraBigints)
{
    QStringList cells {QStringLiteral("CAST(? AS INTEGER)"), QStringLiteral("CAST(? AS BIGINT)"),
                       QStringLiteral("CAST(? AS INTEGER)"), QStringLiteral("CAST(? AS INTEGER)"),
                       QStringLiteral("CAST(? AS BIGINT)")};
    for (int i = 0; i < extraBigints; ++i)
        cells << QStringLiteral("CAST(? AS BIGINT)");
    const QString row = u'(' + cells.join(QStringLiteral(", ")) + u')';
    return QStringList(count, row).join(QStringLiteral(", "));
}

CounterKey keyAt(const QSqlQuery& q, int first)
{
    return {ScopeKind(q.value(first).toInt()), Metric(q.value(first + 2).toInt()),
            WindowKind(q.value(first + 3).toInt()), q.value(first + 1).toLongLong(), q.value(first + 4).toLongLong()};
}

// Locks the counters' rows, in key order (the order of every transaction here, so instances never deadlock), and
// reads them.
Result<Rows> lockCounters(QSqlDatabase& tx, const std::vector<CounterKey>& keys)
{
    QVariantList args;
    for (const CounterKey& k : keys)
        args += keyArgs(k);
    auto r = runSql(tx,
                    QStringLiteral("SELECT %1, used, reserved FROM limit_counters WHERE (%1) IN (VALUES %2) ORDER BY"
                                   " scope, scope_id, metric, window_kind, window_start FOR UPDATE")
                        .arg(kKeyColumns, valueRows(qsizetype(keys.size()), 0)),
                    args);
    if (!r.ok())
        return r.error();
    Rows rows;
    while (r->next())
        rows[keyAt(*r)] = {r->value(5).toLongLong(), r->value(6).toLongLong()};
    return rows;
}

// Adds `used` and `reserved` (either may be negative) to counters already locked.
Status addToCounters(QSqlDatabase& tx, const std::vector<std::tuple<CounterKey, qint64, qint64>>& changes)
{
    if (changes.empty())
        return {};
    QVariantList args;
    for (const auto& [k, used, reserved] : changes)
        args += keyArgs(k) + QVariantList {used, reserved};
    auto r = runSql(tx,
                    QStringLiteral("UPDATE limit_counters c SET used = c.used + v.used, reserved = c.reserved +"
                                   " v.reserved FROM (VALUES %1) AS v(%2, used, reserved) WHERE %3")
                        .arg(valueRows(qsizetype(changes.size()), 2), kKeyColumns, kJoin),
                    args);
    return r.ok() ? Status {} : Status(r.error());
}

// Takes amounts out of an instance's leases; returns the keys that had a lease.
Result<std::vector<CounterKey>> takeFromLeases(QSqlDatabase& tx, const QString& instance,
                                               const std::vector<std::pair<CounterKey, qint64>>& amounts)
{
    std::vector<CounterKey> keys;
    for (const auto& [k, amount] : amounts)
        keys.push_back(k);
    std::sort(keys.begin(), keys.end(), keyLess);
    if (auto locked = lockCounters(tx, keys); !locked.ok())
        return locked.error();
    QVariantList args;
    for (const auto& [k, amount] : amounts)
        args += keyArgs(k) + QVariantList {amount};
    args << instance;
    auto r = runSql(tx,
                    QStringLiteral("UPDATE limit_leases c SET amount = c.amount - v.amount FROM (VALUES %1) AS"
                                   " v(%2, amount) WHERE %3 AND c.instance = ? RETURNING c.scope, c.scope_id,"
                                   " c.metric, c.window_kind, c.window_start")
                        .arg(valueRows(qsizetype(amounts.size()), 1), kKeyColumns, kJoin),
                    args);
    if (!r.ok())
        return r.error();
    std::vector<CounterKey> held;
    while (r->next())
        held.push_back(keyAt(*r));
    return held;
}

} // namespace tollgate::countersql
