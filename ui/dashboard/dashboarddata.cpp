#include "ui/dashboard/dashboarddata.h"

#include "core/service/service.h"

#include <QCoreApplication>
#include <QElapsedTimer>

namespace tollgate {

Result<DashboardData> DashboardData::load(const Service& s, int dayCount, StackBy by, int parts, int series)
{
    QElapsedTimer timer;
    timer.start();
    DashboardData d;
    d.parts = parts;
    const QTimeZone zone(s.directory().organization().timezone.toUtf8());
    const Window today = Calendar::compute(WindowKind::Day, s.clock().now(), zone);
    Instant from = today.start;
    for (int i = 1; i < dayCount; ++i)
        from = Calendar::compute(WindowKind::Day, from - 1, zone).start;
    for (Instant t = from; t < today.end;) {
        const Window w = Calendar::compute(WindowKind::Day, t, zone);
        d.days.append(w);
        t = w.end;
    }
    const auto stage = [&](const char* name) {
        d.stageMs.append({name, timer.elapsed() - d.loadMs});
        d.loadMs = timer.elapsed();
    };
    if (parts & Charts) {
        if (Status st = d.loadCharts(s, from, today.end, by, series); !st.ok())
            return st.error();
        stage("charts");
    }
    if (parts & TopUsers) {
        if (Status st = d.loadTopUsers(s, from, today.end); !st.ok())
            return st.error();
        stage("top users");
    }
    if (parts & Limits) {
        if (Status st = d.loadLimits(s); !st.ok())
            return st.error();
        stage("limits");
    }
    return d;
}

qsizetype DashboardData::dayIndex(Instant start) const
{
    const auto it =
        std::lower_bound(days.cbegin(), days.cend(), start, [](const Window& w, Instant t) { return w.start < t; });
    return it != days.cend() && it->start == start ? it - days.cbegin() : -1;
}

Status DashboardData::loadCharts(const Service& s, Instant from, Instant to, StackBy by, int series)
{
    UsageQuery q;
    q.from = from;
    q.to = to;
    q.granularity = WindowKind::Day;
    auto totals = s.usage().usageReport(q);
    if (!totals.ok())
        return totals.error();
    total = totals->total;
    QList<Money> perDayTotal(days.size(), 0);
    for (const UsageRow& r : std::as_const(totals->rows))
        if (const qsizetype i = dayIndex(r.bucketStart); i >= 0)
            perDayTotal[i] += r.totals.cost;

    q.groupBy = by == StackBy::Model ? UsageDimension::Model
        : by == StackBy::User        ? UsageDimension::User
                                     : UsageDimension::Group;
    q.top = series;
    auto report = s.usage().usageReport(q);
    if (!report.ok())
        return report.error();
    QHash<QString, int> seriesIndex;
    QHash<QString, Money> seriesTotal;
    for (const UsageRow& r : std::as_const(report->rows))
        seriesTotal[r.key] += r.totals.cost;
    QStringList keys = seriesTotal.keys();
    std::sort(keys.begin(), keys.end(), [&](const QString& a, const QString& b) {
        return seriesTotal[a] != seriesTotal[b] ? seriesTotal[a] > seriesTotal[b] : a < b;
    });
    for (const QString& k : std::as_const(keys)) {
        seriesIndex.insert(k, int(stacked.size()));
        stacked.append({k, QString(), QList<Money>(days.size(), 0)});
    }
    QList<Money> covered(days.size(), 0);
    for (const UsageRow& r : std::as_const(report->rows)) {
        const qsizetype i = dayIndex(r.bucketStart);
        if (i < 0)
            continue;
        Series& se = stacked[seriesIndex.value(r.key)];
        se.label = r.label.isEmpty() ? r.key : r.label;
        se.perDay[i] += r.totals.cost;
        // A user in two groups counts in both; "Other" is what no kept key covers.
        if (by != StackBy::Group)
            covered[i] += r.totals.cost;
    }
    if (by != StackBy::Group) {
        Series other {QString(), QCoreApplication::translate("tollgate::Dashboard", "Other"),
                      QList<Money>(days.size(), 0)};
        bool any = false;
        for (qsizetype i = 0; i < days.size(); ++i) {
            other.perDay[i] = std::max<Money>(0, perDayTotal[i] - covered[i]);
            any = any || other.perDay[i] > 0;
        }
        if (any)
            stacked.append(other);
    }

    auto dau = s.usage().dailyActiveUsers(from, to);
    if (!dau.ok())
        return dau.error();
    activeUsers = QList<qint64>(days.size(), 0);
    for (const auto& [day, n] : std::as_const(dau.value()))
        if (const qsizetype i = dayIndex(day); i >= 0)
            activeUsers[i] = n;
    return {};
}

Status DashboardData::loadTopUsers(const Service& s, Instant from, Instant to)
{
    UsageQuery top;
    top.from = from;
    top.to = to;
    top.groupBy = UsageDimension::User;
    top.top = 10;
    auto users = s.usage().usageReport(top);
    if (!users.ok())
        return users.error();
    for (const UsageRow& r : std::as_const(users->rows)) {
        if (r.key.isEmpty())
            continue;
        topUsers.append({r.label, r.totals.cost});
        topUserIds.append(r.key.toLongLong());
    }
    return {};
}

Status DashboardData::loadLimits(const Service& s)
{
    auto limits = monthlyLimitUse(s, 0.5);
    if (!limits.ok())
        return limits.error();
    limits = limits.value();
    return {};
}

} // namespace tollgate
