// The tray icon in a real X server with a real system tray (run by traytest.sh: Xvfb and trayer): the icon is
// embedded in the tray, says whether the gateway runs and where, starts and stops the real gateway host, opens the
// console, and announces a limit crossing once.
#include "app/gatewaycontrol.h"
#include "core/service/service.h"
#include "ui/console.h"
#include "ui/gateway/gatewaymonitor.h"
#include "ui/tray/traycontroller.h"

#include <QApplication>
#include <QMenu>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

class TestTray final : public QObject
{
    Q_OBJECT

private slots:
    void trayShowsAndDrivesTheGateway()
    {
        // trayer may still be starting: the tray appears within a few seconds or the test fails.
        QTRY_VERIFY_WITH_TIMEOUT(QSystemTrayIcon::isSystemTrayAvailable(), 15'000);

        QTemporaryDir dir;
        auto s = Service::open(DatabaseLocation::parse(dir.filePath(QStringLiteral("tray.db"))).value(),
                               SystemClock::instance());
        QVERIFY(s.ok());
        Service& service = *s.value();
        NewUser n;
        n.email = QStringLiteral("ann@example.org");
        n.name = QStringLiteral("Ann");
        const Id ann = service.directory().createUser(n, {})->id;
        QVERIFY(service.directory().setUsersMonthlyLimit({ann}, Money(10'000'000'000), {}).ok()); // $10

        GatewayHost host(service);
        GatewayConfig config;
        config.server.address = QHostAddress::LocalHost;
        config.server.port = 0;
        GatewayControl control(host, config);
        GatewayMonitor monitor(control);
        QCOMPARE(monitor.start({}), QString());
        Console console(service, &control);
        TrayController tray(console, &monitor);

        // Embedded: the tray gave the icon a place on screen.
        QVERIFY(tray.isAvailable());
        QTRY_VERIFY(tray.icon()->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(!tray.icon()->geometry().isEmpty(), 10'000);
        QVERIFY(tray.icon()->toolTip().contains(host.address()));
        QVERIFY(!tray.icon()->icon().isNull());

        QMenu* menu = tray.icon()->contextMenu();
        QVERIFY(menu);
        const auto action = [&](const QString& text) -> QAction* {
            for (QAction* a : menu->actions())
                if (a->text() == text)
                    return a;
            return nullptr;
        };
        QVERIFY(action(QStringLiteral("Stop gateway")));
        action(QStringLiteral("Stop gateway"))->trigger();
        QVERIFY(!host.isRunning());
        QVERIFY(tray.icon()->toolTip().contains(QLatin1String("stopped")));
        QVERIFY(action(QStringLiteral("Start gateway")));
        action(QStringLiteral("Start gateway"))->trigger();
        QVERIFY(host.isRunning());
        QVERIFY(tray.icon()->toolTip().contains(host.address()));

        QSignalSpy open(&tray, &TrayController::openConsole);
        emit tray.icon()->activated(QSystemTrayIcon::Trigger);
        QCOMPARE(open.size(), 1);
        action(QStringLiteral("Open console"))->trigger();
        QCOMPARE(open.size(), 2);
        QSignalSpy quit(&tray, &TrayController::quit);
        action(QStringLiteral("Quit"))->trigger();
        QCOMPARE(quit.size(), 1);

        // Ann passes 80 % of her $10: one notification, not one per check.
        UsageRecord r;
        r.time = service.clock().now();
        r.orgId = service.directory().organization().id;
        r.userId = ann;
        r.model = QStringLiteral("mock-small");
        r.cost = Money(8'500'000'000);
        QVERIFY(service.usage().recordUsage({r}).ok());
        QSignalSpy crossed(&tray, &TrayController::limitCrossed);
        tray.checkLimits();
        QTRY_COMPARE(crossed.size(), 1);
        QCOMPARE(crossed.first().first().value<LimitAlerts::Alert>().percent, 80);
        tray.checkLimits();
        console.waitForIdle();
        QCoreApplication::processEvents();
        QCOMPARE(crossed.size(), 1);
        monitor.stop();
    }
};

QTEST_MAIN(TestTray)
#include "test_tray.moc"
