// Durable metering: the usage journal (a record is durable once appended; a restart replays exactly what the database
// lacks) and the usage writer in front of it.

#include "core/metering/journal.h"
#include "core/metering/usagewriter.h"
#include "core/service/service.h"

#include <QDir>
#include <QFile>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace tollgate;

class TestMetering final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_serial = 0;
    ManualClock m_clock {1'790'000'000'000};

    std::unique_ptr<Service> open(const QString& file)
    {
        auto s = Service::open(*DatabaseLocation::parse(file), m_clock);
        if (!s.ok())
            qFatal("cannot open: %s", qPrintable(s.error().toString()));
        return std::move(s.value());
    }
    QString newFile() { return m_dir.filePath(QStringLiteral("m%1.sqlite").arg(++m_serial)); }

    static UsageRecord record(int n)
    {
        UsageRecord r;
        r.time = 1'790'000'000'000 + n;
        r.requestId = QStringLiteral("req_%1").arg(n);
        r.model = QStringLiteral("mock-small");
        r.inputTokens = 10 + n;
        r.outputTokens = 5;
        r.cost = 1000 + n;
        return r;
    }
    static QStringList requestIds(Service& s)
    {
        QSqlQuery q(s.database().connection());
        q.exec(QStringLiteral("SELECT request_id FROM usage_records ORDER BY request_id"));
        QStringList ids;
        while (q.next())
            ids << q.value(0).toString();
        return ids;
    }
    static QStringList ids(int from, int to)
    {
        QStringList out;
        for (int n = from; n <= to; ++n)
            out << QStringLiteral("req_%1").arg(n);
        out.sort();
        return out;
    }

private slots:
    void aRecordSurvivesTheLineFormat()
    {
        UsageRecord r = record(7);
        r.orgId = 1;
        r.keyId = 2;
        r.projectId = 3;
        r.userId = 4;
        r.customerId = 5;
        r.providerId = 6;
        r.model = QStringLiteral("openai/gpt-4o\tmini%41");
        r.detail = QStringLiteral("line one\nline two\r\n100 % über");
        r.status = UsageStatus::Cancelled;
        r.latencyMs = 1234;
        r.streamed = true;
        r.estimated = true;
        r.cachedTokens = 9;
        const QByteArray line = UsageJournal::encode(r);
        QVERIFY(line.endsWith('\n'));
        QCOMPARE(line.count('\n'), 1); // one line, whatever the text holds
        const auto back = UsageJournal::decode(QByteArrayView(line).chopped(1));
        QVERIFY(back);
        QCOMPARE(back->model, r.model);
        QCOMPARE(back->detail, r.detail);
        QCOMPARE(back->requestId, r.requestId);
        QCOMPARE(back->status, UsageStatus::Cancelled);
        QCOMPARE(back->time, r.time);
        QCOMPARE(back->cost, r.cost);
        QCOMPARE(back->userId, 4);
        QCOMPARE(back->customerId, 5);
        QCOMPARE(back->latencyMs, 1234);
        QVERIFY(back->streamed && back->estimated);
        QCOMPARE(back->cachedTokens, 9);
        QVERIFY(!back->groupIds); // unknown: filled in when written
        r.groupIds = QList<Id> {3, 12};
        QCOMPARE(UsageJournal::decode(QByteArrayView(UsageJournal::encode(r)).chopped(1))->groupIds, r.groupIds);
        r.groupIds = QList<Id>();
        QCOMPARE(UsageJournal::decode(QByteArrayView(UsageJournal::encode(r)).chopped(1))->groupIds, r.groupIds);
        // A line from before records carried their groups (19 fields) still reads.
        const QByteArray old = line.left(line.lastIndexOf('\t'));
        QVERIFY(UsageJournal::decode(old) && !UsageJournal::decode(old)->groupIds);
        QVERIFY(!UsageJournal::decode("u\t1\tx")); // too few fields
        QVERIFY(!UsageJournal::decode(QByteArray(line).replace("cancelled", "nope").chopped(1))); // unknown status
    }

    // Whatever the umask, the database, its WAL and shared memory and the usage journal are their owner's only, in a
    // folder made for them that is too.
    void theFilesArePrivate()
    {
        const mode_t before = ::umask(0022);
        const QString folder = m_dir.filePath(QStringLiteral("private/data"));
        const QString file = folder + QStringLiteral("/tollgate.db");
        {
            auto s = open(file);
            auto journal = UsageJournal::open(*s, UsageJournal::basePath(*DatabaseLocation::parse(file)));
            QVERIFY(journal.ok());
            QVERIFY((*journal)->append(record(1)).ok());
            QVERIFY(s->usage().recordUsage({record(1)}).ok());
            const auto mode = [](const QString& path) {
                struct stat st = {};
                return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
            };
            const int owner = 0600;
            QCOMPARE(mode(folder), 0700);
            QStringList files = QDir(folder).entryList(QDir::Files);
            QVERIFY2(files.contains(QStringLiteral("tollgate.db-wal")), qPrintable(files.join(u' ')));
            for (const QString& f : files)
                if (!f.endsWith(QLatin1String(".lock"))) // QLockFile's: a process id
                    QVERIFY2(mode(folder + u'/' + f) == owner, qPrintable(f));
        }
        ::umask(before);
    }

    void aRestartReplaysExactlyWhatTheDatabaseLacks()
    {
        const QString file = newFile();
        const QString base = UsageJournal::basePath(*DatabaseLocation::parse(file));
        QCOMPARE(base, file + QStringLiteral(".usage-journal"));
        {
            auto s = open(file);
            auto journal = UsageJournal::open(*s, base);
            QVERIFY(journal.ok());
            // Records 1-3 reach the database with their mark; 4-6 are only journalled when the process "dies".
            qint64 end = 0;
            QList<UsageRecord> applied;
            for (int n = 1; n <= 6; ++n) {
                auto r = (*journal)->append(record(n));
                QVERIFY(r.ok());
                if (n <= 3) {
                    applied << record(n);
                    end = *r;
                }
            }
            const JournalMark mark {(*journal)->name(), end};
            QVERIFY(s->usage().recordUsage(applied, &mark).ok());
            // A crash mid-write leaves half a line: its response never completed, so it is not charged.
            QFile f((*journal)->path());
            QVERIFY(f.open(QIODevice::Append));
            f.write(UsageJournal::encode(record(99)).left(20));
        }
        auto s = open(file);
        auto replayed = UsageJournal::recover(*s, base);
        QVERIFY(replayed.ok());
        QCOMPARE(*replayed, 3);
        QCOMPARE(requestIds(*s), ids(1, 6));
        // Replayed and emptied: a second start replays nothing, nothing is counted twice.
        QCOMPARE(*UsageJournal::recover(*s, base), 0);
        QCOMPARE(requestIds(*s).size(), 6);
        // The rollups took the replayed records too.
        UsageQuery q;
        q.from = 1'789'900'000'000;
        q.to = 1'790'100'000'000;
        auto report = s->usage().usageReport(q);
        QVERIFY(report.ok());
        QCOMPARE(report->total.requests, 6);
    }

    void anEmptiedJournalStartsOverUnderANewName()
    {
        // Emptying must not depend on the database: were the old name's mark kept (a database refusing the note),
        // records appended after it must still be replayed, none skipped.
        const QString file = newFile();
        const QString base = UsageJournal::basePath(*DatabaseLocation::parse(file));
        auto s = open(file);
        QString firstName;
        {
            auto journal = UsageJournal::open(*s, base);
            QVERIFY(journal.ok());
            UsageJournal& j = **journal;
            firstName = j.name();
            QList<UsageRecord> applied;
            qint64 end = 0;
            for (int n = 1; n <= 3; ++n) {
                applied << record(n);
                end = *j.append(record(n));
            }
            const JournalMark mark {j.name(), end};
            QVERIFY(s->usage().recordUsage(applied, &mark).ok());
            QSqlQuery q(s->database().connection());
            QVERIFY(q.exec(QStringLiteral("ALTER TABLE usage_journal RENAME TO usage_journal_away")));
            QVERIFY(j.reset(*s).ok()); // the database refuses to forget the old mark: no matter
            QVERIFY(q.exec(QStringLiteral("ALTER TABLE usage_journal_away RENAME TO usage_journal")));
            QVERIFY(j.name() != firstName);
            for (int n = 4; n <= 12; ++n) // past the old mark's offset
                QVERIFY(j.append(record(n)).ok());
            QVERIFY(j.size() > end);
        }
        QCOMPARE(*UsageJournal::recover(*s, base), 9);
        QCOMPARE(requestIds(*s), ids(1, 12));
    }

    void aSecondInstanceTakesItsOwnJournal()
    {
        const QString file = newFile();
        const QString base = UsageJournal::basePath(*DatabaseLocation::parse(file));
        auto s = open(file);
        auto first = UsageJournal::open(*s, base);
        auto second = UsageJournal::open(*s, base);
        QVERIFY(first.ok() && second.ok());
        QCOMPARE((*first)->path(), base);
        QCOMPARE((*second)->path(), base + QStringLiteral(".2"));
        QVERIFY((*first)->name() != (*second)->name());
        QVERIFY((*second)->append(record(1)).ok());
        // While both run, recovery leaves both alone.
        QCOMPARE(*UsageJournal::recover(*s, base), 0);
        second.value().reset(); // the second instance stops without writing its record to the database
        QCOMPARE(*UsageJournal::recover(*s, base), 1);
        QCOMPARE(requestIds(*s), ids(1, 1));
        QVERIFY(!QFile::exists(base + QStringLiteral(".2"))); // an extra instance's journal goes once applied
        QVERIFY(QFile::exists(base));
    }

    void notAJournalIsRefusedAndKept()
    {
        const QString file = newFile();
        const QString base = UsageJournal::basePath(*DatabaseLocation::parse(file));
        {
            QFile f(base);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("something else entirely\n");
        }
        auto s = open(file);
        auto r = UsageJournal::open(*s, base);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.contains(QStringLiteral("is not a usage journal")), qPrintable(r.error().message));
        QVERIFY(QFile::exists(base));
    }

    void theWriterAnswersOnceJournalledAndReportsWaitForTheDatabase()
    {
        const QString file = newFile();
        auto s = open(file);
        auto journal = UsageJournal::open(*s, UsageJournal::basePath(s->database().location()));
        QVERIFY(journal.ok());
        UsageWriter writer(*s, std::move(*journal));
        QVERIFY(writer.journalled());
        for (int n = 1; n <= 200; ++n) {
            std::optional<bool> durable;
            writer.submit(record(n), [&durable](const Status& st) { durable = st.ok(); });
            QVERIFY(durable.has_value()); // decided before submit returned
            QVERIFY(*durable);
        }
        // A report right after the answers includes them all (the service waits for the writer).
        UsageQuery q;
        q.from = 1'789'900'000'000;
        q.to = 1'790'100'000'000;
        QCOMPARE(s->usage().usageReport(q)->total.requests, 200);
        QCOMPARE(writer.written(), 200);
        QCOMPARE(writer.queueDepth(), 0);
    }

    void recordsWaitInTheJournalWhileTheDatabaseRefusesThem()
    {
        const QString file = newFile();
        auto s = open(file);
        const QString base = UsageJournal::basePath(s->database().location());
        {
            auto journal = UsageJournal::open(*s, base);
            QVERIFY(journal.ok());
            UsageWriter writer(*s, std::move(*journal));
            QSqlQuery q(s->database().connection());
            QVERIFY(q.exec(QStringLiteral("ALTER TABLE usage_records RENAME TO usage_records_away")));
            bool durable = false;
            writer.submit(record(1), [&durable](const Status& st) { durable = st.ok(); });
            QVERIFY(durable); // answered: it is in the journal
            writer.flush(); // returns although the database refuses the record
            QCOMPARE(writer.written(), 0);
            QCOMPARE(writer.queueDepth(), 1);
            QVERIFY(q.exec(QStringLiteral("ALTER TABLE usage_records_away RENAME TO usage_records")));
            QTRY_COMPARE_WITH_TIMEOUT(writer.written(), 1, 10'000); // taken on the next attempt
            QVERIFY(q.exec(QStringLiteral("ALTER TABLE usage_records RENAME TO usage_records_away")));
            writer.submit(record(2), {});
            // Stopping while the database still refuses: the record stays journalled.
        }
        QSqlQuery q(s->database().connection());
        QVERIFY(q.exec(QStringLiteral("ALTER TABLE usage_records_away RENAME TO usage_records")));
        QCOMPARE(*UsageJournal::recover(*s, base), 1);
        QCOMPARE(requestIds(*s), ids(1, 2));
    }

    void anInMemoryDatabaseHasNoJournal()
    {
        QCOMPARE(UsageJournal::basePath(*DatabaseLocation::parse(QStringLiteral(":memory:"))), QString());
        const QString pg = UsageJournal::basePath(
            *DatabaseLocation::parse(QStringLiteral("postgresql://tollgate:secret@db.example:5433/usage")));
        QVERIFY2(pg.contains(QStringLiteral("usage-journals/tollgate_db.example_5433_usage-")), qPrintable(pg));
        QVERIFY(!pg.contains(QStringLiteral("secret")));
    }
};

QTEST_GUILESS_MAIN(TestMetering)
#include "test_metering.moc"
