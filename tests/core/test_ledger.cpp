// The enforcement ledger: all-or-nothing reservations, settlement, windows, and no overshoot under contention.

#include "core/ledger/ledger.h"

#include <QTest>

#include <atomic>
#include <thread>

using namespace tollgate;

namespace {

LimitCheck check(ScopeKind scope, Id id, Metric metric, WindowKind kind, qint64 limit, const Calendar& cal, Instant now)
{
    LimitCheck c;
    c.scope = scope;
    c.scopeId = id;
    c.scopeName = QStringLiteral("s%1").arg(id);
    c.metric = metric;
    c.window = cal.window(kind, now);
    c.limit = limit;
    c.setting = QStringLiteral("test");
    return c;
}

AdmissionAmounts fixedCost(Money cost)
{
    AdmissionAmounts a;
    a.inputCost = cost;
    return a;
}

} // namespace

class TestLedger final : public QObject
{
    Q_OBJECT

private slots:
    void reserveThenSettleReplacesTheEstimate()
    {
        ManualClock clock(1'700'000'000'000);
        Calendar cal(QTimeZone::utc());
        LocalLedger ledger(clock);
        const LimitCheck c = check(ScopeKind::User, 1, Metric::Cost, WindowKind::Month, 1000, cal, clock.now());
        AdmissionAmounts a;
        a.inputCost = 100;
        a.outputPrice = 2;
        a.maxOutputTokens = 200; // estimate 500
        Decision d = ledger.admit({c}, a);
        QVERIFY(d.allowed);
        QCOMPARE(ledger.peek(c.key())->reserved, qint64(500));
        QCOMPARE(ledger.peek(c.key())->used, qint64(0));
        ledger.settle(d.reservation, 180, 0);
        QCOMPARE(ledger.peek(c.key())->reserved, qint64(0));
        QCOMPARE(ledger.peek(c.key())->used, qint64(180));
        QVERIFY(!d.reservation.isActive());
        ledger.settle(d.reservation, 180, 0); // a second settle is a no-op
        QCOMPARE(ledger.peek(c.key())->used, qint64(180));
    }

    void allOrNothing()
    {
        ManualClock clock(1'700'000'000'000);
        Calendar cal(QTimeZone::utc());
        LocalLedger ledger(clock);
        const LimitCheck roomy = check(ScopeKind::User, 1, Metric::Cost, WindowKind::Month, 10'000, cal, clock.now());
        const LimitCheck tight = check(ScopeKind::Project, 2, Metric::Cost, WindowKind::Month, 50, cal, clock.now());
        const LimitCheck rate = check(ScopeKind::User, 1, Metric::Requests, WindowKind::Minute, 10, cal, clock.now());
        Decision d = ledger.admit({roomy, rate, tight}, fixedCost(100));
        QVERIFY(!d.allowed);
        QCOMPARE(d.bindingCheck()->scope, ScopeKind::Project);
        QVERIFY(!d.checks[2].passed);
        QVERIFY(d.checks[0].passed);
        // Nothing was reserved or counted anywhere.
        QCOMPARE(ledger.peek(roomy.key())->reserved, qint64(0));
        QCOMPARE(ledger.peek(rate.key())->used, qint64(0));
        QVERIFY(d.retryAfterSeconds > 0);
    }

    void explanationNamesUsedLeftAndReset()
    {
        ManualClock clock(QDateTime(QDate(2026, 11, 21), QTime(12, 0), QTimeZone::utc()).toMSecsSinceEpoch());
        Calendar cal(QTimeZone::utc());
        LocalLedger ledger(clock, [](const CounterKey&, const Window&) { return qint64(700); }); // already spent
        const LimitCheck monthly = check(ScopeKind::User, 1, Metric::Cost, WindowKind::Month, 1000, cal, clock.now());
        const LimitCheck daily = check(ScopeKind::User, 1, Metric::Cost, WindowKind::Day, 5000, cal, clock.now());
        Decision d = ledger.explain({daily, monthly}, fixedCost(400));
        QVERIFY(!d.allowed);
        const LimitCheck* b = d.bindingCheck();
        QCOMPARE(b->window.kind, WindowKind::Month);
        QCOMPARE(b->used, qint64(700));
        QCOMPARE(b->left(), qint64(300));
        QCOMPARE(b->requested, qint64(400));
        QCOMPARE(b->window.end, QDateTime(QDate(2026, 12, 1), QTime(0, 0), QTimeZone::utc()).toMSecsSinceEpoch());
        QCOMPARE(d.retryAfterSeconds, qint64(9 * 86400 + 12 * 3600));
        // explain() reserved nothing.
        QCOMPARE(ledger.peek(monthly.key())->reserved, qint64(0));
        // When allowed, the binding limit is the one closest to running out.
        Decision ok = ledger.explain({daily, monthly}, fixedCost(100));
        QVERIFY(ok.allowed);
        QCOMPARE(ok.bindingCheck()->window.kind, WindowKind::Month);
    }

    void aCounterThatCannotBeLoadedRefusesAdmission()
    {
        // A storage error while reading a window's recorded usage must not start the counter at zero (which would
        // let the limit be overspent): the request is refused as unavailable, nothing is reserved, and the next
        // admission loads the counter again.
        ManualClock clock(1'700'000'000'000);
        Calendar cal(QTimeZone::utc());
        bool broken = true;
        LocalLedger ledger(clock, [&broken](const CounterKey& key, const Window&) -> std::optional<qint64> {
            if (broken && key.metric == Metric::Cost)
                return std::nullopt;
            return qint64(key.metric == Metric::Cost ? 900 : 0);
        });
        const LimitCheck monthly = check(ScopeKind::User, 1, Metric::Cost, WindowKind::Month, 1000, cal, clock.now());
        const LimitCheck rate = check(ScopeKind::Key, 2, Metric::Requests, WindowKind::Minute, 10, cal, clock.now());
        Decision d = ledger.admit({rate, monthly}, fixedCost(200));
        QVERIFY(!d.allowed);
        QVERIFY(d.unavailable);
        QVERIFY(!d.reservation.isActive());
        QVERIFY(!ledger.peek(monthly.key()));
        broken = false;
        d = ledger.admit({rate, monthly}, fixedCost(200));
        QVERIFY(!d.unavailable);
        QVERIFY(!d.allowed); // 900 already spent: 200 more does not fit
        QCOMPARE(ledger.peek(monthly.key())->used, qint64(900));
        d = ledger.admit({rate, monthly}, fixedCost(100));
        QVERIFY(d.allowed);
    }

    void lowersMaxTokensToFit()
    {
        ManualClock clock(1'700'000'000'000);
        Calendar cal(QTimeZone::utc());
        LocalLedger ledger(clock);
        const LimitCheck c = check(ScopeKind::User, 1, Metric::Cost, WindowKind::Month, 1000, cal, clock.now());
        AdmissionAmounts a;
        a.inputCost = 200;
        a.outputPrice = 10;
        a.maxOutputTokens = 4096; // 41,160 would not fit
        a.minOutputTokens = 16;
        Decision d = ledger.admit({c}, a);
        QVERIFY(d.allowed);
        QVERIFY(d.reduced);
        QCOMPARE(d.grantedOutputTokens, qint64(80)); // (1000 - 200) / 10
        QCOMPARE(ledger.peek(c.key())->reserved, qint64(1000));
        // No room for even the minimum: refused.
        Decision none = ledger.admit({c}, a);
        QVERIFY(!none.allowed);
        // Without a minimum, no reduction happens.
        a.minOutputTokens = 0;
        ledger.settle(d.reservation, 0, 0);
        QVERIFY(!ledger.admit({c}, a).allowed);
    }

    void tokenLimitsAndRequestLimits()
    {
        ManualClock clock(1'700'000'000'000);
        Calendar cal(QTimeZone::utc());
        LocalLedger ledger(clock);
        const LimitCheck tokens = check(ScopeKind::User, 1, Metric::Tokens, WindowKind::Day, 1000, cal, clock.now());
        const LimitCheck rpm = check(ScopeKind::User, 1, Metric::Requests, WindowKind::Minute, 3, cal, clock.now());
        AdmissionAmounts a;
        a.inputTokens = 100;
        a.maxOutputTokens = 100;
        for (int i = 0; i < 3; ++i) {
            Decision d = ledger.admit({tokens, rpm}, a);
            QVERIFY(d.allowed);
            ledger.settle(d.reservation, 0, 150);
        }
        QCOMPARE(ledger.peek(tokens.key())->used, qint64(450));
        Decision fourth = ledger.admit({tokens, rpm}, a);
        QVERIFY(!fourth.allowed);
        QCOMPARE(fourth.bindingCheck()->metric, Metric::Requests);
        // The next minute is a new window.
        clock.advance(60'000);
        const LimitCheck nextMinute =
            check(ScopeKind::User, 1, Metric::Requests, WindowKind::Minute, 3, cal, clock.now());
        QVERIFY(ledger.admit({tokens, nextMinute}, a).allowed);
    }

    void warnOnlyLimitsCountButNeverRefuse()
    {
        ManualClock clock(1'700'000'000'000);
        Calendar cal(QTimeZone::utc());
        LocalLedger ledger(clock);
        LimitCheck warn = check(ScopeKind::Group, 3, Metric::Cost, WindowKind::Month, 10, cal, clock.now());
        warn.enforce = false;
        Decision d = ledger.admit({warn}, fixedCost(100));
        QVERIFY(d.allowed);
        QVERIFY(!d.checks[0].passed); // reported as over
        ledger.settle(d.reservation, 100, 0);
        QCOMPARE(ledger.peek(warn.key())->used, qint64(100));
    }

    void monthRollsOverWithoutAnyJob()
    {
        ManualClock clock(QDateTime(QDate(2026, 1, 31), QTime(23, 59, 59), QTimeZone::utc()).toMSecsSinceEpoch());
        Calendar cal(QTimeZone::utc());
        LocalLedger ledger(clock);
        auto admitNow = [&] {
            return ledger.admit({check(ScopeKind::User, 1, Metric::Cost, WindowKind::Month, 100, cal, clock.now())},
                                fixedCost(100));
        };
        Decision d = admitNow();
        QVERIFY(d.allowed);
        ledger.settle(d.reservation, 100, 0);
        QVERIFY(!admitNow().allowed);
        clock.advance(1000); // 1 February
        QVERIFY(admitNow().allowed);
        QCOMPARE(ledger.prune(), 1); // January's counter is gone
    }

    void concurrentReservationsNeverOvershoot_data()
    {
        QTest::addColumn<qint64>("budget");
        QTest::addColumn<qint64>("estimate");
        QTest::addColumn<qint64>("actual");
        QTest::newRow("estimate equals actual") << qint64(1'000'003) << qint64(1000) << qint64(1000);
        QTest::newRow("estimate above actual") << qint64(1'000'000) << qint64(1500) << qint64(900);
        QTest::newRow("odd sizes") << qint64(999'999) << qint64(7) << qint64(7);
    }
    void concurrentReservationsNeverOvershoot()
    {
        QFETCH(qint64, budget);
        QFETCH(qint64, estimate);
        QFETCH(qint64, actual);
        ManualClock clock(1'700'000'000'000);
        Calendar cal(QTimeZone::utc());
        LocalLedger ledger(clock);
        const LimitCheck user = check(ScopeKind::User, 1, Metric::Cost, WindowKind::Month, budget, cal, clock.now());
        const LimitCheck org =
            check(ScopeKind::Organization, 1, Metric::Cost, WindowKind::Month, budget * 2, cal, clock.now());
        std::atomic<qint64> admitted {0};
        std::atomic<bool> overshoot {false};
        const int threads = 8;
        const qint64 attemptsPerThread = budget / estimate / threads * 2 + 200;
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&] {
                for (qint64 i = 0; i < attemptsPerThread; ++i) {
                    Decision d = ledger.admit({user, org}, fixedCost(estimate));
                    if (!d.allowed)
                        continue;
                    ++admitted;
                    const Counter c = *ledger.peek(user.key());
                    if (c.used + c.reserved > budget)
                        overshoot = true;
                    ledger.settle(d.reservation, actual, 0);
                }
            });
        }
        for (auto& th : pool)
            th.join();
        const Counter c = *ledger.peek(user.key());
        QVERIFY(!overshoot);
        QCOMPARE(c.reserved, qint64(0));
        QVERIFY(c.used <= budget);
        QCOMPARE(c.used, admitted.load() * actual);
        if (estimate == actual)
            QCOMPARE(admitted.load(), budget / estimate); // exactly floor(budget / cost)
        else
            QVERIFY(budget - c.used < estimate); // stopped only when the next estimate no longer fit
        QCOMPARE(ledger.peek(org.key())->used, c.used);
    }
};

QTEST_GUILESS_MAIN(TestLedger)
#include "test_ledger.moc"
