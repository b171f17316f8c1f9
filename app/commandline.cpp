#include "commandline.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>

namespace tollgate {

namespace {
QString tr(const char* s) { return QCoreApplication::translate("tollgate::CommandLine", s); }
} // namespace

Result<CommandLine> parseCommandLine(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Tollgate: the administration console and gateway for an organisation's LLM usage.\n\n"
           "Commands:\n"
           "  (none)       open the console\n"
           "  info         print a summary of the organisation and exit\n"
           "  reset-demo   replace the organisation with the demo organisation and exit"));
    const QCommandLineOption help(QStringList {QStringLiteral("h"), QStringLiteral("help")},
                                  tr("Show this help and exit."));
    const QCommandLineOption version(QStringList {QStringLiteral("v"), QStringLiteral("version")},
                                     tr("Show the version and exit."));
    const QCommandLineOption db(QStringLiteral("db"),
                                tr("The database: a SQLite file (default: %1) or a postgresql:// URL.")
                                    .arg(QDir::toNativeSeparators(defaultDatabasePath())),
                                tr("location"));
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  tr("Start on the demo organisation (loaded into an empty database)."));
    parser.addOption(help);
    parser.addOption(version);
    parser.addOption(db);
    parser.addOption(demo);
    parser.addPositionalArgument(QStringLiteral("command"), tr("info or reset-demo; none opens the console."),
                                 tr("[command]"));

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
        return Error::invalid(QStringLiteral("--db"), tr("is empty; give a SQLite file path or a postgresql:// URL"));
    out.demo = parser.isSet(demo);
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        return Error::invalid(QStringLiteral("arguments"),
                              tr("takes one command at most, got: %1").arg(positional.join(u' ')));
    if (!positional.isEmpty()) {
        const QString c = positional.first();
        if (c == QLatin1String("info"))
            out.command = CommandLine::Command::Info;
        else if (c == QLatin1String("reset-demo"))
            out.command = CommandLine::Command::ResetDemo;
        else
            return Error::invalid(QStringLiteral("command"),
                                  tr("'%1' is not a command; use info or reset-demo, or none for the console").arg(c));
    }
    return out;
}

QString defaultDatabasePath()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(dir).filePath(QStringLiteral("tollgate.db"));
}

} // namespace tollgate
