// Admission through the service: every scope that applies is checked, settled usage is durable and counted again
// after a restart.

#include "core/enforcement/explanation.h"
#include "core/service/service.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

class TestEnforcement final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    ManualClock m_clock {QDateTime(QDate(2026, 11, 21), QTime(12, 0), QTimeZone::utc()).toMSecsSinceEpoch()};

    std::unique_ptr<Service> open(const QString& name)
    {
        auto s = Service::open(DatabaseLocation::parse(m_dir.filePath(name)).value(), m_clock);
        if (!s.ok())
            qFatal("%s", qPrintable(s.error().toString()));
        return std::move(s.value());
    }

    static AdmissionAmounts dollars(qint64 d)
    {
        AdmissionAmounts a;
        a.inputCost = d * kNanosPerDollar;
        return a;
    }

    // What the gateway does once a request is answered: settle its reservation (Enforcement::settle, as ProxyCall
    // does), then write its record (Usage::recordUsage, as the UsageWriter does).
    static Status settle(Service& s, Decision& d, UsageRecord r)
    {
        if (!r.orgId)
            r.orgId = s.directory().organization().id;
        s.enforcement().settle(d, r);
        return s.usage().recordUsage({r});
    }

    UsageRecord record(const Service& s, Id user, Id key, Money cost)
    {
        UsageRecord r;
        r.time = m_clock.now();
        r.requestId = QStringLiteral("r");
        r.orgId = s.directory().organization().id;
        r.userId = user;
        r.keyId = key;
        r.projectId = s.access().key(key)->projectId;
        r.model = QStringLiteral("mock-small");
        r.cost = cost;
        return r;
    }

private slots:
    void groupBudgetCoversSubgroupsAndBindsBeforeTheUserLimit()
    {
        auto s = open(QStringLiteral("groups.sqlite"));
        const QString t = QStringLiteral("t");
        auto eng = s->directory().createGroup(QStringLiteral("Engineering"), 0, t);
        auto backend = s->directory().createGroup(QStringLiteral("Backend"), eng->id, t);
        Group g = *eng;
        g.monthlyBudget = 10 * kNanosPerDollar;
        QVERIFY(s->directory().updateGroup(g, t).ok());
        NewUser nu {QStringLiteral("a@example.com"), QStringLiteral("A"), UserStatus::Active, {backend->id}, {}};
        nu.monthlyLimit = 100 * kNanosPerDollar;
        auto a = s->directory().createUser(nu, t);
        NewKey nk;
        nk.name = QStringLiteral("k");
        nk.holderUserId = a->id;
        auto key = s->access().createKey(nk, t);
        const RequestScope scope {key->key.id, a->id, 0, QStringLiteral("mock-small")};

        Decision d = s->enforcement().admit(scope, dollars(6));
        QVERIFY(d.allowed);
        QVERIFY(settle(*s, d, record(*s, a->id, key->key.id, 6 * kNanosPerDollar)).ok());
        Decision refused = s->enforcement().admit(scope, dollars(6));
        QVERIFY(!refused.allowed);
        const LimitCheck* b = refused.bindingCheck();
        QCOMPARE(b->scope, ScopeKind::Group);
        QCOMPARE(b->scopeId, eng->id);
        QCOMPARE(b->used, 6 * kNanosPerDollar);
        QCOMPARE(b->setting, QStringLiteral("groupMonthlyBudget"));

        // In warn mode the same budget is reported but never refuses.
        g = *s->directory().group(eng->id);
        g.budgetAction = BudgetAction::Warn;
        g.updatedAt = 0;
        QVERIFY(s->directory().updateGroup(g, t).ok());
        QVERIFY(s->enforcement().explain(scope, dollars(6)).allowed);
    }

    void modelAccessIsCheckedBeforeAnyCounter()
    {
        auto s = open(QStringLiteral("models.sqlite"));
        const QString t = QStringLiteral("t");
        auto mk = s->directory().createGroup(QStringLiteral("Marketing"), 0, t);
        Group g = *mk;
        g.settings = PolicySettings {};
        g.settings->allowedModels = ModelRule::list({QStringLiteral("mock-small")});
        QVERIFY(s->directory().updateGroup(g, t).ok());
        auto u = s->directory().createUser(
            {QStringLiteral("m@example.com"), QStringLiteral("M"), UserStatus::Active, {mk->id}, {}}, t);
        Preflight p;
        Decision d = s->enforcement().admit({0, u->id, 0, QStringLiteral("mock-large")}, dollars(1), &p);
        QVERIFY(!d.allowed);
        QCOMPARE(p.code, QStringLiteral("model_not_allowed"));
        QCOMPARE(p.source.entityId, mk->id);
        s->enforcement().admit({0, u->id, 0, QStringLiteral("no-such-model")}, dollars(1), &p);
        QCOMPARE(p.code, QStringLiteral("model_not_found"));
        QVERIFY(s->enforcement().admit({0, u->id, 0, QStringLiteral("mock-small")}, dollars(1), &p).allowed);
        QVERIFY(s->directory().setUsersStatus({u->id}, UserStatus::Inactive, t).ok());
        s->enforcement().admit({0, u->id, 0, QStringLiteral("mock-small")}, dollars(1), &p);
        QCOMPARE(p.code, QStringLiteral("user_inactive"));
    }

    void customerBudgetsAndRateLimit()
    {
        auto s = open(QStringLiteral("customers.sqlite"));
        Customer c;
        c.identifier = QStringLiteral("acme");
        c.rateLimitPerMinute = 2;
        c.budgetDuration = BudgetDuration::Daily;
        c.periodBudget = 5 * kNanosPerDollar;
        c.totalBudget = 7 * kNanosPerDollar;
        auto saved = s->customers().saveCustomer(c, QStringLiteral("t"));
        QVERIFY(saved.ok());
        const RequestScope scope {0, 0, saved->id, QStringLiteral("mock-small")};
        auto spend = [&](qint64 d) {
            Decision dec = s->enforcement().admit(scope, dollars(d));
            if (dec.allowed) {
                UsageRecord r;
                r.time = m_clock.now();
                r.customerId = saved->id;
                r.model = QStringLiteral("mock-small");
                r.cost = d * kNanosPerDollar;
                (void)settle(*s, dec, r);
            }
            return dec;
        };
        QVERIFY(spend(3).allowed);
        QVERIFY(spend(1).allowed);
        Decision third = spend(1); // a third request in the same minute
        QVERIFY(!third.allowed);
        QCOMPARE(third.bindingCheck()->setting, QStringLiteral("customerRateLimit"));
        m_clock.advance(60'000);
        Decision overDay = spend(2); // 4 + 2 > 5 for the day
        QCOMPARE(overDay.bindingCheck()->setting, QStringLiteral("customerPeriodBudget"));
        // Explained as the customer's own budget, not as "not limited at any level".
        QCOMPARE(effectiveSource(*overDay.bindingCheck()).level, PolicySource::Level::Customer);
        QVERIFY(explanationSentence(overDay, Preflight {}).contains(QLatin1String("(set by customer ")));
        m_clock.advance(86'400'000); // the next day
        QVERIFY(spend(3).allowed); // lifetime 7 of 7
        Decision lifetime = spend(1);
        QVERIFY(!lifetime.allowed);
        QCOMPARE(lifetime.bindingCheck()->setting, QStringLiteral("customerTotalBudget"));
        QCOMPARE(lifetime.retryAfterSeconds, qint64(1)); // never resets: no meaningful wait
    }

    // A group's budget counts what its members spent while they were in it: moving a user out does not take back
    // what they spent, moving them in does not bring it along, and a restart counts exactly as the ledger did.
    void groupSpendStaysWithTheGroupItWasSpentIn()
    {
        const QString file = QStringLiteral("moves.sqlite");
        const QString t = QStringLiteral("t");
        Id userId = 0;
        Id keyId = 0;
        Id marketing = 0;
        Id sales = 0;
        const auto checkOf = [](const Decision& d, Id groupId) -> const LimitCheck* {
            for (const LimitCheck& c : d.checks)
                if (c.scope == ScopeKind::Group && c.scopeId == groupId)
                    return &c;
            return nullptr;
        };
        {
            auto s = open(file);
            for (Id* id : {&marketing, &sales}) {
                Group g;
                g.name = id == &marketing ? QStringLiteral("Marketing") : QStringLiteral("Sales");
                g.monthlyBudget = 10 * kNanosPerDollar;
                *id = s->directory().createGroup(g, t)->id;
            }
            NewUser nu {QStringLiteral("m@example.com"), QStringLiteral("M"), UserStatus::Active, {marketing}, {}};
            userId = s->directory().createUser(nu, t)->id;
            NewKey nk;
            nk.name = QStringLiteral("k");
            nk.holderUserId = userId;
            keyId = s->access().createKey(nk, t)->key.id;
            Decision d = s->enforcement().admit({keyId, userId, 0, QStringLiteral("mock-small")}, dollars(6));
            QVERIFY(d.allowed);
            QVERIFY(settle(*s, d, record(*s, userId, keyId, 6 * kNanosPerDollar)).ok());
            QVERIFY(s->directory().moveUsers({userId}, marketing, sales, t).ok());
            d = s->enforcement().explain({keyId, userId, 0, QStringLiteral("mock-small")}, dollars(1));
            QVERIFY(checkOf(d, sales) && !checkOf(d, marketing));
            QCOMPARE(checkOf(d, sales)->used, 0);
        }
        auto s = open(file);
        // Marketing's budget still holds the 6 dollars (a new member sees them used); Sales has none of them.
        NewUser other {QStringLiteral("o@example.com"), QStringLiteral("O"), UserStatus::Active, {marketing}, {}};
        const Id otherId = s->directory().createUser(other, t)->id;
        Decision d = s->enforcement().explain({keyId, otherId, 0, QStringLiteral("mock-small")}, dollars(5));
        QVERIFY(checkOf(d, marketing));
        QCOMPARE(checkOf(d, marketing)->used, 6 * kNanosPerDollar);
        QVERIFY(!d.allowed);
        d = s->enforcement().explain({keyId, userId, 0, QStringLiteral("mock-small")}, dollars(1));
        QCOMPARE(checkOf(d, sales)->used, 0);
        QCOMPARE(s->usage().monthToDateSpend(UsageDimension::Group).value(),
                 (QHash<Id, Money> {{marketing, 6 * kNanosPerDollar}}));
    }

    void settledUsageIsCountedAgainAfterARestart()
    {
        const QString file = QStringLiteral("restart.sqlite");
        Id userId = 0;
        Id keyId = 0;
        {
            auto s = open(file);
            NewUser nu {QStringLiteral("r@example.com"), QStringLiteral("R"), UserStatus::Active, {}, {}};
            nu.monthlyLimit = 10 * kNanosPerDollar;
            auto u = s->directory().createUser(nu, QStringLiteral("t"));
            userId = u->id;
            NewKey nk;
            nk.name = QStringLiteral("k");
            nk.holderUserId = userId;
            nk.monthlyCap = 8 * kNanosPerDollar;
            keyId = s->access().createKey(nk, QStringLiteral("t"))->key.id;
            Decision d = s->enforcement().admit({keyId, userId, 0, QStringLiteral("mock-small")}, dollars(9));
            QVERIFY(!d.allowed); // the key's cap binds first
            QCOMPARE(d.bindingCheck()->setting, QStringLiteral("keyMonthlyCap"));
            QCOMPARE(effectiveSource(*d.bindingCheck()).describe(), QStringLiteral("API key k"));
            d = s->enforcement().admit({keyId, userId, 0, QStringLiteral("mock-small")}, dollars(7));
            QVERIFY(d.allowed);
            QVERIFY(settle(*s, d, record(*s, userId, keyId, 7 * kNanosPerDollar)).ok());
        }
        auto s = open(file);
        Decision d = s->enforcement().explain({keyId, userId, 0, QStringLiteral("mock-small")}, dollars(2));
        QVERIFY(!d.allowed);
        QCOMPARE(d.bindingCheck()->used, 7 * kNanosPerDollar);
        QCOMPARE(s->usage().usageRecordCount(), qint64(1));
    }
};

QTEST_GUILESS_MAIN(TestEnforcement)
#include "test_enforcement.moc"
