#include "commandline.h"
#include "demo/demo.h"
#include "mainwindow.h"
#include "service/service.h"

#include <QApplication>
#include <QCoreApplication>
#include <QLocale>
#include <QTextStream>

#include <cstdio>
#include <memory>

namespace {

using namespace tollgate;

QString tr(const char* s) { return QCoreApplication::translate("tollgate::main", s); }

int fail(const QString& message)
{
    QTextStream(stderr) << "tollgate: " << message << Qt::endl;
    return 2;
}

void printSummary(Service& s)
{
    const Organization org = s.organization();
    QTextStream out(stdout);
    out << tr("Organization:   %1 (%2)").arg(org.name, org.timezone) << '\n'
        << tr("Database:       %1").arg(s.database().location().displayName()) << '\n'
        << tr("Users:          %1").arg(s.userCount()) << '\n'
        << tr("Groups:         %1").arg(s.groups().size()) << '\n'
        << tr("Projects:       %1").arg(s.projects().size()) << '\n'
        << tr("API keys:       %1").arg(s.keys().size()) << '\n'
        << tr("Customers:      %1").arg(s.customers().size()) << '\n'
        << tr("Models:         %1").arg(s.models().size()) << '\n'
        << tr("Usage records:  %1").arg(s.usageRecordCount()) << Qt::endl;
}

void printDemo(const DemoSummary& d)
{
    QTextStream(stdout) << tr("Loaded the demo organisation: %1 users, %2 groups, %3 keys, %4 customers, %5 usage "
                              "records.")
                               .arg(d.users)
                               .arg(d.groups)
                               .arg(d.keys)
                               .arg(d.customers)
                               .arg(d.usageRecords)
                        << '\n'
                        << tr("A demo API key (shown once): %1").arg(d.sampleKeySecret) << Qt::endl;
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
        return fail(cl.error().toString() + u'\n' + tr("Try 'tollgate --help'."));
    switch (cl->command) {
    case CommandLine::Command::Help: QTextStream(stdout) << cl->helpText; return 0;
    case CommandLine::Command::Version:
        QTextStream(stdout) << QStringLiteral("tollgate %1").arg(QStringLiteral(TOLLGATE_VERSION)) << Qt::endl;
        return 0;
    case CommandLine::Command::Console: app = std::make_unique<QApplication>(argc, argv); break;
    case CommandLine::Command::Info:
    case CommandLine::Command::ResetDemo: app = std::make_unique<QCoreApplication>(argc, argv); break;
    }

    auto location = DatabaseLocation::parse(cl->database.isEmpty() ? defaultDatabasePath() : cl->database);
    if (!location.ok())
        return fail(location.error().toString());
    auto service = Service::open(location.value(), SystemClock::instance());
    if (!service.ok())
        return fail(service.error().toString());
    Service& s = *service.value();

    if (cl->command == CommandLine::Command::ResetDemo) {
        auto demo = resetDemo(s);
        if (!demo.ok())
            return fail(demo.error().toString());
        printDemo(demo.value());
        return 0;
    }
    if (cl->demo && s.userCount() == 0) {
        auto demo = loadDemo(s);
        if (!demo.ok())
            return fail(demo.error().toString());
        printDemo(demo.value());
    }
    if (cl->command == CommandLine::Command::Info) {
        printSummary(s);
        return 0;
    }

    MainWindow window(s);
    window.show();
    return app->exec();
}
