// Desktop integration: one console per user (a second launch brings the first to the front), start at login
// (the XDG autostart entry), and the language and database kept in the settings store.
#include "app/singleinstance.h"
#include "ui/desktop/preferences.h"

#include <QApplication>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

class TestDesktop final : public QObject
{
    Q_OBJECT
    QTemporaryDir m_home;

private slots:
    void initTestCase()
    {
        // Settings and autostart entries go to a private folder, never the developer's own.
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
    }

    void aSecondLaunchActivatesTheFirst()
    {
        const QString key = QStringLiteral("tollgate-test-%1").arg(QCoreApplication::applicationPid());
        SingleInstance first(key);
        QVERIFY(!first.activateRunning(200)); // nobody there yet
        QCOMPARE(first.listen(), QString());
        QSignalSpy activated(&first, &SingleInstance::activationRequested);

        // The second launch runs its own blocking handshake; the first answers from its event loop.
        bool answered = false;
        QThread* second = QThread::create([&] { answered = SingleInstance(key).activateRunning(5'000); });
        second->start();
        QTRY_VERIFY(second->isFinished());
        delete second;
        QVERIFY(answered);
        QCOMPARE(activated.size(), 1);
    }

    void theNameIsFreeAgainWhenTheFirstQuits()
    {
        const QString key = QStringLiteral("tollgate-test-again-%1").arg(QCoreApplication::applicationPid());
        {
            SingleInstance earlier(key);
            QCOMPARE(earlier.listen(), QString());
        }
        SingleInstance next(key);
        QVERIFY(!next.activateRunning(200));
        QCOMPARE(next.listen(), QString());
    }

    void startAtLoginWritesAnAutostartEntry()
    {
        QVERIFY(!preferences::startsAtLogin());
        QCOMPARE(preferences::setStartsAtLogin(true, QStringLiteral("/opt/Tollgate Test/tollgate")), QString());
        QVERIFY(preferences::startsAtLogin());
        QFile entry(m_home.filePath(QStringLiteral("config/autostart/io.tollgate.Tollgate.desktop")));
        QVERIFY(entry.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(entry.readAll());
        QVERIFY(text.contains(QLatin1String("Exec=\"/opt/Tollgate Test/tollgate\" --tray")));
        QVERIFY(text.contains(QLatin1String("Icon=io.tollgate.Tollgate")));
        QCOMPARE(preferences::setStartsAtLogin(false, {}), QString());
        QVERIFY(!preferences::startsAtLogin());
        QVERIFY(!entry.exists());
    }

    void languageAndDatabaseAreKept()
    {
        preferences::setLanguage(QStringLiteral("fr"));
        QCOMPARE(preferences::language(), QStringLiteral("fr"));
        preferences::setLanguage({});
        QCOMPARE(preferences::language(), QString());

        QCOMPARE(preferences::setDatabase(QStringLiteral("postgresql://tg@127.0.0.1:5433/tollgate")), QString());
        QCOMPARE(preferences::database(), QStringLiteral("postgresql://tg@127.0.0.1:5433/tollgate"));
        // A bad location is refused with the reason, and the kept one stays.
        const QString error = preferences::setDatabase(QStringLiteral("postgresql://"));
        QVERIFY2(!error.isEmpty(), "an empty PostgreSQL URL must be refused");
        QCOMPARE(preferences::database(), QStringLiteral("postgresql://tg@127.0.0.1:5433/tollgate"));
        QCOMPARE(preferences::setDatabase({}), QString());
        QCOMPARE(preferences::database(), QString());
    }
};

QTEST_MAIN(TestDesktop)
#include "test_desktop.moc"
