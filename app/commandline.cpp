#include "app/commandline.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>

namespace tollgate {

Result<CommandLine> parseCommandLine(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(CommandLine::tr(
        "Tollgate: the administration console and gateway for an organisation's LLM usage.\n\n"
        "Commands:\n"
        "  (none)         open the console (it runs the gateway too)\n"
        "  serve          run the gateway without a display; SIGTERM drains requests under way and stops\n"
        "  mock-upstream  run the mock LLM provider on its own (OpenAI and Anthropic APIs), for tests\n"
        "  info           print a summary of the organisation and exit\n"
        "  reset-demo     replace the organisation with the demo organisation and exit\n"
        "  screenshots DIR  render every page of the console to DIR/NN-page.png and exit\n"
        "  catalog import FILE  show what a price file (Tollgate's catalog format or the public\n"
        "                 model_prices_and_context_window.json) would change; --apply applies it\n"
        "  catalog import --built-in  the same with the price list this Tollgate ships\n"
        "  catalog export [FILE]  write the catalog in Tollgate's format (to standard output without FILE)\n"
        "  rotate-secret-key  encrypt the provider secrets under a new key, replace the key file and exit"));
    const QCommandLineOption help(QStringList {QStringLiteral("h"), QStringLiteral("help")},
                                  CommandLine::tr("Show this help and exit."));
    const QCommandLineOption version(QStringList {QStringLiteral("v"), QStringLiteral("version")},
                                     CommandLine::tr("Show the version and exit."));
    const QCommandLineOption db(QStringLiteral("db"),
                                CommandLine::tr("The database: a SQLite file (default: %1) or a postgresql:// URL.")
                                    .arg(QDir::toNativeSeparators(defaultDatabasePath())),
                                CommandLine::tr("location"));
    const QCommandLineOption secretKeyFile(
        QStringLiteral("secret-key-file"),
        CommandLine::tr(
            "The key that encrypts provider secrets in the database (default: TOLLGATE_SECRET_KEY_FILE, else "
            "next to a SQLite database, else in the data folder; made on first start)."),
        CommandLine::tr("file"));
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  CommandLine::tr("Start on the demo organisation (loaded into an empty database)."));
    const QCommandLineOption listen(
        QStringLiteral("listen"),
        CommandLine::tr("Gateway address, HOST:PORT (default 127.0.0.1:8787; mock-upstream 127.0.0.1:9100)."),
        CommandLine::tr("address"));
    const QCommandLineOption adminListen(
        QStringLiteral("admin-listen"),
        CommandLine::tr(
            "Serve the admin API (/api/admin) on its own address, HOST:PORT. Without it, the admin API answers on the "
            "gateway's address to clients on this machine only."),
        CommandLine::tr("address"));
    const QCommandLineOption config(QStringLiteral("config"), CommandLine::tr("Gateway settings file (JSON)."),
                                    CommandLine::tr("file"));
    const QCommandLineOption tlsCert(QStringLiteral("tls-cert"),
                                     CommandLine::tr("Serve HTTPS with this PEM certificate (chain)."),
                                     CommandLine::tr("file"));
    const QCommandLineOption tlsKey(QStringLiteral("tls-key"), CommandLine::tr("The PEM private key for --tls-cert."),
                                    CommandLine::tr("file"));
    const QCommandLineOption delay(QStringLiteral("delay-ms"),
                                   CommandLine::tr("mock-upstream: wait this long before answering."),
                                   CommandLine::tr("ms"));
    const QCommandLineOption tray(
        QStringLiteral("tray"),
        CommandLine::tr("Console: start in the tray without showing the window (as at login)."));
    const QCommandLineOption apply(QStringLiteral("apply"),
                                   CommandLine::tr("catalog import: apply the changes (otherwise only shown)."));
    const QCommandLineOption addNew(QStringLiteral("add-new"),
                                    CommandLine::tr("catalog import: add the file's models the catalog does not have "
                                                    "(unapproved)."));
    const QCommandLineOption removeMissing(
        QStringLiteral("remove-missing"),
        CommandLine::tr("catalog import: remove the models a Tollgate catalog file does not list."));
    const QCommandLineOption builtIn(QStringLiteral("built-in"),
                                     CommandLine::tr("catalog import: the price list built into this Tollgate."));
    parser.addOption(apply);
    parser.addOption(addNew);
    parser.addOption(removeMissing);
    parser.addOption(builtIn);
    parser.addOption(listen);
    parser.addOption(tray);
    parser.addOption(adminListen);
    parser.addOption(config);
    parser.addOption(tlsCert);
    parser.addOption(tlsKey);
    parser.addOption(delay);
    parser.addOption(help);
    parser.addOption(version);
    parser.addOption(db);
    parser.addOption(secretKeyFile);
    parser.addOption(demo);
    parser.addPositionalArgument(
        QStringLiteral("command"),
        CommandLine::tr("serve, mock-upstream, info, reset-demo, screenshots, catalog or rotate-secret-key; none opens "
                        "the console."),
        CommandLine::tr("[command]"));

    CommandLine out;
    if (!parser.parse(arguments))
        return Error::invalid(QStringLiteral("arguments"), parser.errorText());
    out.helpText = parser.helpText();
    if (parser.isSet(help)) {
        out.command = CommandLine::Command::Help;
        return out;
    }
    if (parser.isSet(version)) {
        out.command = CommandLine::Command::Version;
        return out;
    }
    out.database = parser.value(db);
    if (parser.isSet(db) && out.database.trimmed().isEmpty())
        return Error::invalid(QStringLiteral("--db"),
                              CommandLine::tr("is empty; give a SQLite file path or a postgresql:// URL"));
    out.secretKeyFile =
        parser.isSet(secretKeyFile) ? parser.value(secretKeyFile) : qEnvironmentVariable("TOLLGATE_SECRET_KEY_FILE");
    if ((parser.isSet(secretKeyFile) || qEnvironmentVariableIsSet("TOLLGATE_SECRET_KEY_FILE"))
        && out.secretKeyFile.trimmed().isEmpty())
        return Error::invalid(parser.isSet(secretKeyFile) ? QStringLiteral("--secret-key-file")
                                                          : QStringLiteral("TOLLGATE_SECRET_KEY_FILE"),
                              CommandLine::tr("is empty; give the path of the secret key file"));
    out.demo = parser.isSet(demo);
    out.tray = parser.isSet(tray);
    out.listen = parser.value(listen);
    out.adminListen = parser.value(adminListen);
    out.configFile = parser.value(config);
    out.tlsCertificate = parser.value(tlsCert);
    out.tlsKey = parser.value(tlsKey);
    if (parser.isSet(tlsCert) != parser.isSet(tlsKey))
        return Error::invalid(QStringLiteral("--tls-cert"), CommandLine::tr("and --tls-key go together"));
    if (parser.isSet(delay)) {
        bool ok = false;
        out.delayMs = parser.value(delay).toInt(&ok);
        if (!ok || out.delayMs < 0 || out.delayMs > 600'000)
            return Error::invalid(QStringLiteral("--delay-ms"),
                                  CommandLine::tr("must be a whole number of milliseconds, 0 to 600000"));
    }
    const QStringList positional = parser.positionalArguments();
    const bool screenshots = !positional.isEmpty() && positional.first() == QLatin1String("screenshots");
    if (screenshots) {
        if (positional.size() != 2)
            return Error::invalid(QStringLiteral("screenshots"),
                                  CommandLine::tr("takes the folder to write the pictures to"));
        out.command = CommandLine::Command::Screenshots;
        out.screenshotDir = positional[1];
        return out;
    }
    if (!positional.isEmpty() && positional.first() == QLatin1String("catalog")) {
        const QString action = positional.value(1);
        out.apply = parser.isSet(apply);
        out.addNew = parser.isSet(addNew);
        out.removeMissing = parser.isSet(removeMissing);
        out.builtIn = parser.isSet(builtIn);
        out.catalogFile = positional.value(2);
        if (action == QLatin1String("import")) {
            out.command = CommandLine::Command::CatalogImport;
            if (out.builtIn == !out.catalogFile.isEmpty() || positional.size() > 3)
                return Error::invalid(QStringLiteral("catalog import"),
                                      CommandLine::tr("takes a price file, or --built-in"));
        } else if (action == QLatin1String("export")) {
            out.command = CommandLine::Command::CatalogExport;
            if (positional.size() > 3)
                return Error::invalid(QStringLiteral("catalog export"), CommandLine::tr("takes one file at most"));
        } else {
            return Error::invalid(QStringLiteral("catalog"),
                                  CommandLine::tr("'%1' is not a catalog command; use import or export").arg(action));
        }
        return out;
    }
    if (positional.size() > 1)
        return Error::invalid(QStringLiteral("arguments"),
                              CommandLine::tr("takes one command at most, got: %1").arg(positional.join(u' ')));
    if (!positional.isEmpty()) {
        const QString c = positional.first();
        if (c == QLatin1String("serve"))
            out.command = CommandLine::Command::Serve;
        else if (c == QLatin1String("mock-upstream"))
            out.command = CommandLine::Command::MockUpstream;
        else if (c == QLatin1String("info"))
            out.command = CommandLine::Command::Info;
        else if (c == QLatin1String("reset-demo"))
            out.command = CommandLine::Command::ResetDemo;
        else if (c == QLatin1String("rotate-secret-key"))
            out.command = CommandLine::Command::RotateSecretKey;
        else
            return Error::invalid(
                QStringLiteral("command"),
                CommandLine::tr(
                    "'%1' is not a command; use serve, mock-upstream, info, reset-demo, screenshots, catalog or "
                    "rotate-secret-key, or none for the console")
                    .arg(c));
    }
    return out;
}

QString defaultDatabasePath()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(dir).filePath(QStringLiteral("tollgate.db"));
}

} // namespace tollgate
