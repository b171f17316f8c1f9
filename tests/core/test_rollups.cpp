// Reading the rollups as whole months and weeks minus days (core/service/rollupread.h): the plan covers exactly the
// range, and reports read that way agree with the records themselves.

#include "core/domain/clock.h"
#include "core/service/service.h"
#include "core/storage/database.h"
#include "core/usage/rollupread.h"
#include "reportcheck.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <future>

using namespace tollgate;

class TestRollups : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    static QList<Instant> daysBetween(Instant from, Instant to, const QTimeZone& zone)
    {
        QList<Instant> days;
        for (Instant t = from; t < to; t = Calendar::compute(WindowKind::Day, t, zone).end)
            days.append(t);
        return days;
    }
    static Instant dayStart(const QDate& date, const QTimeZone& zone)
    {
        return QDateTime(date, QTime(0, 0), zone).toMSecsSinceEpoch();
    }

private slots:
    // Every used day is counted once when it is in the range and not at all when it is not, whatever mix of months,
    // weeks and days the plan chose; across the daylight-saving changes of Berlin.
    void aPlanCoversExactlyTheRange()
    {
        const QTimeZone zone("Europe/Berlin");
        const QList<Instant> all =
            daysBetween(dayStart(QDate(2026, 1, 1), zone), dayStart(QDate(2027, 3, 1), zone), zone);
        QRandomGenerator rng(7);
        int monthsUsed = 0, weeksUsed = 0, weeksTakenAway = 0;
        for (int round = 0; round < 400; ++round) {
            // Usage on most days, or on few.
            const int density = round % 3 == 0 ? 20 : 90;
            QList<Instant> used;
            for (Instant d : all)
                if (int(rng.bounded(100)) < density)
                    used.append(d);
            const int a = 31 + int(rng.bounded(int(all.size()) - 62));
            const int b = std::min<int>(int(all.size()) - 31, a + 1 + int(rng.bounded(120)));
            const Instant from = all[a];
            const Instant to = all[b];
            const QList<RollupSegment> plan = planRollups(from, to, zone, used);
            QMap<Instant, int> counted;
            for (const RollupSegment& s : plan) {
                const WindowKind kind = s.period == RollupPeriod::Day ? WindowKind::Day
                    : s.period == RollupPeriod::Week                  ? WindowKind::Week
                                                                      : WindowKind::Month;
                const Window w = Calendar::compute(kind, s.start, zone);
                QCOMPARE(w.start, s.start); // rows start where their period does
                for (Instant d : used)
                    if (w.contains(d))
                        counted[d] += s.coefficient;
                monthsUsed += s.period == RollupPeriod::Month;
                weeksUsed += s.period == RollupPeriod::Week;
                weeksTakenAway += s.period == RollupPeriod::Week && s.coefficient < 0;
            }
            for (Instant d : used)
                QCOMPARE(counted.value(d), d >= from && d < to ? 1 : 0);
            // Never more rows than the days themselves.
            qsizetype inRange = 0;
            for (Instant d : used)
                inRange += d >= from && d < to;
            QVERIFY(plan.size() <= inRange);
        }
        // The cases above did exercise months, weeks and weeks given back.
        QVERIFY(monthsUsed > 50);
        QVERIFY(weeksUsed > 50);
        QVERIFY(weeksTakenAway > 0);
    }

    void aFullMonthIsOneRow()
    {
        const QTimeZone zone("America/Los_Angeles");
        const Instant from = dayStart(QDate(2026, 11, 1), zone);
        const Instant to = dayStart(QDate(2026, 12, 1), zone);
        const QList<Instant> used =
            daysBetween(dayStart(QDate(2026, 10, 20), zone), dayStart(QDate(2026, 12, 10), zone), zone);
        const QList<RollupSegment> plan = planRollups(from, to, zone, used);
        QCOMPARE(plan, (QList<RollupSegment> {{RollupPeriod::Month, from, 1}}));
        // Thirty days from the 3rd: the month, less two days.
        const Instant third = dayStart(QDate(2026, 11, 3), zone);
        const QList<RollupSegment> shifted = planRollups(third, dayStart(QDate(2026, 12, 3), zone), zone, used);
        QCOMPARE(shifted.size(), 5);
        QCOMPARE(shifted.first(), (RollupSegment {RollupPeriod::Month, from, 1}));
        // Only days with usage matter: a month whose other days are empty is read whole.
        const QList<Instant> lateOnly = daysBetween(third, to, zone);
        QCOMPARE(planRollups(third, to, zone, lateOnly), (QList<RollupSegment> {{RollupPeriod::Month, from, 1}}));
    }

    // Thousands of keys (the sums' table grows several times): every user's month to date is their own.
    void manyKeysAddUp()
    {
        ManualClock clock(dayStart(QDate(2026, 11, 22), QTimeZone("UTC")) + 15 * 3'600'000LL);
        auto opened = Service::open(DatabaseLocation::parse(m_dir.filePath(QStringLiteral("many.db"))).value(), clock);
        QVERIFY(opened.ok());
        Service& s = *opened.value();
        QList<NewUser> batch;
        for (int i = 0; i < 3000; ++i)
            batch.append(
                {QStringLiteral("m%1@x.org").arg(i), QStringLiteral("M%1").arg(i), UserStatus::Active, {}, {}});
        const QList<User> users = s.directory().createUsers(batch, {}).value();
        QList<UsageRecord> records;
        QHash<Id, Money> expected;
        QHash<Id, Money> earlier; // the 20th and 21st: two day rows per user
        const Instant twentieth = dayStart(QDate(2026, 11, 20), QTimeZone("UTC"));
        const Instant today = dayStart(QDate(2026, 11, 22), QTimeZone("UTC"));
        for (int i = 0; i < 9000; ++i) {
            UsageRecord r;
            r.time = clock.now() - ((i / 3000) * 24 + i % 3) * 3'600'000LL; // today, yesterday, the day before
            r.orgId = s.directory().organization().id;
            r.userId = users[(i * 7) % users.size()].id; // three records each
            r.model = QStringLiteral("mock-small");
            r.cost = 1 + i;
            if (r.time >= dayStart(QDate(2026, 11, 1), QTimeZone("UTC")))
                expected[r.userId] += r.cost;
            if (r.time >= twentieth && r.time < today)
                earlier[r.userId] += r.cost;
            records.append(r);
        }
        QVERIFY(s.usage().recordUsage(records).ok());
        QCOMPARE(s.usage().monthToDateSpend(UsageDimension::User).value(), expected);
        // The top ten of two days, each with its whole total.
        QList<std::pair<Money, Id>> ranked;
        for (auto it = earlier.cbegin(); it != earlier.cend(); ++it)
            ranked.append({it.value(), it.key()});
        std::sort(ranked.begin(), ranked.end(), std::greater<>());
        UsageQuery q;
        q.from = twentieth;
        q.to = today;
        q.groupBy = UsageDimension::User;
        q.top = 10;
        const UsageReport top = s.usage().usageReport(q).value();
        QCOMPARE(top.rows.size(), 10);
        for (int i = 0; i < 10; ++i) {
            QCOMPARE(top.rows[i].key, QString::number(ranked[i].second));
            QCOMPARE(top.rows[i].totals.cost, ranked[i].first);
        }
        // Callers ranking the same range at the same time share one read and each get the whole answer.
        std::vector<std::future<UsageReport>> side;
        for (int i = 0; i < 8; ++i)
            side.push_back(std::async(std::launch::async, [&s, q, i] {
                UsageQuery mine = q;
                mine.top = 3 + i;
                return s.usage().usageReport(mine).value();
            }));
        for (int i = 0; i < 8; ++i) {
            const UsageReport r = side[size_t(i)].get();
            QCOMPARE(r.rows.size(), 3 + i);
            for (int j = 0; j < r.rows.size(); ++j) {
                QCOMPARE(r.rows[j].key, top.rows[j].key);
                QCOMPARE(r.rows[j].totals.cost, top.rows[j].totals.cost);
            }
        }
    }

    // A database from before records carried their groups: its records count for their users' groups as they are
    // at the upgrade, and the rollups are rebuilt with weeks and groups.
    void olderRecordsGetTheirUsersGroups()
    {
        const QString file = m_dir.filePath(QStringLiteral("old.db"));
        ManualClock clock(dayStart(QDate(2026, 11, 18), QTimeZone("UTC")) + 3'600'000LL);
        Id team = 0;
        Id ann = 0;
        {
            auto s = Service::open(DatabaseLocation::parse(file).value(), clock).value();
            team = s->directory().createGroup(QStringLiteral("Team"), 0, {})->id;
            ann = s->directory()
                      .createUser({QStringLiteral("ann@x.org"), QStringLiteral("Ann"), UserStatus::Active, {team}, {}},
                                  {})
                      ->id;
            UsageRecord r;
            r.time = clock.now();
            r.orgId = s->directory().organization().id;
            r.userId = ann;
            r.model = QStringLiteral("mock-small");
            r.cost = 5000;
            QVERIFY(s->usage().recordUsage({r, r}).ok());
            // As version 5 left it: no groups on the records, no group or week rows, and the rollups to be rebuilt.
            QSqlDatabase db = s->database().connection();
            for (const char* sql :
                 {"UPDATE usage_records SET group_ids = NULL",
                  "DELETE FROM usage_rollups WHERE dimension = 2 OR period = 2", "DELETE FROM usage_rollup_zone"})
                QVERIFY(runSql(db, QString::fromLatin1(sql)).ok());
        }
        auto s = Service::open(DatabaseLocation::parse(file).value(), clock).value();
        QCOMPARE(s->usage().usageLog({}).value().first().groupIds, (std::optional<QList<Id>>(QList<Id> {team})));
        QCOMPARE(s->usage().monthToDateSpend(UsageDimension::Group).value(), (QHash<Id, Money> {{team, 10000}}));
        UsageQuery week; // the group dimension, rebuilt
        week.from = dayStart(QDate(2026, 11, 16), QTimeZone("UTC"));
        week.to = dayStart(QDate(2026, 11, 23), QTimeZone("UTC"));
        week.groupBy = UsageDimension::Group;
        const UsageReport r = s->usage().usageReport(week).value();
        QCOMPARE(r.rows.size(), 1);
        QCOMPARE(r.rows.first().key, QString::number(team));
        QCOMPARE(r.rows.first().totals.requests, 2);
    }

    // Reports over random ranges and buckets read from the rollups equal the same reports over the records. On
    // SQLite; on an empty PostgreSQL database when TOLLGATE_TEST_POSTGRES names one (tests/postgres/shared.py).
    void reportsAgreeWithTheRecords()
    {
        ManualClock clock(dayStart(QDate(2026, 11, 22), QTimeZone("Europe/Berlin")) + 15 * 3'600'000LL);
        const QString postgres = qEnvironmentVariable("TOLLGATE_TEST_POSTGRES");
        const auto location =
            DatabaseLocation::parse(postgres.isEmpty() ? m_dir.filePath(QStringLiteral("r.db")) : postgres);
        QVERIFY(location.ok());
        qInfo("on %s", location->kind == Dialect::Kind::PostgreSQL ? "PostgreSQL" : "SQLite");
        auto opened = Service::open(location.value(), clock);
        QVERIFY(opened.ok());
        Service& s = *opened.value();
        Organization org = s.directory().organization();
        org.timezone = QStringLiteral("Europe/Berlin");
        QVERIFY(s.directory().updateOrganization(org, {}).ok());
        const QTimeZone zone("Europe/Berlin");
        const Id team = s.directory().createGroup(QStringLiteral("Team"), 0, {})->id;
        QList<Id> users;
        for (int i = 0; i < 30; ++i) {
            NewUser n {QStringLiteral("u%1@x.org").arg(i),
                       QStringLiteral("U%1").arg(i),
                       UserStatus::Active,
                       i % 3 ? QList<Id> {} : QList<Id> {team},
                       {}};
            users << s.directory().createUser(n, {})->id;
        }
        QRandomGenerator rng(11);
        QList<UsageRecord> records;
        const Instant now = clock.now();
        for (int i = 0; i < 6000; ++i) {
            UsageRecord r;
            r.time = now - qint64(rng.bounded(150 * 86'400)) * 1000; // five months, across the October DST change
            r.orgId = org.id;
            r.userId = users[int(rng.bounded(int(users.size())))];
            r.model = i % 4 ? QStringLiteral("mock-small") : QStringLiteral("mock-large");
            r.status = i % 13 ? UsageStatus::Ok : UsageStatus::Denied;
            r.inputTokens = rng.bounded(500);
            r.outputTokens = rng.bounded(200);
            r.cost = r.status == UsageStatus::Denied ? 0 : 1000 + rng.bounded(100'000);
            records << r;
        }
        QVERIFY(s.usage().recordUsage(records).ok());
        const QList<Instant> days = daysBetween(now - 160 * 86'400'000LL, now + 2 * 86'400'000LL, zone);
        for (int round = 0; round < 60; ++round) {
            const int a = int(rng.bounded(int(days.size()) - 2));
            const int b = std::min<int>(int(days.size()) - 1, a + 1 + int(rng.bounded(100)));
            UsageQuery q;
            q.from = Calendar::compute(WindowKind::Day, days[a], zone).start;
            q.to = Calendar::compute(WindowKind::Day, days[b], zone).start;
            const std::array granularities {WindowKind::Lifetime, WindowKind::Day, WindowKind::Week, WindowKind::Month};
            q.granularity = granularities[round % 4];
            const std::array by {UsageDimension::User, UsageDimension::Model, UsageDimension::None,
                                 UsageDimension::Group};
            q.groupBy = by[(round / 4) % 4];
            q.top = round % 3 == 0 ? 5 : 0;
            if (round % 7 == 0)
                q.userId = users[round % users.size()];
            const UsageReport fromRollups = s.usage().usageReport(q).value();
            q.from -= 1; // not at midnight: the records themselves
            const UsageReport fromRecords = s.usage().usageReport(q).value();
            compareReports(fromRollups, fromRecords);
            if (QTest::currentTestFailed())
                return;
        }
    }
};

QTEST_GUILESS_MAIN(TestRollups)
#include "test_rollups.moc"
