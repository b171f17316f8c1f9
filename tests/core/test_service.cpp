// The service API over SQLite: storage round trips, validation at the boundary, nothing half-written, audit.

#include "core/service/service.h"
#include "reportcheck.h"

#include <QDir>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

class TestService final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_serial = 0;
    ManualClock m_clock {1'790'000'000'000};

    std::unique_ptr<Service> open(const QString& name = {})
    {
        const QString file = QDir::isAbsolutePath(name)
            ? name
            : m_dir.filePath(name.isEmpty() ? QStringLiteral("db%1.sqlite").arg(++m_serial) : name);
        auto location = DatabaseLocation::parse(file);
        if (!location.ok())
            qFatal("bad location %s: %s", qPrintable(file), qPrintable(location.error().toString()));
        auto s = Service::open(location.value(), m_clock);
        if (!s.ok())
            qFatal("cannot open: %s", qPrintable(s.error().toString()));
        return std::move(s.value());
    }

    qint64 count(Service& s, const char* table)
    {
        QSqlQuery q(s.database().connection());
        q.exec(QStringLiteral("SELECT COUNT(*) FROM %1").arg(QString::fromLatin1(table)));
        q.next();
        return q.value(0).toLongLong();
    }

private slots:
    void schemaIsVersionedAndSqliteUsesWal()
    {
        auto s = open();
        QCOMPARE(s->database().schemaVersion(), Database::latestSchemaVersion());
        QSqlQuery q(s->database().connection());
        QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode")));
        q.next();
        QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
        QVERIFY(s->catalog().models().size() >= 15); // catalog seeded
        QVERIFY(s->catalog().model(QStringLiteral("mock-small")));
    }

    void everythingSurvivesAReopen()
    {
        const QString file = QStringLiteral("reopen.sqlite");
        Id userId = 0;
        Id groupId = 0;
        QString secret;
        {
            auto s = open(file);
            auto parent = s->directory().createGroup(QStringLiteral("Engineering"), 0, QStringLiteral("t"));
            auto g = s->directory().createGroup(QStringLiteral("Backend"), parent->id, QStringLiteral("t"));
            groupId = g->id;
            Group changed = *g;
            changed.settings = PolicySettings {};
            (*changed.settings)[Dimension::RequestsPerMinute] = Limit::of(120);
            changed.settings->allowedModels = ModelRule::list({QStringLiteral("mock-small")});
            changed.monthlyBudget = 5 * kNanosPerDollar;
            QVERIFY(s->directory().updateGroup(changed, QStringLiteral("t")).ok());
            NewUser nu {QStringLiteral("ada@example.com"), QStringLiteral("Ada"), UserStatus::Active, {g->id}, {}};
            nu.monthlyLimit = 42 * kNanosPerDollar;
            auto u = s->directory().createUser(nu, QStringLiteral("t"));
            QVERIFY(u.ok());
            userId = u->id;
            NewKey nk;
            nk.name = QStringLiteral("laptop");
            nk.holderUserId = userId;
            nk.monthlyCap = kNanosPerDollar;
            auto k = s->access().createKey(nk, QStringLiteral("t"));
            QVERIFY(k.ok());
            secret = k->secret;
            Customer c;
            c.identifier = QStringLiteral("acme");
            c.budgetDuration = BudgetDuration::Weekly;
            c.periodBudget = 3 * kNanosPerDollar;
            c.markupBasisPoints = 1250;
            QVERIFY(s->customers().saveCustomer(c, QStringLiteral("t")).ok());
        }
        auto s = open(file);
        const User u = *s->directory().user(userId);
        QCOMPARE(u.email, QStringLiteral("ada@example.com"));
        QCOMPARE(u.groupIds, QList<Id>({groupId}));
        QCOMPARE((*u.policyOverride)[Dimension::MonthlyCost], Limit::of(42 * kNanosPerDollar));
        QVERIFY(s->access().project(u.privateProjectId));
        const Group g = *s->directory().group(groupId);
        QVERIFY(g.parentId != 0);
        QCOMPARE((*g.settings)[Dimension::RequestsPerMinute], Limit::of(120));
        QCOMPARE(g.settings->allowedModels.models, QSet<QString>({QStringLiteral("mock-small")}));
        QCOMPARE(*g.monthlyBudget, 5 * kNanosPerDollar);
        auto key = s->access().authenticate(secret);
        QVERIFY(key.ok());
        QCOMPARE(key->holderUserId, userId);
        QCOMPARE(key->projectId, u.privateProjectId);
        QCOMPARE(s->customers().customerByIdentifier(QStringLiteral("acme"))->markupBasisPoints, 1250);
        QCOMPARE(s->directory().effectivePolicy(userId)[Dimension::RequestsPerMinute].source.entityId, groupId);
    }

    void namesAreStoredUnchanged()
    {
        auto s = open();
        const QStringList names {QStringLiteral("O'Brien \"Bob\"; DROP TABLE users; --"), QStringLiteral("Zoë Ümlaut"),
                                 QStringLiteral("山田 太郎"), QStringLiteral("محمد"),
                                 QStringLiteral("SELECT * FROM x")};
        for (int i = 0; i < names.size(); ++i) {
            auto u = s->directory().createUser(
                {QStringLiteral("u%1@example.com").arg(i), names[i], UserStatus::Active, {}, {}}, QStringLiteral("t"));
            QVERIFY(u.ok());
            QCOMPARE(u->name, names[i]);
            auto g = s->directory().createGroup(names[i], 0, QStringLiteral("t"));
            QVERIFY(g.ok());
        }
        auto again = open(s->database().location().path);
        QStringList stored;
        for (const User& u : again->directory().users())
            stored << u.name;
        QCOMPARE(stored, names);
        QCOMPARE(count(*again, "users"), qint64(names.size()));
    }

    void refusesBadInputNamingTheField_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("field");
        QTest::addColumn<int>("code");
        QTest::newRow("negative user limit") << 0 << QStringLiteral("monthlyLimit") << int(Error::Code::Invalid);
        QTest::newRow("absurd policy limit")
            << 1 << QStringLiteral("policy.monthlyCostLimit") << int(Error::Code::Invalid);
        QTest::newRow("unknown model id") << 2 << QStringLiteral("policy.allowedModels") << int(Error::Code::Invalid);
        QTest::newRow("group made its own ancestor") << 3 << QStringLiteral("parentId") << int(Error::Code::Conflict);
        QTest::newRow("unknown timezone") << 4 << QStringLiteral("timezone") << int(Error::Code::Invalid);
        QTest::newRow("duplicate email") << 5 << QStringLiteral("email") << int(Error::Code::Conflict);
        QTest::newRow("bad email") << 6 << QStringLiteral("email") << int(Error::Code::Invalid);
        QTest::newRow("tier out of range") << 7 << QStringLiteral("settings.maxTier") << int(Error::Code::Invalid);
        QTest::newRow("bypass on a group") << 8 << QStringLiteral("settings.bypass") << int(Error::Code::Invalid);
        QTest::newRow("unknown group") << 9 << QStringLiteral("groupIds") << int(Error::Code::NotFound);
        QTest::newRow("custom period ends before it starts")
            << 10 << QStringLiteral("period_end") << int(Error::Code::Invalid);
        QTest::newRow("key expiring in the past") << 11 << QStringLiteral("expiresAt") << int(Error::Code::Invalid);
        QTest::newRow("stale edit") << 12 << QStringLiteral("updatedAt") << int(Error::Code::Conflict);
    }
    void refusesBadInputNamingTheField()
    {
        QFETCH(int, which);
        QFETCH(QString, field);
        QFETCH(int, code);
        auto s = open();
        const QString t = QStringLiteral("t");
        auto ada = s->directory().createUser(
            {QStringLiteral("ada@example.com"), QStringLiteral("Ada"), UserStatus::Active, {}, {}}, t);
        auto eng = s->directory().createGroup(QStringLiteral("Engineering"), 0, t);
        auto backend = s->directory().createGroup(QStringLiteral("Backend"), eng->id, t);
        const qint64 auditBefore = count(*s, "audit_log");
        const qint64 usersBefore = count(*s, "users");
        Error e;
        auto capture = [&](const auto& r) {
            QVERIFY(!r.ok());
            e = r.error();
        };
        switch (which) {
        case 0: capture(s->directory().setUsersMonthlyLimit({ada->id}, -1, t)); break;
        case 1: {
            PolicySettings p;
            p[Dimension::MonthlyCost] = Limit::of(2'000'000'000LL * kNanosPerDollar);
            capture(s->directory().setUserPolicy(ada->id, p, t));
            break;
        }
        case 2: {
            PolicySettings p;
            p.allowedModels = ModelRule::list({QStringLiteral("gpt-99")});
            capture(s->directory().setUserPolicy(ada->id, p, t));
            break;
        }
        case 3: {
            Group g = *eng;
            g.parentId = backend->id;
            capture(s->directory().updateGroup(g, t));
            break;
        }
        case 4: {
            Organization o = s->directory().organization();
            o.timezone = QStringLiteral("Mars/Olympus_Mons");
            capture(s->directory().updateOrganization(o, t));
            break;
        }
        case 5:
            capture(s->directory().createUser(
                {QStringLiteral("ADA@example.com"), QStringLiteral("Other"), UserStatus::Active, {}, {}}, t));
            break;
        case 6:
            capture(s->directory().createUser(
                {QStringLiteral("not an email"), QStringLiteral("X"), UserStatus::Active, {}, {}}, t));
            break;
        case 7: {
            Group g = *eng;
            g.settings = PolicySettings {};
            (*g.settings)[Dimension::MaxTier] = Limit::of(11);
            capture(s->directory().updateGroup(g, t));
            break;
        }
        case 8: {
            Group g = *eng;
            g.settings = PolicySettings {};
            g.settings->bypassCostLimits = true;
            capture(s->directory().updateGroup(g, t));
            break;
        }
        case 9:
            capture(s->directory().createUser(
                {QStringLiteral("b@example.com"), QStringLiteral("B"), UserStatus::Active, {999}, {}}, t));
            break;
        case 10: {
            Customer c;
            c.identifier = QStringLiteral("x");
            c.budgetDuration = BudgetDuration::Custom;
            c.periodStart = 2000;
            c.periodEnd = 1000;
            capture(s->customers().saveCustomer(c, t));
            break;
        }
        case 11: {
            NewKey k;
            k.name = QStringLiteral("k");
            k.holderUserId = ada->id;
            k.expiresAt = m_clock.now() - 1;
            capture(s->access().createKey(k, t));
            break;
        }
        case 12: {
            User first = *s->directory().user(ada->id);
            User second = first;
            first.name = QStringLiteral("Ada L.");
            m_clock.advance(5);
            QVERIFY(s->directory().updateUser(first, t).ok());
            second.name = QStringLiteral("Ada K."); // based on the old version
            capture(s->directory().updateUser(second, t));
            QCOMPARE(s->directory().user(ada->id)->name, QStringLiteral("Ada L."));
            return;
        }
        }
        QCOMPARE(e.field, field);
        QCOMPARE(int(e.code), code);
        QVERIFY(!e.message.isEmpty());
        // Nothing was written.
        QCOMPARE(count(*s, "audit_log"), auditBefore);
        QCOMPARE(count(*s, "users"), usersBefore);
    }

    void aBadRowRefusesTheWholeBatch()
    {
        auto s = open();
        QList<NewUser> batch;
        for (int i = 0; i < 100; ++i)
            batch.append(
                {QStringLiteral("u%1@example.com").arg(i), QStringLiteral("U%1").arg(i), UserStatus::Active, {}, {}});
        batch[57].email = QStringLiteral("broken");
        auto r = s->directory().createUsers(batch, QStringLiteral("t"));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().field, QStringLiteral("[57].email"));
        QCOMPARE(s->directory().userCount(), qint64(0));
        QCOMPARE(count(*s, "users"), qint64(0));
        QCOMPARE(count(*s, "projects"), qint64(0));
    }

    void everyChangeIsAudited()
    {
        auto s = open();
        const QString actor = QStringLiteral("admin:alice");
        auto u = s->directory().createUser(
            {QStringLiteral("ada@example.com"), QStringLiteral("Ada"), UserStatus::Active, {}, {}}, actor);
        auto g = s->directory().createGroup(QStringLiteral("Team"), 0, actor);
        QVERIFY(s->directory().addUsersToGroup({u->id}, g->id, actor).ok());
        QVERIFY(s->directory().setUsersMonthlyLimit({u->id}, 10 * kNanosPerDollar, actor).ok());
        const auto log = s->audit().entries({actor, QStringLiteral("user_policy"), {}, 0, 0, 10});
        QCOMPARE(log.size(), 1);
        QVERIFY(log[0].before.isEmpty());
        QVERIFY2(log[0].after.contains(QLatin1String("\"monthlyCostLimit\":10000000000")), qPrintable(log[0].after));
        QCOMPARE(s->audit().entries({actor, QStringLiteral("group_members"), {}, 0, 0, 10}).size(), 1);
        QVERIFY(s->directory().deleteUser(u->id, actor).ok());
        const auto deleted = s->audit().entries({actor, QStringLiteral("user"), QString::number(u->id), 0, 0, 10});
        QCOMPARE(deleted.first().action, QStringLiteral("delete"));
        QVERIFY(deleted.first().before.contains(QLatin1String("ada@example.com")));
    }

    void membershipAndGroupDeletion()
    {
        auto s = open();
        const QString t = QStringLiteral("t");
        auto eng = s->directory().createGroup(QStringLiteral("Engineering"), 0, t);
        auto backend = s->directory().createGroup(QStringLiteral("Backend"), eng->id, t);
        auto a = s->directory().createUser(
            {QStringLiteral("a@example.com"), QStringLiteral("A"), UserStatus::Active, {}, {}}, t);
        auto b = s->directory().createUser(
            {QStringLiteral("b@example.com"), QStringLiteral("B"), UserStatus::Active, {}, {}}, t);
        QVERIFY(s->directory().addUsersToGroup({a->id, b->id, a->id}, backend->id, t).ok());
        QCOMPARE(s->directory().groupMembers(backend->id), QList<Id>({a->id, b->id}));
        QVERIFY(s->directory().removeUsersFromGroup({b->id}, backend->id, t).ok());
        QCOMPARE(s->directory().user(b->id)->groupIds, QList<Id>());
        QVERIFY(s->directory().deleteGroup(eng->id, t).ok());
        QCOMPARE(s->directory().group(backend->id)->parentId, Id(0)); // moved up, not deleted
        auto reopened = open(s->database().location().path);
        QCOMPARE(reopened->directory().group(backend->id)->parentId, Id(0));
        QCOMPARE(reopened->directory().user(a->id)->groupIds, QList<Id>({backend->id}));
    }

    void keysAreHashedRevocableAndExpire()
    {
        auto s = open();
        const QString t = QStringLiteral("t");
        auto u = s->directory().createUser(
            {QStringLiteral("a@example.com"), QStringLiteral("A"), UserStatus::Active, {}, {}}, t);
        NewKey nk;
        nk.name = QStringLiteral("k");
        nk.holderUserId = u->id;
        nk.expiresAt = m_clock.now() + 60'000;
        auto k = s->access().createKey(nk, t);
        QVERIFY(k.ok());
        QVERIFY(k->secret.startsWith(QLatin1String("tg-")));
        QVERIFY(k->secret.startsWith(k->key.prefix));
        // Only the hash is stored.
        QSqlQuery q(s->database().connection());
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM api_keys WHERE CAST(secret_hash AS TEXT) LIKE '%tg-%'")));
        q.next();
        QCOMPARE(q.value(0).toInt(), 0);
        QVERIFY(s->access().authenticate(k->secret).ok());
        QVERIFY(!s->access().authenticate(k->secret + u'x').ok());
        m_clock.advance(60'000);
        QVERIFY(s->access().authenticate(k->secret).error().message.contains(QLatin1String("expired")));
        m_clock.advance(-60'000);
        QVERIFY(s->access().revokeKey(k->key.id, t).ok());
        QVERIFY(s->access().authenticate(k->secret).error().message.contains(QLatin1String("revoked")));
    }

    // Reports over whole local days read the rollups; they must say exactly what the records say, also after
    // the organisation moves to another time zone (the rollups are rebuilt in it).
    void rollupsAgreeWithTheRecords()
    {
        auto s = open();
        NewUser n;
        n.email = QStringLiteral("ann@x.org");
        n.name = QStringLiteral("Ann");
        const Id ann = s->directory().createUser(n, {})->id;
        n.email = QStringLiteral("bob@x.org");
        n.name = QStringLiteral("Bob");
        const Id bob = s->directory().createUser(n, {})->id;
        Organization org = s->directory().organization();
        org.timezone = QStringLiteral("Europe/Berlin");
        QVERIFY(s->directory().updateOrganization(org, {}).ok());
        const QTimeZone berlin("Europe/Berlin");
        const Instant day0 = Calendar::compute(WindowKind::Day, m_clock.now(), berlin).start;
        QList<UsageRecord> records;
        for (int i = 0; i < 300; ++i) {
            UsageRecord r;
            r.time = day0 + Instant(i) * 17 * 60'000; // ~3.5 days, across midnights in Berlin and in UTC
            r.orgId = s->directory().organization().id;
            r.userId = i % 3 ? ann : bob;
            r.keyId = i % 5 == 0 ? 0 : 7;
            r.model = i % 2 ? QStringLiteral("mock-small") : QStringLiteral("mock-large");
            r.status = i % 11 == 0 ? UsageStatus::Denied : UsageStatus::Ok;
            r.inputTokens = 10 + i;
            r.outputTokens = 3 * i;
            r.cost = r.status == UsageStatus::Denied ? 0 : 1'000'003 * (i + 1);
            r.detail = r.status == UsageStatus::Denied ? QStringLiteral("limit %1").arg(i) : QString();
            records.append(r);
        }
        // Written in two batches: rows the batches share are added up. Between them Ann leaves Team and Bob joins
        // its subgroup: usage counts for the groups its user was in when it was made, for good.
        const Id team = s->directory().createGroup(QStringLiteral("Team"), 0, {})->id;
        const Id backend = s->directory().createGroup(QStringLiteral("Backend"), team, {})->id;
        QVERIFY(s->directory().addUsersToGroup({ann}, team, {}).ok());
        QVERIFY(s->usage().recordUsage(records.mid(0, 120)).ok());
        QVERIFY(s->directory().removeUsersFromGroup({ann}, team, {}).ok());
        QVERIFY(s->directory().addUsersToGroup({bob}, backend, {}).ok());
        QVERIFY(s->usage().recordUsage(records.mid(120)).ok());
        const auto spentBy = [&](const QList<UsageRecord>& list, const std::function<bool(const UsageRecord&)>& pick) {
            Money sum = 0;
            for (const UsageRecord& r : list)
                sum += pick(r) ? r.cost : 0;
            return sum;
        };
        const Money teamSpend = spentBy(records.mid(0, 120), [&](const UsageRecord& r) { return r.userId == ann; })
            + spentBy(records.mid(120), [&](const UsageRecord& r) { return r.userId == bob; });
        const Money backendSpend = spentBy(records.mid(120), [&](const UsageRecord& r) { return r.userId == bob; });
        QVERIFY(teamSpend > backendSpend && backendSpend > 0);

        const auto compare = [&](const QTimeZone& zone) {
            const Instant from = Calendar::compute(WindowKind::Day, day0 - 1, zone).start;
            const Instant to = Calendar::compute(WindowKind::Day, day0 + 5 * 86'400'000LL, zone).start;
            struct Case
            {
                UsageDimension by;
                int top = 0;
                Id user = 0;
                Id group = 0;
                QString model;
                WindowKind granularity = WindowKind::Day;
            };
            for (const Case& c :
                 {Case {UsageDimension::None}, Case {UsageDimension::User}, Case {UsageDimension::Key},
                  Case {UsageDimension::Model}, Case {UsageDimension::Status}, Case {UsageDimension::Group},
                  Case {UsageDimension::User, 1}, Case {UsageDimension::Model, 1, 0, 0, {}, WindowKind::Week},
                  Case {UsageDimension::User, 0, ann}, Case {UsageDimension::None, 0, 0, team},
                  Case {UsageDimension::User, 0, 0, 0, QStringLiteral("mock-small")}}) {
                UsageQuery q;
                q.from = from;
                q.to = to;
                q.groupBy = c.by;
                q.top = c.top;
                q.userId = c.user;
                q.groupId = c.group;
                q.model = c.model;
                q.granularity = c.granularity;
                const UsageReport fromRollups = s->usage().usageReport(q).value();
                q.from = from - 1; // not at midnight: the records themselves
                const UsageReport fromRecords = s->usage().usageReport(q).value();
                if (!c.user && !c.group && c.model.isEmpty())
                    QCOMPARE(fromRollups.total.requests, 300);
                compareReports(fromRollups, fromRecords);
                if (QTest::currentTestFailed())
                    return;
            }
        };
        compare(berlin);
        if (QTest::currentTestFailed())
            return;
        const auto checkGroups = [&](const QTimeZone& zone) {
            UsageQuery q;
            q.from = Calendar::compute(WindowKind::Day, day0 - 1, zone).start;
            q.to = Calendar::compute(WindowKind::Day, day0 + 5 * 86'400'000LL, zone).start;
            q.groupBy = UsageDimension::Group;
            for (Instant shift : {0, 1}) { // the rollups, then the records
                q.from -= shift;
                QHash<QString, Money> byGroup;
                const UsageReport report = s->usage().usageReport(q).value();
                for (const UsageRow& row : report.rows)
                    byGroup[row.key] += row.totals.cost;
                QCOMPARE(byGroup.value(QString::number(team)), teamSpend);
                QCOMPARE(byGroup.value(QString::number(backend)), backendSpend);
                UsageQuery one = q;
                one.groupBy = UsageDimension::None;
                one.groupId = backend;
                QCOMPARE(s->usage().usageReport(one).value().total.cost, backendSpend);
            }
        };
        checkGroups(berlin);

        // Month to date from the monthly rollups, against the records; daily active users against a count here.
        const Window month = Calendar::compute(WindowKind::Month, m_clock.now(), berlin);
        for (UsageDimension d : {UsageDimension::User, UsageDimension::Group, UsageDimension::Key}) {
            UsageQuery q;
            q.from = month.start;
            q.to = month.end - 1;
            q.groupBy = d;
            QHash<Id, Money> expected;
            const auto report = s->usage().usageReport(q);
            QVERIFY(report.ok());
            for (const UsageRow& row : report->rows)
                if (!row.key.isEmpty())
                    expected[row.key.toLongLong()] += row.totals.cost;
            QVERIFY(!expected.isEmpty());
            QCOMPARE(s->usage().monthToDateSpend(d).value(), expected);
        }
        QMap<Instant, QSet<Id>> active;
        for (const UsageRecord& r : std::as_const(records))
            if (r.status != UsageStatus::Denied)
                active[Calendar::compute(WindowKind::Day, r.time, berlin).start].insert(r.userId);
        const auto dau = s->usage().dailyActiveUsers(day0, day0 + 5 * 86'400'000LL).value();
        QCOMPARE(dau.size(), active.size());
        for (const auto& [day, count] : dau)
            QCOMPARE(count, active.value(day).size());

        org = s->directory().organization();
        org.timezone = QStringLiteral("America/Los_Angeles");
        QVERIFY(s->directory().updateOrganization(org, {}).ok());
        compare(QTimeZone("America/Los_Angeles"));
        if (QTest::currentTestFailed())
            return;
        checkGroups(QTimeZone("America/Los_Angeles")); // rebuilt from the groups the records carry

        // The request log: newest first, filtered, with why a request was refused.
        UsageLogFilter f;
        f.status = UsageStatus::Denied;
        f.userId = bob;
        const QList<UsageRecord> denied = s->usage().usageLog(f).value();
        QCOMPARE(denied.size(), 10); // i % 33 == 0 for i < 300 (bob: i % 3 == 0, denied: i % 11 == 0)
        QVERIFY(denied.first().id > denied.last().id);
        QCOMPARE(denied.first().detail, QStringLiteral("limit 297"));
        f.beforeId = denied[4].id;
        QCOMPARE(s->usage().usageLog(f).value().size(), 5);
    }

    void locationsParse()
    {
        auto pg = DatabaseLocation::parse(QStringLiteral("postgresql://tg:pw@127.0.0.1:5433/tollgate"));
        QVERIFY(pg.ok());
        QCOMPARE(pg->kind, Dialect::Kind::PostgreSQL);
        QCOMPARE(pg->port, 5433);
        QCOMPARE(pg->database, QStringLiteral("tollgate"));
        QVERIFY(!pg->displayName().contains(QLatin1String("pw")));
        QVERIFY(!DatabaseLocation::parse(QStringLiteral("mysql://x/y")).ok());
        QVERIFY(!DatabaseLocation::parse(QStringLiteral("postgresql://host/")).ok());
        QVERIFY(!DatabaseLocation::parse(QString()).ok());
    }
};

QTEST_GUILESS_MAIN(TestService)
#include "test_service.moc"
