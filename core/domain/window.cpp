#include "core/domain/window.h"

#include <QCoreApplication>
#include <QDateTime>

namespace tollgate {

QString windowKindName(WindowKind kind)
{
    switch (kind) {
    case WindowKind::Minute: return QStringLiteral("minute");
    case WindowKind::Hour: return QStringLiteral("hour");
    case WindowKind::Day: return QStringLiteral("day");
    case WindowKind::Week: return QStringLiteral("week");
    case WindowKind::Month: return QStringLiteral("month");
    case WindowKind::Year: return QStringLiteral("year");
    case WindowKind::Custom: return QStringLiteral("custom");
    case WindowKind::Lifetime: return QStringLiteral("lifetime");
    }
    return {};
}

QString windowKindLabel(WindowKind kind)
{
    switch (kind) {
    case WindowKind::Minute: return QCoreApplication::translate("tollgate::Window", "per minute");
    case WindowKind::Hour: return QCoreApplication::translate("tollgate::Window", "per hour");
    case WindowKind::Day: return QCoreApplication::translate("tollgate::Window", "daily");
    case WindowKind::Week: return QCoreApplication::translate("tollgate::Window", "weekly");
    case WindowKind::Month: return QCoreApplication::translate("tollgate::Window", "monthly");
    case WindowKind::Year: return QCoreApplication::translate("tollgate::Window", "yearly");
    case WindowKind::Custom: return QCoreApplication::translate("tollgate::Window", "custom period");
    case WindowKind::Lifetime: return QCoreApplication::translate("tollgate::Window", "lifetime");
    }
    return {};
}

Calendar::Calendar(const QTimeZone& zone)
    : m_zone(zone.isValid() ? zone : QTimeZone::utc())
{
}

Window Calendar::window(WindowKind kind, Instant t) const
{
    if (kind == WindowKind::Lifetime || kind == WindowKind::Custom)
        return compute(kind, t, m_zone);
    std::lock_guard lock(m_mutex);
    Window& cached = m_cache[size_t(kind)];
    if (cached.isValid() && cached.contains(t))
        return cached;
    Window w = compute(kind, t, m_zone);
    // Cache only the window of "now"-ish times: keep the latest one seen.
    if (!cached.isValid() || w.start >= cached.start)
        cached = w;
    return w;
}

Window Calendar::compute(WindowKind kind, Instant t, const QTimeZone& zone)
{
    Window w;
    w.kind = kind;
    if (kind == WindowKind::Lifetime || kind == WindowKind::Custom) {
        w.start = 0;
        w.end = kEndOfTime;
        return w;
    }
    const QDateTime local = QDateTime::fromMSecsSinceEpoch(t, zone);
    const QDate date = local.date();
    switch (kind) {
    case WindowKind::Minute: {
        // Every zone in use today has whole-minute offsets, so minutes align with UTC minutes.
        w.start = t - (((t % 60'000) + 60'000) % 60'000);
        w.end = w.start + 60'000;
        return w;
    }
    case WindowKind::Hour: {
        const QTime time = local.time();
        QDateTime start(date, QTime(time.hour(), 0), zone);
        // Across a fall-back transition the same local hour occurs twice; keep the occurrence that contains t.
        Instant s = start.toMSecsSinceEpoch();
        if (s > t)
            s -= 3'600'000;
        if (t - s >= 3'600'000)
            s += ((t - s) / 3'600'000) * 3'600'000;
        w.start = s;
        w.end = s + 3'600'000;
        return w;
    }
    case WindowKind::Day:
        w.start = date.startOfDay(zone).toMSecsSinceEpoch();
        w.end = date.addDays(1).startOfDay(zone).toMSecsSinceEpoch();
        return w;
    case WindowKind::Week: {
        const QDate monday = date.addDays(1 - date.dayOfWeek());
        w.start = monday.startOfDay(zone).toMSecsSinceEpoch();
        w.end = monday.addDays(7).startOfDay(zone).toMSecsSinceEpoch();
        return w;
    }
    case WindowKind::Month: {
        const QDate first(date.year(), date.month(), 1);
        w.start = first.startOfDay(zone).toMSecsSinceEpoch();
        w.end = first.addMonths(1).startOfDay(zone).toMSecsSinceEpoch();
        return w;
    }
    case WindowKind::Year: {
        const QDate first(date.year(), 1, 1);
        w.start = first.startOfDay(zone).toMSecsSinceEpoch();
        w.end = first.addYears(1).startOfDay(zone).toMSecsSinceEpoch();
        return w;
    }
    case WindowKind::Custom:
    case WindowKind::Lifetime: break;
    }
    return w;
}

} // namespace tollgate
