#pragma once

#include "service/limitwatch.h"
#include "service/usage.h"

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

    // The last `days` local days up to today, stacked by `by`, the `series` biggest keys kept apart.
    static Result<DashboardData> load(const Service& service, int days, StackBy by, int series = 6);
};

} // namespace tollgate
