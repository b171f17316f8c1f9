// The console's speed targets, measured on a real service with many users and usage records (offscreen):
//   the users page with 100,000 users opens in <= 1 s and filters as you type in <= 50 ms;
//   the dashboard over 10 million usage records draws in <= 300 ms.
// Each figure is printed with a baseline run in the same process: a plain QSortFilterProxyModel filter for the
// users table, the same dashboard query over the raw records (no rollups) for the dashboard.
//
//   bench_console [--users N] [--records M] [--db FILE]
// With --db, the database is kept in FILE and a later run on the same file skips the setup.

#include "core/service/service.h"
#include "core/usage/rollupread.h"
#include "ui/console.h"
#include "ui/dashboard/dashboarddata.h"
#include "ui/dashboard/dashboardpage.h"
#include "ui/screenshots.h"
#include "ui/users/userdelegates.h"
#include "ui/users/usersmodel.h"
#include "ui/users/userspage.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTextStream>

#include <cstdio>

using namespace tollgate;

namespace {

QTextStream out(stdout);

double ms(const QElapsedTimer& t) { return double(t.nsecsElapsed()) / 1e6; }

qint64 argument(const QStringList& args, const QString& name, qint64 fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args[i + 1].toLongLong() : fallback;
}

// Users in nested groups, and usage records over the last 90 days.
void setUp(Service& s, qint64 userCount, qint64 recordCount)
{
    QElapsedTimer t;
    t.start();
    QList<Id> groups;
    for (int g = 0; g < 20; ++g)
        groups << s.directory().createGroup(QStringLiteral("Team %1").arg(g), g >= 10 ? groups[g - 10] : 0, {})->id;
    QList<Id> users;
    for (qint64 done = 0; done < userCount;) {
        QList<NewUser> batch;
        for (int i = 0; i < 10'000 && done < userCount; ++i, ++done) {
            NewUser n;
            n.email = QStringLiteral("person%1@example.org").arg(done);
            n.name = QStringLiteral("Person %1 %2").arg(done).arg(QChar(char16_t(u'A' + done % 26)));
            n.groupIds = {groups[done % groups.size()]};
            batch << n;
        }
        auto created = s.directory().createUsers(batch, {});
        if (!created.ok())
            qFatal("%s", qPrintable(created.error().toString()));
        for (const User& u : std::as_const(created.value()))
            users << u.id;
    }
    out << QStringLiteral("setup: %1 users in %2 ms\n").arg(userCount).arg(qint64(ms(t)));

    // Usage records over the last 90 days.
    t.restart();
    const Instant now = s.clock().now();
    QStringList models {
        QStringLiteral("gpt-4o"),           QStringLiteral("gpt-4o-mini"), QStringLiteral("claude-sonnet-4-5"),
        QStringLiteral("claude-haiku-4-5"), QStringLiteral("mock-small"),  QStringLiteral("gpt-5")};
    QRandomGenerator rng(42);
    for (qint64 done = 0; done < recordCount;) {
        QList<UsageRecord> batch;
        batch.reserve(100'000);
        for (int i = 0; i < 100'000 && done < recordCount; ++i, ++done) {
            UsageRecord r;
            r.time = now - qint64(rng.bounded(90 * 86'400)) * 1000;
            r.orgId = s.directory().organization().id;
            r.userId = users[rng.bounded(int(users.size()))];
            r.model = models[rng.bounded(int(models.size()))];
            r.inputTokens = rng.bounded(4000);
            r.outputTokens = rng.bounded(1000);
            r.cost = r.inputTokens * 2'500 + r.outputTokens * 10'000;
            batch << r;
        }
        if (Status st = s.usage().recordUsage(batch); !st.ok())
            qFatal("%s", qPrintable(st.error().toString()));
    }
    const double writeMs = ms(t);
    out << QStringLiteral("setup: %1 usage records written in %2 s (%3 records/s, in batches of 100,000 with "
                          "their rollups)\n")
               .arg(recordCount)
               .arg(writeMs / 1000.0, 0, 'f', 1)
               .arg(qint64(double(recordCount) / (writeMs / 1000.0)));
    out.flush();
}

} // namespace

int main(int argc, char* argv[])
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    const qint64 userCount = argument(args, QStringLiteral("--users"), 100'000);
    const qint64 recordCount = argument(args, QStringLiteral("--records"), 10'000'000);
    QTemporaryDir dir;
    const qsizetype dbArg = args.indexOf(QStringLiteral("--db"));
    const QString dbFile =
        dbArg >= 0 && dbArg + 1 < args.size() ? args[dbArg + 1] : dir.filePath(QStringLiteral("bench.db"));
    auto service = Service::open(DatabaseLocation::parse(dbFile).value(), SystemClock::instance());
    if (!service.ok())
        qFatal("%s", qPrintable(service.error().toString()));
    Service& s = *service.value();
    if (s.usage().usageRecordCount() == 0)
        setUp(s, userCount, recordCount);
    else
        out << QStringLiteral("setup: kept from %1: %2 users, %3 usage records\n")
                   .arg(dbFile)
                   .arg(s.directory().users().size())
                   .arg(s.usage().usageRecordCount());

    QElapsedTimer t;
    const Instant now = s.clock().now();
    Console console(s, nullptr);

    // 1. The users page opens: load off the GUI thread, hand the rows to the model, lay out and paint the view.
    UsersPage page(console);
    page.resize(1200, 800);
    QSignalSpy loaded(&page, &UsersPage::loaded);
    t.restart();
    page.show();
    while (loaded.isEmpty())
        QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    page.view()->viewport()->repaint();
    const double openMs = ms(t);
    out << QStringLiteral("users page, %1 users: opened in %2 ms (target <= 1000)\n")
               .arg(page.model()->rowCount())
               .arg(openMs, 0, 'f', 1);

    // 2. Filtering as you type, keystroke by keystroke, against a plain proxy filtering the name column.
    const QStringList typed {QStringLiteral("p"),         QStringLiteral("pe"),         QStringLiteral("per"),
                             QStringLiteral("pers"),      QStringLiteral("person"),     QStringLiteral("person 9"),
                             QStringLiteral("person 99"), QStringLiteral("person 999"), QStringLiteral("person 9999")};
    QSortFilterProxyModel plain;
    plain.setSourceModel(page.model());
    plain.setFilterKeyColumn(UsersModel::Name);
    plain.setFilterCaseSensitivity(Qt::CaseInsensitive);
    plain.sort(UsersModel::Name);
    double worst = 0, worstPlain = 0;
    for (const QString& text : typed) {
        t.restart();
        page.filter()->setText(text);
        page.view()->viewport()->repaint();
        const double m = ms(t);
        t.restart();
        plain.setFilterFixedString(text);
        const double p = ms(t);
        worst = std::max(worst, m);
        worstPlain = std::max(worstPlain, p);
        out << QStringLiteral("  typed \"%1\": %2 rows in %3 ms (plain proxy on one column: %4 ms)\n")
                   .arg(text)
                   .arg(page.filter()->rowCount())
                   .arg(m, 0, 'f', 1)
                   .arg(p, 0, 'f', 1);
    }
    out << QStringLiteral("users page: slowest keystroke %1 ms (target <= 50); plain proxy %2 ms; ratio %3x\n")
               .arg(worst, 0, 'f', 1)
               .arg(worstPlain, 0, 'f', 1)
               .arg(worst / std::max(0.001, worstPlain), 0, 'f', 2);
    out.flush();

    // 3. The dashboard: read (rollups) and draw; then the same totals over the raw records.
    DashboardPage dashboard(console);
    dashboard.resize(1280, 800);
    dashboard.show();
    QApplication::processEvents();
    // As the page does it: charts and lists read side by side on the console's threads, each drawn on arrival;
    // then each part alone, stage by stage.
    auto* stackBy = dashboard.findChild<QComboBox*>(QStringLiteral("dashboardStackBy"));
    QSignalSpy chartsDrawn(&dashboard, &DashboardPage::chartsDrawn);
    QSignalSpy dashboardLoaded(&dashboard, &DashboardPage::loaded);
    const std::pair<DashboardData::StackBy, const char*> views[] {{DashboardData::StackBy::Model, "model"},
                                                                  {DashboardData::StackBy::Model, "model"},
                                                                  {DashboardData::StackBy::User, "user"},
                                                                  {DashboardData::StackBy::Group, "group"}};
    for (const auto& [by, byName] : views) {
        {
            const QSignalBlocker block(stackBy);
            stackBy->setCurrentIndex(stackBy->findData(int(by)));
        }
        chartsDrawn.clear();
        dashboardLoaded.clear();
        t.restart();
        dashboard.reload();
        double chartsMs = 0;
        while (dashboardLoaded.isEmpty()) {
            QApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
            if (!chartsDrawn.isEmpty() && chartsMs == 0) {
                dashboard.repaint();
                chartsMs = ms(t);
            }
        }
        dashboard.repaint();
        const double allMs = ms(t);
        QStringList stages;
        for (const int part : {int(DashboardData::Charts), int(DashboardData::TopUsers), int(DashboardData::Limits)}) {
            auto data = DashboardData::load(s, 30, by, part);
            if (!data.ok())
                qFatal("%s", qPrintable(data.error().toString()));
            for (const auto& [name, stageMs] : std::as_const(data->stageMs))
                stages << QStringLiteral("%1 %2 ms").arg(QLatin1String(name)).arg(stageMs);
        }
        out << QStringLiteral("dashboard, 30 days by %1 over %2 records: charts drawn in %3 ms, everything (top users, "
                              "limit use) in %4 ms (target <= 300); each alone: %5\n")
                   .arg(QLatin1String(byName))
                   .arg(s.usage().usageRecordCount())
                   .arg(chartsMs, 0, 'f', 1)
                   .arg(allMs, 0, 'f', 1)
                   .arg(stages.join(QStringLiteral(", ")));
        out.flush();
    }
    {
        const Window today =
            Calendar::compute(WindowKind::Day, now, QTimeZone(s.directory().organization().timezone.toUtf8()));
        UsageQuery q;
        q.to = today.end;
        q.from = today.end - 30LL * 86'400'000;
        q.groupBy = UsageDimension::Model;
        q.granularity = WindowKind::Day;
        t.restart();
        auto rolled = s.usage().usageReport(q);
        const double rollupMs = ms(t);
        q.from += 1; // not at midnight: the raw records
        t.restart();
        auto raw = s.usage().usageReport(q);
        const double rawMs = ms(t);
        out << QStringLiteral("spend per day by model, 30 days: rollups %1 ms, raw records %2 ms (%3x faster); "
                              "totals %4 / %5 requests\n")
                   .arg(rollupMs, 0, 'f', 1)
                   .arg(rawMs, 0, 'f', 1)
                   .arg(rawMs / std::max(0.001, rollupMs), 0, 'f', 1)
                   .arg(rolled->total.requests)
                   .arg(raw->total.requests);
    }
    out.flush();

    // 4. Top users over a rolling range, for every end day of the last 30 (the plan of months, weeks and days depends
    // on where the range falls in the calendar), against the same top N grouped from day rows alone.
    {
        const QTimeZone zone(s.directory().organization().timezone.toUtf8());
        const RollupReader reader(s.database().connection(), zone);
        for (const int length : {7, 30, 90}) {
            QList<double> times, plain;
            QList<qint64> rows;
            Instant end = Calendar::compute(WindowKind::Day, now, zone).end;
            for (int i = 0; i < 30; ++i) {
                Instant from = end;
                for (int d = 0; d < length; ++d)
                    from = Calendar::compute(WindowKind::Day, from - 1, zone).start;
                UsageQuery q;
                q.from = from;
                q.to = end;
                q.groupBy = UsageDimension::User;
                q.top = 10;
                t.restart();
                auto top = s.usage().usageReport(q);
                times << ms(t);
                if (!top.ok())
                    qFatal("%s", qPrintable(top.error().toString()));
                (void)reader.sums(UsageDimension::User, {{from, end}});
                rows << reader.rowsRead();
                if (i % 10 == 0) { // the way before: every day row of the range, grouped by SQLite
                    t.restart();
                    QSqlQuery g(s.database().connection());
                    g.prepare(QStringLiteral("SELECT key FROM usage_rollups WHERE period = 0 AND dimension = ?"
                                             " AND start >= ? AND start < ? GROUP BY key ORDER BY SUM(cost) DESC"
                                             " LIMIT 10"));
                    g.addBindValue(int(UsageDimension::User));
                    g.addBindValue(from);
                    g.addBindValue(end);
                    g.exec();
                    while (g.next()) { }
                    plain << ms(t);
                }
                end = Calendar::compute(WindowKind::Day, end - 1, zone).start;
            }
            std::sort(times.begin(), times.end());
            std::sort(rows.begin(), rows.end());
            std::sort(plain.begin(), plain.end());
            out << QStringLiteral("top 10 users over %1 days, ending on each of the last 30 days: median %2 ms, "
                                  "slowest %3 ms, rows read %4-%5; grouping the day rows: median %6 ms (%7x)\n")
                       .arg(length)
                       .arg(times[times.size() / 2], 0, 'f', 1)
                       .arg(times.last(), 0, 'f', 1)
                       .arg(rows.first())
                       .arg(rows.last())
                       .arg(plain[plain.size() / 2], 0, 'f', 1)
                       .arg(plain[plain.size() / 2] / std::max(0.001, times[times.size() / 2]), 0, 'f', 1);
            out.flush();
        }
    }
    console.waitForIdle();
    return 0;
}
