#pragma once

#include <QString>

namespace tollgate {

class Console;
class MainWindow;

// Shows every page in turn, waits until it has loaded, and writes the window to dir/NN-page.png (for the README
// and for looking at every page). Returns an error message, or an empty string.
QString renderPages(MainWindow& window, Console& console, const QString& dir);

// Lets queued work finish: jobs on the console's threads and the events they post back.
void settle(Console& console);

} // namespace tollgate
