// The command line: parsing, and the real binary's --help, --version and headless commands without a display.

#include "app/commandline.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

class TestCommandLine final : public QObject
{
    Q_OBJECT

    struct Ran
    {
        int code = -1;
        QByteArray out;
        QByteArray err;
        int exitCode() const { return code; }
        QByteArray readAllStandardOutput() const { return out; }
        QByteArray readAllStandardError() const { return err; }
    };

    static Ran run(const QStringList& args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(TOLLGATE_BINARY), args);
        p.waitForFinished(60'000);
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
                p.readAllStandardError()};
    }

private slots:
    void parses()
    {
        auto cl = parseCommandLine({QStringLiteral("tollgate"), QStringLiteral("--db"), QStringLiteral("/tmp/x.db"),
                                    QStringLiteral("--demo"), QStringLiteral("info")});
        QVERIFY(cl.ok());
        QCOMPARE(cl->command, CommandLine::Command::Info);
        QCOMPARE(cl->database, QStringLiteral("/tmp/x.db"));
        QVERIFY(cl->demo);
        auto bad = parseCommandLine({QStringLiteral("tollgate"), QStringLiteral("launch")});
        QVERIFY(!bad.ok());
        QVERIFY(bad.error().message.contains(QLatin1String("launch")));
        QVERIFY(!parseCommandLine({QStringLiteral("tollgate"), QStringLiteral("--nope")}).ok());
        QVERIFY(!parseCommandLine({QStringLiteral("tollgate"), QStringLiteral("--db"), QStringLiteral("")}).ok());
    }

    void helpAndVersionNeedNoDisplay()
    {
        Ran v = run({QStringLiteral("--version")});
        QCOMPARE(v.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(v.readAllStandardOutput()).trimmed(), QStringLiteral("tollgate " TOLLGATE_VERSION));
        Ran h = run({QStringLiteral("--help")});
        QCOMPARE(h.exitCode(), 0);
        const QString help = QString::fromUtf8(h.readAllStandardOutput());
        QVERIFY(help.contains(QLatin1String("--db")));
        QVERIFY(help.contains(QLatin1String("reset-demo")));
    }

    void headlessInfoOnTheDemo()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("t.db"));
        Ran p = run({QStringLiteral("info"), QStringLiteral("--demo"), QStringLiteral("--db"), db});
        QCOMPARE(p.exitCode(), 0);
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(out.contains(QLatin1String("Northwind Labs")), qPrintable(out));
        QVERIFY(out.contains(QLatin1String("Users:          50")));
        Ran reset = run({QStringLiteral("reset-demo"), QStringLiteral("--db"), db});
        QCOMPARE(reset.exitCode(), 0);
        QVERIFY(QString::fromUtf8(reset.readAllStandardOutput()).contains(QLatin1String("tg-")));
    }

    void badArgumentsSayWhatIsWrong()
    {
        Ran p = run({QStringLiteral("frobnicate")});
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains(QLatin1String("'frobnicate' is not a command")));
        Ran pg = run({QStringLiteral("info"), QStringLiteral("--db"), QStringLiteral("mysql://x/y")});
        QCOMPARE(pg.exitCode(), 2);
        QVERIFY(QString::fromUtf8(pg.readAllStandardError()).contains(QLatin1String("unknown scheme")));
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "test_commandline.moc"
