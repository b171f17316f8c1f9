// Calendar windows in the organization's time zone: month ends, leap years, ISO weeks, DST changes.

#include "core/domain/window.h"

#include <QDateTime>
#include <QTest>

using namespace tollgate;

namespace {

Instant utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0, int ms = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), QTimeZone::utc()).toMSecsSinceEpoch();
}

Instant local(const char* zone, int y, int mo, int d, int h = 0, int mi = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi), QTimeZone(zone)).toMSecsSinceEpoch();
}

constexpr qint64 kHour = 3'600'000;

} // namespace

class TestWindow final : public QObject
{
    Q_OBJECT

private slots:
    void monthEndBoundary()
    {
        const QTimeZone z = QTimeZone::utc();
        const Window jan = Calendar::compute(WindowKind::Month, utc(2026, 1, 31, 23, 59, 59, 999), z);
        QCOMPARE(jan.start, utc(2026, 1, 1));
        QCOMPARE(jan.end, utc(2026, 2, 1));
        const Window feb = Calendar::compute(WindowKind::Month, utc(2026, 2, 1), z);
        QCOMPARE(feb.start, jan.end); // a request counts in the window in which it started
        QCOMPARE(feb.end, utc(2026, 3, 1));
        const Window dec = Calendar::compute(WindowKind::Month, utc(2026, 12, 31, 12), z);
        QCOMPARE(dec.end, utc(2027, 1, 1));
    }

    void leapYears()
    {
        const QTimeZone z = QTimeZone::utc();
        const Window feb2024 = Calendar::compute(WindowKind::Month, utc(2024, 2, 29, 18), z);
        QCOMPARE(feb2024.end - feb2024.start, 29 * 24 * kHour);
        const Window feb2026 = Calendar::compute(WindowKind::Month, utc(2026, 2, 28, 18), z);
        QCOMPARE(feb2026.end - feb2026.start, 28 * 24 * kHour);
        QCOMPARE(Calendar::compute(WindowKind::Year, utc(2024, 7, 1), z).end
                     - Calendar::compute(WindowKind::Year, utc(2024, 7, 1), z).start,
                 366 * 24 * kHour);
        const Window leapDay = Calendar::compute(WindowKind::Day, utc(2024, 2, 29, 23, 59), z);
        QCOMPARE(leapDay.start, utc(2024, 2, 29));
        QCOMPARE(leapDay.end, utc(2024, 3, 1));
        // 1900 was not a leap year, 2000 was.
        QCOMPARE(Calendar::compute(WindowKind::Month, utc(2000, 2, 10), z).end, utc(2000, 3, 1));
        QCOMPARE(Calendar::compute(WindowKind::Month, utc(2100, 2, 10), z).end - utc(2100, 2, 1), 28 * 24 * kHour);
    }

    void isoWeeks()
    {
        const QTimeZone z = QTimeZone::utc();
        // 2026-01-01 is a Thursday: its ISO week began on Monday 2025-12-29, across the year end.
        const Window w = Calendar::compute(WindowKind::Week, utc(2026, 1, 1, 10), z);
        QCOMPARE(w.start, utc(2025, 12, 29));
        QCOMPARE(w.end, utc(2026, 1, 5));
        // Sunday 23:59 is still the same week; Monday 00:00 starts the next.
        QCOMPARE(Calendar::compute(WindowKind::Week, utc(2026, 1, 4, 23, 59), z).start, utc(2025, 12, 29));
        QCOMPARE(Calendar::compute(WindowKind::Week, utc(2026, 1, 5), z).start, utc(2026, 1, 5));
    }

    void daysFollowTheOrganizationsZone()
    {
        const QTimeZone ny("America/New_York");
        QVERIFY(ny.isValid());
        // 03:00 UTC on 21 Nov is 22:00 on 20 Nov in New York (EST, UTC-5).
        const Window d = Calendar::compute(WindowKind::Day, utc(2026, 11, 21, 3), ny);
        QCOMPARE(d.start, utc(2026, 11, 20, 5));
        QCOMPARE(d.end, utc(2026, 11, 21, 5));
        // The month in Tokyo starts nine hours before the UTC month.
        const Window m = Calendar::compute(WindowKind::Month, utc(2026, 11, 30, 16), QTimeZone("Asia/Tokyo"));
        QCOMPARE(m.start, utc(2026, 11, 30, 15));
        // India's half-hour offset: hours start at :30 UTC.
        const Window h = Calendar::compute(WindowKind::Hour, utc(2026, 6, 1, 10, 45), QTimeZone("Asia/Kolkata"));
        QCOMPARE(h.start, utc(2026, 6, 1, 10, 30));
        QCOMPARE(h.end, utc(2026, 6, 1, 11, 30));
    }

    void dstSpringForwardDayIs23Hours()
    {
        const QTimeZone berlin("Europe/Berlin");
        // 29 March 2026: clocks go from 02:00 CET to 03:00 CEST.
        const Window d = Calendar::compute(WindowKind::Day, local("Europe/Berlin", 2026, 3, 29, 12), berlin);
        QCOMPARE(d.start, utc(2026, 3, 28, 23));
        QCOMPARE(d.end, utc(2026, 3, 29, 22));
        QCOMPARE(d.end - d.start, 23 * kHour);
        // The month of March 2026 in Berlin is one hour short of 31 days.
        const Window m = Calendar::compute(WindowKind::Month, local("Europe/Berlin", 2026, 3, 15), berlin);
        QCOMPARE(m.end - m.start, 31 * 24 * kHour - kHour);
        // The hour after 01:00 CET ends at 03:00 CEST: both are the same instant boundaries one hour apart.
        const Window h = Calendar::compute(WindowKind::Hour, utc(2026, 3, 29, 0, 30), berlin);
        QCOMPARE(h.start, utc(2026, 3, 29, 0));
        QCOMPARE(h.end, utc(2026, 3, 29, 1));
        const Window next = Calendar::compute(WindowKind::Hour, utc(2026, 3, 29, 1, 10), berlin);
        QCOMPARE(next.start, h.end);
    }

    void dstFallBackDayIs25Hours()
    {
        const QTimeZone berlin("Europe/Berlin");
        // 25 October 2026: clocks go from 03:00 CEST back to 02:00 CET; 02:30 happens twice.
        const Window d = Calendar::compute(WindowKind::Day, utc(2026, 10, 25, 12), berlin);
        QCOMPARE(d.end - d.start, 25 * kHour);
        const Window first = Calendar::compute(WindowKind::Hour, utc(2026, 10, 25, 0, 30), berlin); // 02:30 CEST
        const Window second = Calendar::compute(WindowKind::Hour, utc(2026, 10, 25, 1, 30), berlin); // 02:30 CET
        QCOMPARE(first.start, utc(2026, 10, 25, 0));
        QCOMPARE(second.start, utc(2026, 10, 25, 1));
        QVERIFY(first.start != second.start);
        QCOMPARE(second.end - second.start, kHour);
    }

    void minutes()
    {
        const Window w = Calendar::compute(WindowKind::Minute, utc(2026, 5, 5, 5, 5, 59, 999), QTimeZone::utc());
        QCOMPARE(w.start, utc(2026, 5, 5, 5, 5));
        QCOMPARE(w.end, utc(2026, 5, 5, 5, 6));
    }

    void cachedWindowsMatchComputedOnes()
    {
        const QTimeZone berlin("Europe/Berlin");
        Calendar cal(berlin);
        for (Instant t = utc(2026, 10, 24); t < utc(2026, 10, 27); t += 37 * 60'000) {
            for (WindowKind k : {WindowKind::Minute, WindowKind::Hour, WindowKind::Day, WindowKind::Week,
                                 WindowKind::Month, WindowKind::Year}) {
                const Window cached = cal.window(k, t);
                QCOMPARE(cached, Calendar::compute(k, t, berlin));
                QVERIFY(cached.contains(t));
            }
        }
        // Asking about an earlier time after a later one still answers correctly.
        QCOMPARE(cal.window(WindowKind::Day, utc(2026, 1, 1, 12)).start, utc(2025, 12, 31, 23));
    }
};

QTEST_GUILESS_MAIN(TestWindow)
#include "test_window.moc"
