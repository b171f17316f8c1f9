#pragma once

#include "core/service/limitwatch.h"
#include "core/usage/usagetypes.h"

namespace tollgate {

class Service;

// What the dashboard draws, read from the daily rollups in one go off the GUI thread.
struct DashboardData
{
    enum class StackBy { Model, User, Group };
    QList<Window> days; // one bucket per local day of the range
    struct Series
    {
        QString key; // model id, user id or group id; empty for "Other"
        QString label;
        QList<Money> perDay; // same length as days
    };
    QList<Series> stacked; // the biggest first, then "Other"
    QList<std::pair<QString, Money>> topUsers; // email, cost over the range, highest first
    QList<Id> topUserIds;
    QList<qint64> activeUsers; // per day
    QList<LimitUse> limits; // at 50 % or more of a monthly limit
    UsageTotals total;
    qint64 loadMs = 0;
    QList<std::pair<const char*, qint64>> stageMs; // where the read went: totals, stacked, top users, active, limits

    // What to read: the charts over days (totals, stacked spend, active users), top users, limit use.
    enum Part { Charts = 1, TopUsers = 2, Limits = 4, Everything = Charts | TopUsers | Limits };
    int parts = Everything;

    // The last `days` local days up to today, stacked by `by`, the `series` biggest keys kept apart. The page reads
    // the parts side by side, so each shows without waiting for the others.
    static Result<DashboardData> load(const Service& service, int days, StackBy by, int parts = Everything,
                                      int series = 6);

private:
    Status loadCharts(const Service& service, Instant from, Instant to, StackBy by, int series);
    Status loadTopUsers(const Service& service, Instant from, Instant to);
    Status loadLimits(const Service& service);
    qsizetype dayIndex(Instant dayStart) const; // into days, -1 if none starts then
};

} // namespace tollgate
