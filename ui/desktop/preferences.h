#pragma once

#include "core/domain/translate.h"

#include <QList>
#include <QString>

class QCoreApplication;

namespace tollgate {

// What this desktop remembers between runs (QSettings, where each system keeps them): the console's language,
// whether Tollgate starts at login into the tray, and which database the console opens.
namespace preferences {

TOLLGATE_TRANSLATION_CONTEXT("tollgate::preferences")

struct Language
{
    QString code; // "de", "fr"; empty: the system's language
    QString name; // in its own language: "Deutsch"
};
// The languages the console ships, the system's first.
QList<Language> languages();
QString language();
void setLanguage(const QString& code);
// Installs the console's translation and Qt's own (qtbase) for the chosen language, or the system's.
// Returns the language loaded ("en" when none was needed).
QString installTranslators(QCoreApplication& app);

// Start at login (into the tray): an XDG autostart entry on Linux, the Run key on Windows, a LaunchAgent on macOS.
bool startsAtLogin();
// Returns an error message, or an empty string.
QString setStartsAtLogin(bool on, const QString& executable);

// The database the console opens when none is given on the command line: a file or a PostgreSQL URL; empty: the
// embedded default in the user's data folder.
QString database();
// Why a location (a file path or a postgresql:// URL; empty: the default) cannot be used, or empty.
QString checkDatabase(const QString& location);
// Checks the location and keeps it; returns an error message (and keeps nothing), or empty.
QString setDatabase(const QString& location);

} // namespace preferences

} // namespace tollgate
