#pragma once

#include "core/domain/result.h"

#include <QCoreApplication>
#include <QString>
#include <QStringList>

namespace tollgate {

// What the command line asked for. Parsed before any QApplication exists, so that --help, --version and the
// headless commands never need a display.
struct CommandLine
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::CommandLine)

public:
    enum class Command {
        Console,
        Serve,
        MockUpstream,
        Info,
        ResetDemo,
        Screenshots,
        CatalogImport,
        CatalogExport,
        RotateSecretKey,
        Help,
        Version
    };
    Command command = Command::Console;
    QString database; // file path or postgresql:// URL; empty: the default file in the user's data folder
    QString secretKeyFile; // --secret-key-file, else TOLLGATE_SECRET_KEY_FILE; empty: the vault's default
    bool demo = false; // load the demo organisation into an empty database
    QString listen; // HOST:PORT; empty: the config file's or the default (127.0.0.1:8787; mock-upstream 127.0.0.1:9100)
    QString adminListen; // HOST:PORT of the admin API's own listener; empty: on the gateway's, loopback clients only
    QString configFile; // serve: gateway settings (JSON)
    QString tlsCertificate;
    QString tlsKey;
    int delayMs = 0; // mock-upstream: delay before each answer
    QString screenshotDir; // screenshots: where the pages' PNG files go
    // catalog import FILE / catalog export [FILE]: the price file (empty with --built-in, or stdout for export),
    // whether to apply what the import would change (otherwise it is only shown), add models the catalog lacks,
    // remove the ones a Tollgate file does not list.
    QString catalogFile;
    bool apply = false;
    bool addNew = false;
    bool removeMissing = false;
    bool builtIn = false;
    bool tray = false; // console: start in the tray, without showing the window (start at login)
    QString helpText;
};

Result<CommandLine> parseCommandLine(const QStringList& arguments);

// The embedded default: tollgate.db in the user's data folder (XDG_DATA_HOME/Tollgate on Linux).
QString defaultDatabasePath();

} // namespace tollgate
