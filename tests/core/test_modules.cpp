// The organisation's modules over the published snapshot: a write publishes one new snapshot or none, a snapshot a
// reader holds never changes under it, and each module reloads its own part from the database — what a second
// instance on the same database does to see a change made by the first.

#include "core/service/service.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

class TestModules final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    ManualClock m_clock {1'790'000'000'000};
    const QString t = QStringLiteral("test");

    std::unique_ptr<Service> open(const QString& name)
    {
        auto s = Service::open(DatabaseLocation::parse(m_dir.filePath(name)).value(), m_clock);
        if (!s.ok())
            qFatal("cannot open: %s", qPrintable(s.error().toString()));
        return std::move(s.value());
    }

private slots:
    void aWritePublishesOneSnapshotARefusalNone()
    {
        auto s = open(QStringLiteral("publish.sqlite"));
        const SnapshotPtr before = s->snapshot();
        auto ada = s->directory().createUser(
            {QStringLiteral("ada@example.com"), QStringLiteral("Ada"), UserStatus::Active, {}, {}}, t);
        QVERIFY(ada.ok());
        const SnapshotPtr after = s->snapshot();
        QCOMPARE(after->version, before->version + 1);
        // The reader's snapshot is a value: the write did not change it.
        QVERIFY(!before->user(ada->id));
        QVERIFY(after->user(ada->id));
        QCOMPARE(after->userByEmail(QStringLiteral("ADA@example.com"))->id, ada->id);
        QVERIFY(after->project(ada->privateProjectId)); // the private project came with the user

        // Refused before and after the transaction started: nothing is published.
        QVERIFY(!s->directory()
                     .createUser(
                         {QStringLiteral("ada@example.com"), QStringLiteral("Again"), UserStatus::Active, {}, {}}, t)
                     .ok());
        QVERIFY(!s->directory().createGroup(QStringLiteral("Orphan"), 4242, t).ok());
        QVERIFY(!s->catalog().deleteProvider(s->catalog().model(QStringLiteral("mock-small"))->providerId, t).ok());
        QCOMPARE(s->snapshot()->version, after->version);
        QCOMPARE(s->snapshot().get(), after.get());
    }

    void deletingAUserTakesItsKeysAndProjectFromTheSnapshot()
    {
        auto s = open(QStringLiteral("delete.sqlite"));
        auto bob = s->directory().createUser(
            {QStringLiteral("bob@example.com"), QStringLiteral("Bob"), UserStatus::Active, {}, {}}, t);
        NewKey k;
        k.name = QStringLiteral("bob's");
        k.holderUserId = bob->id;
        auto key = s->access().createKey(k, t);
        QVERIFY(s->access().authenticate(key->secret).ok());
        QVERIFY(s->directory().deleteUser(bob->id, t).ok());
        const SnapshotPtr now = s->snapshot();
        QVERIFY(!now->user(bob->id));
        QVERIFY(!now->key(key->key.id));
        QVERIFY(!now->project(bob->privateProjectId));
        QVERIFY(!s->access().authenticate(key->secret).ok());
    }

    void eachModuleReloadsItsOwnPartFromTheDatabase()
    {
        auto a = open(QStringLiteral("shared.sqlite"));
        auto b = open(QStringLiteral("shared.sqlite")); // a second instance on the same database
        auto ada = a->directory().createUser(
            {QStringLiteral("ada@example.com"), QStringLiteral("Ada"), UserStatus::Active, {}, {}}, t);
        NewKey k;
        k.name = QStringLiteral("ada's");
        k.holderUserId = ada->id;
        QVERIFY(b->directory().reload().ok());
        auto key = a->access().createKey(k, t);
        QVERIFY(b->access().reload().ok());
        QVERIFY(b->access().authenticate(key->secret).ok());

        // Changes made on a are not seen by b...
        QVERIFY(a->access().revokeKey(key->key.id, t).ok());
        QVERIFY(a->directory().setUsersMonthlyLimit({ada->id}, 3 * kNanosPerDollar, t).ok());
        ModelInfo m = *a->catalog().model(QStringLiteral("mock-small"));
        m.outputPrice += 7;
        QVERIFY(a->catalog().saveModel(m, t).ok());
        Customer c;
        c.identifier = QStringLiteral("acme");
        QVERIFY(a->customers().saveCustomer(c, t).ok());
        QVERIFY(b->access().authenticate(key->secret).ok());
        QVERIFY(!b->customers().customerByIdentifier(QStringLiteral("acme")));

        // ...until b's module reloads its part, and only that part.
        QVERIFY(b->access().reload().ok());
        QVERIFY(!b->access().authenticate(key->secret).ok());
        QVERIFY(!b->directory().user(ada->id)->policyOverride); // the directory was not reloaded
        QVERIFY(b->directory().reload().ok());
        QCOMPARE(b->directory().effectivePolicy(ada->id)[Dimension::MonthlyCost].value.value, 3 * kNanosPerDollar);
        QCOMPARE(b->catalog().model(QStringLiteral("mock-small"))->outputPrice, m.outputPrice - 7);
        QVERIFY(b->catalog().reload().ok());
        QCOMPARE(b->catalog().model(QStringLiteral("mock-small"))->outputPrice, m.outputPrice);
        QVERIFY(b->customers().reload().ok());
        QVERIFY(b->customers().customerByIdentifier(QStringLiteral("acme")));

        // The enforcement of b resolves from b's snapshot: the new limit is in force there now.
        const Preflight p = b->enforcement().preflight({0, ada->id, 0, QStringLiteral("mock-small")});
        QVERIFY(p.allowed);
        const auto limit = std::find_if(p.checks.cbegin(), p.checks.cend(),
                                        [](const LimitCheck& ch) { return ch.setting == u"monthlyCostLimit"; });
        QVERIFY(limit != p.checks.cend());
        QCOMPARE(limit->limit, 3 * kNanosPerDollar);
    }

    void shardedTablesBehaveAsOneHashAndCopyApart()
    {
        ShardedHash<Id, QString> a;
        for (Id i = 1; i <= 1000; ++i)
            a.insert(i, QString::number(i));
        a.insert(5, QStringLiteral("five")); // replaces
        QCOMPARE(a.size(), qsizetype(1000));
        QVERIFY(a.remove(7));
        QVERIFY(!a.remove(7));
        QCOMPARE(a.size(), qsizetype(999));
        QCOMPARE(*a.get(5), QStringLiteral("five"));
        QVERIFY(!a.get(7));
        qsizetype seen = 0;
        Id sum = 0;
        for (auto it = a.begin(); it != a.end(); ++it) {
            ++seen;
            sum += it.key();
        }
        QCOMPARE(seen, a.size());
        QCOMPARE(sum, Id(1000 * 1001 / 2 - 7));
        QCOMPARE(a.values().size(), a.size());

        const ShardedHash<Id, QString> copy = a; // a snapshot's copy: changing the original leaves it alone
        a[5] = QStringLiteral("changed");
        a.insert(2000, QStringLiteral("new"));
        QCOMPARE(*copy.get(5), QStringLiteral("five"));
        QVERIFY(!copy.get(2000));
        QCOMPARE(copy.size(), qsizetype(999));
        QCOMPARE(a.size(), qsizetype(1000));
        a.clear();
        QVERIFY(a.isEmpty() && a.begin() == a.end());
    }

    void theGroupWalkIsTheSnapshots()
    {
        auto s = open(QStringLiteral("groups.sqlite"));
        auto eng = s->directory().createGroup(QStringLiteral("Engineering"), 0, t);
        auto backend = s->directory().createGroup(QStringLiteral("Backend"), eng->id, t);
        auto db = s->directory().createGroup(QStringLiteral("Databases"), backend->id, t);
        auto ops = s->directory().createGroup(QStringLiteral("Ops"), 0, t);
        auto ann = s->directory().createUser(
            {QStringLiteral("ann@example.com"), QStringLiteral("Ann"), UserStatus::Active, {db->id, ops->id}, {}}, t);
        const SnapshotPtr snap = s->snapshot();
        QCOMPARE(snap->groupsOf(*snap->user(ann->id)), QList<Id>({eng->id, backend->id, db->id, ops->id}));
        QCOMPARE(s->directory().groupsOfUser(ann->id), snap->groupsOf(*snap->user(ann->id)));
        QList<Id> tree = snap->subtree(eng->id);
        std::sort(tree.begin(), tree.end());
        QCOMPARE(tree, QList<Id>({eng->id, backend->id, db->id}));
        QVERIFY(snap->wouldCycle(eng->id, db->id));
        QVERIFY(!snap->wouldCycle(db->id, ops->id));
        QCOMPARE(snap->membersOf(db->id), QList<Id>({ann->id}));
    }
};

QTEST_GUILESS_MAIN(TestModules)
#include "test_modules.moc"
