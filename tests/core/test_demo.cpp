// The demo organisation: realistic, consistent, resettable.

#include "core/demo/demo.h"

#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

class TestDemo final : public QObject
{
    Q_OBJECT

private slots:
    void loadsAndResets()
    {
        QTemporaryDir dir;
        ManualClock clock(QDateTime(QDate(2026, 11, 21), QTime(15, 0), QTimeZone::utc()).toMSecsSinceEpoch());
        auto s = std::move(
            Service::open(DatabaseLocation::parse(dir.filePath(QStringLiteral("d.db"))).value(), clock).value());
        auto demo = loadDemo(*s);
        QVERIFY2(demo.ok(), qPrintable(demo.ok() ? QString() : demo.error().toString()));
        QCOMPARE(demo->users, 50);
        QVERIFY(demo->groups >= 6);
        QVERIFY(demo->keys >= 10);
        QVERIFY(demo->customers >= 5);
        QVERIFY(demo->usageRecords > 10'000);
        QCOMPARE(s->usage().usageRecordCount(), demo->usageRecords);
        // Nested groups, and someone in two groups.
        bool nested = false;
        for (const Group& g : s->directory().groups())
            nested |= g.parentId != 0;
        QVERIFY(nested);
        bool inTwo = false;
        for (const User& u : s->directory().users())
            inTwo |= u.groupIds.size() > 1;
        QVERIFY(inTwo);
        // The sample key works and its holder can use a mock model now.
        auto key = s->access().authenticate(demo->sampleKeySecret);
        QVERIFY(key.ok());
        Preflight p;
        AdmissionAmounts a;
        a.inputCost = 1000;
        s->enforcement().explain({key->id, key->holderUserId, 0, QStringLiteral("mock-small")}, a, &p);
        QVERIFY2(p.allowed, qPrintable(p.reason));
        // 90 days of usage, none in the future.
        QSqlQuery q(s->database().connection());
        QVERIFY(q.exec(QStringLiteral("SELECT MIN(ts), MAX(ts), COUNT(DISTINCT model) FROM usage_records")));
        q.next();
        QVERIFY(q.value(1).toLongLong() <= clock.now());
        QVERIFY(clock.now() - q.value(0).toLongLong() > 85LL * 86'400'000);
        QVERIFY(q.value(2).toInt() >= 8);
        // Loading twice is refused; resetting gives the same organisation again.
        QVERIFY(!loadDemo(*s).ok());
        auto again = resetDemo(*s);
        QVERIFY(again.ok());
        QCOMPARE(again->usageRecords, demo->usageRecords);
        QCOMPARE(s->directory().userCount(), qint64(50));
    }
};

QTEST_GUILESS_MAIN(TestDemo)
#include "test_demo.moc"
