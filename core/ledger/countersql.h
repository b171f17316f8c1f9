#pragma once

// The SQL the shared ledger (core/ledger/sharedledger.h) runs on limit_counters and limit_leases: every statement
// covers all the counters it is given (a VALUES list), and counters are always locked before their leases, in key
// order, so no two transactions of any instances wait on each other in a cycle.

#include "core/ledger/ledger.h"

#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariantList>

#include <map>
#include <tuple>
#include <vector>

Q_DECLARE_LOGGING_CATEGORY(lcShared)

namespace tollgate::countersql {

// The database's clock in milliseconds: leases expire by it, whichever instance looks.
extern const QString kNow;
// "scope = ? AND ... AND window_start = ?": one counter's key.
extern const QString kKey;
extern const QString kKeyColumns; // "scope, scope_id, metric, window_kind, window_start"

QVariantList keyArgs(const CounterKey& k);
bool keyLess(const CounterKey& a, const CounterKey& b);
struct KeyOrder
{
    bool operator()(const CounterKey& a, const CounterKey& b) const { return keyLess(a, b); }
};
// A VALUES list of `count` rows: a counter's key and `extraBigints` more BIGINT columns, each cast (PostgreSQL does
// not infer a VALUES list's types).
QString valueRows(qsizetype count, int extraBigints);
// The key in columns first..first+4 of a row.
CounterKey keyAt(const QSqlQuery& q, int first = 0);

struct Row
{
    qint64 used = 0;
    qint64 reserved = 0;
};
using Rows = std::map<CounterKey, Row, KeyOrder>;

// Locks the counters' rows, in key order, and reads them.
Result<Rows> lockCounters(QSqlDatabase& tx, const std::vector<CounterKey>& keys);
// Adds `used` and `reserved` (either may be negative) to counters already locked.
Status addToCounters(QSqlDatabase& tx, const std::vector<std::tuple<CounterKey, qint64, qint64>>& changes);
// Locks the counters, then takes amounts out of an instance's leases of them; returns the keys that had a lease.
Result<std::vector<CounterKey>> takeFromLeases(QSqlDatabase& tx, const QString& instance,
                                               const std::vector<std::pair<CounterKey, qint64>>& amounts);

} // namespace tollgate::countersql
