#pragma once

#include "core/domain/clock.h"

#include <QString>
#include <QTimeZone>

#include <array>
#include <mutex>

namespace tollgate {

// Calendar windows. A request counts in the window in which it started; a window is a key, never a job.
enum class WindowKind : quint8 {
    Minute,
    Hour,
    Day,
    Week, // ISO week, Monday 00:00 to Monday 00:00
    Month,
    Year,
    Custom, // a customer's own period_start .. period_end
    Lifetime,
};
inline constexpr int kWindowKindCount = 8;

QString windowKindName(WindowKind kind); // "day", "week", ... (stable API strings)
QString windowKindLabel(WindowKind kind); // translated, for people

// [start, end) in UTC milliseconds.
struct Window
{
    WindowKind kind = WindowKind::Lifetime;
    Instant start = 0;
    Instant end = 0;

    bool contains(Instant t) const { return t >= start && t < end; }
    bool isValid() const { return end > start; }
    friend bool operator==(const Window&, const Window&) = default;
};

inline constexpr Instant kEndOfTime = std::numeric_limits<Instant>::max();

// Computes calendar windows in one IANA time zone. The current window of each kind is cached, so the common
// case costs a comparison; the cache is recomputed when time passes its end. Thread-safe.
class Calendar final
{
public:
    explicit Calendar(const QTimeZone& zone);

    const QTimeZone& zone() const { return m_zone; }

    // The window of `kind` containing `t`. Custom and Lifetime are not calendar kinds: Lifetime is [0, end of time)
    // and Custom must be built with customWindow().
    Window window(WindowKind kind, Instant t) const;

    static Window customWindow(Instant periodStart, Instant periodEnd)
    {
        return {WindowKind::Custom, periodStart, periodEnd};
    }

    // The uncached computation, for tests and for times far from now.
    static Window compute(WindowKind kind, Instant t, const QTimeZone& zone);

private:
    QTimeZone m_zone;
    mutable std::mutex m_mutex;
    mutable std::array<Window, kWindowKindCount> m_cache {};
};

} // namespace tollgate
