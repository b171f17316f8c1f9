// Two services on one PostgreSQL database, as two instances (or a console and an instance) run them: what one
// changes, the other's snapshot has within a second (core/org/orgsync.h); a customer both create at once is one
// customer; a limit both admit against is never overspent (core/ledger/sharedledger.h). Needs an empty database
// named by TOLLGATE_TEST_POSTGRES (tests/postgres/shared.py starts one); skipped without.

#include "core/service/service.h"

#include <QTest>

#include <thread>

using namespace tollgate;

class TestOrgSync final : public QObject
{
    Q_OBJECT

    SystemClock m_clock;
    std::unique_ptr<Service> m_a, m_b;
    const QString t = QStringLiteral("test");

private slots:
    void initTestCase()
    {
        const QString url = qEnvironmentVariable("TOLLGATE_TEST_POSTGRES");
        if (url.isEmpty())
            QSKIP("TOLLGATE_TEST_POSTGRES names no PostgreSQL database");
        const auto location = DatabaseLocation::parse(url);
        QVERIFY(location.ok());
        auto a = Service::open(location.value(), m_clock);
        QVERIFY2(a.ok(), qPrintable(a.ok() ? QString() : a.error().toString()));
        m_a = std::move(a.value());
        auto b = Service::open(location.value(), m_clock);
        QVERIFY(b.ok());
        m_b = std::move(b.value());
        QVERIFY(m_a->enforcement().shared() && m_b->enforcement().shared());
    }

    void cleanupTestCase()
    {
        m_b.reset();
        m_a.reset();
    }

    void aChangeOnOneIsOnTheOtherWithinASecond()
    {
        auto ada = m_a->directory().createUser(
            {QStringLiteral("ada@sync.example"), QStringLiteral("Ada"), UserStatus::Active, {}, {}}, t);
        QVERIFY(ada.ok());
        QTRY_VERIFY_WITH_TIMEOUT(m_b->snapshot()->user(ada->id), 1000);
        NewKey nk;
        nk.name = QStringLiteral("ada's");
        nk.holderUserId = ada->id;
        auto key = m_a->access().createKey(nk, t);
        QVERIFY(key.ok());
        QTRY_VERIFY_WITH_TIMEOUT(Access::authenticate(*m_b->snapshot(), key->secret, m_clock.now()).ok(), 1000);
        // Revoked on the other one: refused here.
        QVERIFY(m_b->access().revokeKey(key->key.id, t).ok());
        QTRY_VERIFY_WITH_TIMEOUT(!Access::authenticate(*m_a->snapshot(), key->secret, m_clock.now()).ok(), 1000);
        QVERIFY(m_b->syncedReloads() > 0 && m_a->syncedReloads() > 0);
    }

    void aCustomerBothCreateAtOnceIsOne()
    {
        for (int round = 0; round < 5; ++round) {
            Customer c;
            c.identifier = QStringLiteral("both-%1").arg(round);
            c.periodBudget = 1'000'000;
            c.budgetDuration = BudgetDuration::Monthly;
            Result<Customer> fromA = Error::storage(QStringLiteral("not run"));
            Result<Customer> fromB = Error::storage(QStringLiteral("not run"));
            std::thread ta([&] {
                fromA = m_a->customers().saveCustomer(c, t);
                m_a->database().closeThreadConnection();
            });
            std::thread tb([&] {
                fromB = m_b->customers().saveCustomer(c, t);
                m_b->database().closeThreadConnection();
            });
            ta.join();
            tb.join();
            QVERIFY2(fromA.ok(), qPrintable(fromA.ok() ? QString() : fromA.error().toString()));
            QVERIFY2(fromB.ok(), qPrintable(fromB.ok() ? QString() : fromB.error().toString()));
            QCOMPARE(fromA->id, fromB->id);
        }
    }

    void aLimitBothAdmitAgainstIsNeverOverspent()
    {
        auto bob = m_a->directory().createUser(
            {QStringLiteral("bob@sync.example"), QStringLiteral("Bob"), UserStatus::Active, {}, Money(100'000)}, t);
        QVERIFY(bob.ok());
        QTRY_VERIFY_WITH_TIMEOUT(m_b->snapshot()->user(bob->id), 1000);
        QString model = m_a->snapshot()->models.begin().key();
        // Each admission reserves 1,000 nano-dollars of output: a hundred fit, from both services at once.
        AdmissionAmounts amounts;
        amounts.outputPrice = 100;
        amounts.maxOutputTokens = 10;
        std::atomic<int> admitted {0};
        auto run = [&](Service& s) {
            for (int i = 0; i < 150; ++i) {
                Decision d = s.enforcement().admit({0, bob->id, 0, model}, amounts);
                if (!d.allowed)
                    continue;
                ++admitted;
                UsageRecord r;
                r.time = m_clock.now();
                r.requestId = QStringLiteral("sync-%1").arg(i);
                r.userId = bob->id;
                r.model = model;
                r.outputTokens = 10;
                r.cost = 1'000;
                s.enforcement().settle(d, r);
                QVERIFY(s.usage().recordUsage({r}).ok());
            }
            s.database().closeThreadConnection();
        };
        std::thread ta([&] { run(*m_a); });
        std::thread tb([&] { run(*m_b); });
        ta.join();
        tb.join();
        QCOMPARE(admitted.load(), 100);
    }
};

QTEST_GUILESS_MAIN(TestOrgSync)
#include "test_orgsync.moc"
