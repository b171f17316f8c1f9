#include "app/catalogcommand.h"
#include "app/commandline.h"
#include "app/gatewaycontrol.h"
#include "app/signals.h"
#include "app/singleinstance.h"
#include "core/demo/demo.h"
#include "core/metering/journal.h"
#include "core/service/service.h"
#include "core/storage/database.h"
#include "gateway/host.h"
#include "gateway/http/server.h"
#include "gateway/llm/mock.h"
#include "ui/console.h"
#include "ui/desktop/preferences.h"
#include "ui/gateway/gatewaymonitor.h"
#include "ui/mainwindow.h"
#include "ui/screenshots.h"
#include "ui/tray/traycontroller.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QLocale>
#include <QTextStream>

#include <cstdio>
#include <memory>

namespace {

using namespace tollgate;

// The messages of main(): command-line output, and the console's gateway status.
class Main
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Main)
};

int fail(const QString& message)
{
    QTextStream(stderr) << "tollgate: " << message << Qt::endl;
    return 2;
}

void printSummary(Service& s)
{
    const Organization org = s.directory().organization();
    QTextStream out(stdout);
    out << Main::tr("Organization:   %1 (%2)").arg(org.name, org.timezone) << '\n'
        << Main::tr("Database:       %1").arg(s.database().location().displayName()) << '\n'
        << Main::tr("Users:          %1").arg(s.directory().userCount()) << '\n'
        << Main::tr("Groups:         %1").arg(s.directory().groups().size()) << '\n'
        << Main::tr("Projects:       %1").arg(s.access().projects().size()) << '\n'
        << Main::tr("API keys:       %1").arg(s.access().keys().size()) << '\n'
        << Main::tr("Customers:      %1").arg(s.customers().all().size()) << '\n'
        << Main::tr("Models:         %1").arg(s.catalog().models().size()) << '\n'
        << Main::tr("Usage records:  %1").arg(s.usage().usageRecordCount()) << Qt::endl;
}

void printDemo(const DemoSummary& d)
{
    QTextStream(stdout) << Main::tr(
                               "Loaded the demo organisation: %1 users, %2 groups, %3 keys, %4 customers, %5 usage "
                               "records.")
                               .arg(d.users)
                               .arg(d.groups)
                               .arg(d.keys)
                               .arg(d.customers)
                               .arg(d.usageRecords)
                        << '\n'
                        << Main::tr("A demo API key (shown once): %1").arg(d.sampleKeySecret) << Qt::endl;
}

// The gateway settings from --config, --listen and the TLS options, over the defaults.
Result<GatewayConfig> gatewayConfig(const CommandLine& cl)
{
    GatewayConfig config;
    if (!cl.configFile.isEmpty()) {
        auto loaded = loadGatewayConfig(cl.configFile);
        if (!loaded.ok())
            return loaded.error();
        config = loaded.value();
    }
    if (!cl.listen.isEmpty()) {
        auto l = parseListenAddress(cl.listen);
        if (!l.ok())
            return l.error();
        config.server.address = l->first;
        config.server.port = l->second;
    }
    if (!cl.adminListen.isEmpty()) {
        auto l = parseListenAddress(cl.adminListen);
        if (!l.ok())
            return Error::invalid(QStringLiteral("--admin-listen"), l.error().message);
        config.adminListen = *l;
    }
    if (!cl.tlsCertificate.isEmpty()) {
        config.server.tlsCertificateFile = cl.tlsCertificate;
        config.server.tlsKeyFile = cl.tlsKey;
    }
    return config;
}

int runMockUpstream(const CommandLine& cl)
{
    http::ServerOptions options;
    options.port = 9100;
    if (!cl.listen.isEmpty()) {
        auto l = parseListenAddress(cl.listen);
        if (!l.ok())
            return fail(l.error().toString());
        options.address = l->first;
        options.port = l->second;
    }
    llm::MockHandler handler(cl.delayMs);
    http::Server server(handler, options);
    const QString error = server.start();
    if (!error.isEmpty())
        return fail(error);
    QTextStream(stdout) << Main::tr("tollgate: mock provider listening on http://%1:%2")
                               .arg(options.address.toString())
                               .arg(server.port())
                        << Qt::endl;
    onTerminationSignal(QCoreApplication::instance(), [](int) { QCoreApplication::quit(); });
    const int rc = QCoreApplication::exec();
    server.stop(2'000);
    return rc;
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication::setApplicationName(QStringLiteral("Tollgate"));
    // No organisation name: the data folder is <data>/Tollgate, not <data>/Tollgate/Tollgate.
    QCoreApplication::setApplicationVersion(QStringLiteral(TOLLGATE_VERSION));

    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);

    // Parse before creating any application object: --help, --version and the headless commands need no display.
    std::unique_ptr<QCoreApplication> app;
    auto cl = [&] {
        QCoreApplication probe(argc, argv);
        return parseCommandLine(arguments);
    }();
    if (!cl.ok())
        return fail(cl.error().toString() + u'\n' + Main::tr("Try 'tollgate --help'."));
    switch (cl->command) {
    case CommandLine::Command::Help: QTextStream(stdout) << cl->helpText; return 0;
    case CommandLine::Command::Version:
        QTextStream(stdout) << QStringLiteral("tollgate %1").arg(QStringLiteral(TOLLGATE_VERSION)) << Qt::endl;
        return 0;
    case CommandLine::Command::Console:
    case CommandLine::Command::Screenshots:
        app = std::make_unique<QApplication>(argc, argv);
        QGuiApplication::setDesktopFileName(QStringLiteral("io.tollgate.Tollgate"));
        QApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("io.tollgate.Tollgate")));
        preferences::installTranslators(*app);
        break;
    case CommandLine::Command::Serve:
    case CommandLine::Command::MockUpstream:
    case CommandLine::Command::Info:
    case CommandLine::Command::ResetDemo:
    case CommandLine::Command::CatalogImport:
    case CommandLine::Command::CatalogExport:
    case CommandLine::Command::RotateSecretKey: app = std::make_unique<QCoreApplication>(argc, argv); break;
    }
    if (cl->command == CommandLine::Command::MockUpstream) {
        raiseFileLimit();
        return runMockUpstream(*cl);
    }
    auto config = gatewayConfig(*cl);
    if (!config.ok())
        return fail(config.error().toString());

    // One console per user: a second launch brings the first to the front instead of starting a second gateway.
    SingleInstance instance;
    if (cl->command == CommandLine::Command::Console) {
        if (instance.activateRunning()) {
            QTextStream(stdout) << Main::tr("tollgate: the console is already running; brought it to the front")
                                << Qt::endl;
            return 0;
        }
        if (const QString error = instance.listen(); !error.isEmpty())
            QTextStream(stderr) << Main::tr("tollgate: a second launch cannot find this console: %1").arg(error)
                                << Qt::endl;
    }

    // The command line's database, else the one chosen in the console's settings, else the embedded default.
    QString databaseText = cl->database;
    if (databaseText.isEmpty() && cl->command == CommandLine::Command::Console)
        databaseText = preferences::database();
    if (databaseText.isEmpty())
        databaseText = defaultDatabasePath();
    auto location = DatabaseLocation::parse(databaseText);
    if (!location.ok())
        return fail(location.error().toString());
    const bool firstRun = location->kind == Dialect::Kind::SQLite && !QFileInfo::exists(location->path);
    // The desktop data folder holds the database, its journal and logs: its owner's only, also when an earlier
    // version made it under a looser umask.
    if (location->kind == Dialect::Kind::SQLite && databaseText == defaultDatabasePath()
        && QFileInfo::exists(QFileInfo(databaseText).absolutePath()))
        makePrivate(QFileInfo(databaseText).absolutePath(), true);
    Service::Options options;
    options.initialAdminKey = qEnvironmentVariable("TOLLGATE_ADMIN_KEY");
    options.secretKeyFile = cl->secretKeyFile;
    // The desktop console keeps the provider secrets typed into it in the OS keychain (when one answers).
    options.keychain = cl->command == CommandLine::Command::Console;
    auto service = Service::open(location.value(), SystemClock::instance(), options);
    if (!service.ok())
        return fail(service.error().toString());
    Service& s = *service.value();
    // Usage a Tollgate answered but had not yet written to the database when it stopped (a crash, a database that
    // was down): in the database before anything reads or admits.
    if (auto replayed = UsageJournal::recover(s, UsageJournal::basePath(s.database().location())); !replayed.ok())
        return fail(Main::tr("cannot replay the usage journal: %1").arg(replayed.error().toString()));
    if (!options.initialAdminKey.isEmpty() && !s.access().authenticateAdmin(options.initialAdminKey).ok())
        QTextStream(stderr) << Main::tr("tollgate: TOLLGATE_ADMIN_KEY is not used: it only becomes the owner key of a "
                                        "database that has no admin key yet")
                            << Qt::endl;
    // A database without admin keys got an owner key: shown this once.
    const QString ownerKey = s.access().takeInitialAdminSecret();
    if (!ownerKey.isEmpty())
        QTextStream(stdout)
            << Main::tr("Created the owner admin key for the admin API (shown once; keep it safe): %1").arg(ownerKey)
            << Qt::endl;

    if (cl->command == CommandLine::Command::ResetDemo) {
        auto demo = resetDemo(s);
        if (!demo.ok())
            return fail(demo.error().toString());
        printDemo(demo.value());
        return 0;
    }
    if (cl->demo && s.directory().userCount() == 0) {
        auto demo = loadDemo(s);
        if (!demo.ok())
            return fail(demo.error().toString());
        printDemo(demo.value());
    }
    if (cl->command == CommandLine::Command::Info) {
        printSummary(s);
        return 0;
    }
    if (cl->command == CommandLine::Command::CatalogImport || cl->command == CommandLine::Command::CatalogExport)
        return catalogCommand(s, *cl);
    if (cl->command == CommandLine::Command::RotateSecretKey) {
        auto rotated = s.catalog().rotateSecretKey(QStringLiteral("command-line"));
        if (!rotated.ok())
            return fail(rotated.error().toString());
        QTextStream(stdout) << Main::tr("tollgate: %n provider secret(s) encrypted under the new key %1 in %2; copy "
                                        "that file to every instance that shares this database, and back it up",
                                        nullptr, rotated.value())
                                   .arg(s.secrets().keyId(), QDir::toNativeSeparators(s.secrets().keyFile()))
                            << Qt::endl;
        return 0;
    }

    GatewayHost gateway(s);
    if (cl->command == CommandLine::Command::Serve) {
        raiseFileLimit();
        const QString error = gateway.start(config.value());
        if (!error.isEmpty())
            return fail(error);
        QTextStream(stdout) << Main::tr("tollgate: gateway listening on %1").arg(gateway.address()) << '\n'
                            << Main::tr("tollgate: admin API on %1").arg(gateway.adminAddress()) << Qt::endl;
        onTerminationSignal(app.get(), [&gateway](int) {
            QTextStream(stdout) << Main::tr("tollgate: stopping; finishing the requests under way") << Qt::endl;
            gateway.stop(30'000);
            QCoreApplication::quit();
        });
        return app->exec();
    }

    // The console runs the same gateway in its own threads; a change made in the console applies to the next request.
    GatewayControl control(gateway, config.value());
    Console console(s, &control);
    const QString error = control.start({});
    GatewayMonitor monitor(control);
    MainWindow window(console, &monitor);
    if (cl->command == CommandLine::Command::Screenshots) {
        const QString failed = renderPages(window, console, cl->screenshotDir);
        console.waitForIdle();
        gateway.stop(10'000);
        if (!failed.isEmpty())
            return fail(failed);
        QTextStream(stdout) << Main::tr("tollgate: wrote the pages to %1").arg(cl->screenshotDir) << Qt::endl;
        return 0;
    }
    window.setGatewayStatus(error.isEmpty() ? Main::tr("Gateway listening on %1").arg(gateway.address())
                                            : Main::tr("Gateway not running: %1").arg(error));
    // The tray belongs to the application, not to the window: closing the window keeps the gateway running there.
    TrayController tray(console, &monitor);
    if (tray.isAvailable())
        QApplication::setQuitOnLastWindowClosed(false);
    const auto bringToFront = [&window] {
        window.show();
        window.setWindowState(window.windowState() & ~Qt::WindowMinimized);
        window.raise();
        window.activateWindow();
    };
    QObject::connect(&tray, &TrayController::openConsole, &window, bringToFront);
    QObject::connect(&instance, &SingleInstance::activationRequested, &window, bringToFront);
    QObject::connect(&tray, &TrayController::quit, app.get(), &QCoreApplication::quit);
    QObject::connect(&monitor, &GatewayMonitor::updated, &window, [&window, &control] {
        window.setGatewayStatus(control.isRunning() ? Main::tr("Gateway listening on %1").arg(control.baseUrl())
                                                    : Main::tr("Gateway stopped"));
    });
    // Started at login: into the tray, when there is one.
    if (!cl->tray || !tray.isAvailable())
        window.show();
    if (firstRun)
        window.showFirstRun(location->displayName());
    if (!ownerKey.isEmpty())
        window.showOwnerKey(ownerKey, gateway.adminAddress());
    const int rc = app->exec();
    console.waitForIdle();
    gateway.stop(10'000);
    return rc;
}
