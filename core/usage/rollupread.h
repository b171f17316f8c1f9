#pragma once

#include "core/usage/usagetypes.h"

#include <QSqlDatabase>
#include <QTimeZone>

#include <string>
#include <string_view>
#include <vector>

namespace tollgate {

// Reading the rollups (usage_rollups: per dimension and key, a row per local day, ISO week and month). A range from
// local midnight to local midnight is read as whole months and weeks where that reads fewer rows than their days,
// minus the days they hold outside the range: every row is the exact sum of its days, so the result is exact. Days
// without any usage are free, so a month whose other days are empty counts whole.

struct RollupSegment
{
    RollupPeriod period = RollupPeriod::Day;
    Instant start = 0;
    int coefficient = 1; // the row counts this many times; negative: taken away
    friend bool operator==(const RollupSegment&, const RollupSegment&) = default;
};

// The rows whose sum is the usage in [from, to). `usedDays`: the starts of the local days with any usage, ascending,
// at least over the weeks and months around the range.
QList<RollupSegment> planRollups(Instant from, Instant to, const QTimeZone& zone, const QList<Instant>& usedDays);

// Totals per key (UTF-8: an id, a model or a status; empty for none), in no particular order.
using RollupSums = std::vector<std::pair<std::string, UsageTotals>>;

class RollupReader final
{
public:
    RollupReader(const QSqlDatabase& db, const QTimeZone& zone);

    // For each bucket [first, second) (local midnights), the totals per key of `dimension`; only `keys` when there
    // are any. Keys without requests in a bucket are left out.
    enum class Measures { All, RequestsAndCost }; // RequestsAndCost: only those two are summed (fewer columns read)
    Result<QList<RollupSums>> sums(UsageDimension dimension, const QList<std::pair<Instant, Instant>>& buckets,
                                   const QStringList& keys = {}, Measures measures = Measures::All) const;

    qint64 rowsRead() const { return m_rowsRead; } // by the last sums(), for benchmarks

private:
    Result<QList<Instant>> usedDays(Instant from, Instant to) const;

    QSqlDatabase m_db;
    QTimeZone m_zone;
    mutable qint64 m_rowsRead = 0;
};

} // namespace tollgate
