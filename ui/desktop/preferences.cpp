#include "ui/desktop/preferences.h"

#include "core/storage/database.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QLibraryInfo>
#include <QLocale>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QTranslator>

namespace tollgate::preferences {

namespace {

const QString kLanguageKey = QStringLiteral("console/language");
const QString kDatabaseKey = QStringLiteral("console/database");
const QString kAppId = QStringLiteral("io.tollgate.Tollgate");

// ~/.config/Tollgate/console.conf, HKEY_CURRENT_USER\Software\Tollgate\console, ~/Library/Preferences/...
QSettings store() { return QSettings(QStringLiteral("Tollgate"), QStringLiteral("console")); }

[[maybe_unused]] QString quoted(const QString& path) { return u'"' + QDir::toNativeSeparators(path) + u'"'; }

#if defined(Q_OS_WIN)
QSettings runKey()
{
    return QSettings(QStringLiteral("HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"),
                     QSettings::NativeFormat);
}
#else
QString autostartFile()
{
#if defined(Q_OS_MACOS)
    return QDir::homePath() + QStringLiteral("/Library/LaunchAgents/") + kAppId + QStringLiteral(".plist");
#else
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) + QStringLiteral("/autostart/")
        + kAppId + QStringLiteral(".desktop");
#endif
}
#endif

} // namespace

QList<Language> languages()
{
    return {{QString(), tr("System language")},
            {QStringLiteral("en"), QStringLiteral("English")},
            {QStringLiteral("de"), QStringLiteral("Deutsch")},
            {QStringLiteral("fr"), QStringLiteral("Fran\u00e7ais")}};
}

QString language() { return store().value(kLanguageKey).toString(); }

void setLanguage(const QString& code)
{
    QSettings settings = store();
    if (code.isEmpty())
        settings.remove(kLanguageKey);
    else
        settings.setValue(kLanguageKey, code);
}

QString installTranslators(QCoreApplication& app)
{
    const QString chosen = language();
    const QLocale locale = chosen.isEmpty() ? QLocale::system() : QLocale(chosen);
    if (!chosen.isEmpty())
        QLocale::setDefault(locale);
    auto* own = new QTranslator(&app);
    // Looks for tollgate_de_DE, then tollgate_de, for each of the locale's UI languages.
    if (!own->load(locale, QStringLiteral("tollgate"), QStringLiteral("_"), QStringLiteral(":/i18n"))) {
        delete own;
        return QStringLiteral("en");
    }
    QCoreApplication::installTranslator(own);
    auto* qt = new QTranslator(&app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    else
        delete qt;
    return own->language();
}

bool startsAtLogin()
{
#if defined(Q_OS_WIN)
    return runKey().contains(QStringLiteral("Tollgate"));
#else
    return QFile::exists(autostartFile());
#endif
}

QString setStartsAtLogin(bool on, const QString& executable)
{
#if defined(Q_OS_WIN)
    QSettings key = runKey();
    if (on)
        key.setValue(QStringLiteral("Tollgate"), quoted(executable) + QStringLiteral(" --tray"));
    else
        key.remove(QStringLiteral("Tollgate"));
    key.sync();
    return key.status() == QSettings::NoError ? QString() : tr("Windows did not accept the change to the Run key.");
#else
    const QString file = autostartFile();
    if (!on) {
        if (QFile::exists(file) && !QFile::remove(file))
            return tr("Cannot remove %1.").arg(QDir::toNativeSeparators(file));
        return {};
    }
    if (!QDir().mkpath(QFileInfo(file).absolutePath()))
        return tr("Cannot create the folder of %1.").arg(QDir::toNativeSeparators(file));
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Text))
        return tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(file), out.errorString());
#if defined(Q_OS_MACOS)
    const QString text =
        QStringLiteral("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
                       "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
                       "<plist version=\"1.0\"><dict>\n"
                       "  <key>Label</key><string>%1</string>\n"
                       "  <key>ProgramArguments</key><array><string>%2</string><string>--tray</string></array>\n"
                       "  <key>RunAtLoad</key><true/>\n"
                       "</dict></plist>\n")
            .arg(kAppId, executable.toHtmlEscaped());
#else
    const QString text = QStringLiteral("[Desktop Entry]\n"
                                        "Type=Application\n"
                                        "Name=Tollgate\n"
                                        "Comment=%1\n"
                                        "Exec=%2 --tray\n"
                                        "Icon=%3\n"
                                        "Terminal=false\n"
                                        "X-GNOME-Autostart-enabled=true\n")
                             .arg(tr("LLM gateway and spending console, in the tray"), quoted(executable), kAppId);
#endif
    out.write(text.toUtf8());
    if (!out.commit())
        return tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(file), out.errorString());
    return {};
#endif
}

QString database() { return store().value(kDatabaseKey).toString(); }

QString checkDatabase(const QString& location)
{
    const QString text = location.trimmed();
    if (text.isEmpty())
        return {};
    auto parsed = DatabaseLocation::parse(text);
    return parsed.ok() ? QString() : parsed.error().message;
}

QString setDatabase(const QString& location)
{
    const QString text = location.trimmed();
    if (const QString error = checkDatabase(text); !error.isEmpty())
        return error;
    QSettings settings = store();
    if (text.isEmpty())
        settings.remove(kDatabaseKey);
    else
        settings.setValue(kDatabaseKey, text);
    return {};
}

} // namespace tollgate::preferences
