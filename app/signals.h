#pragma once

#include <QObject>

#include <functional>

namespace tollgate {

// Runs `handler` in the application's thread when the process gets SIGTERM or SIGINT (Unix; elsewhere nothing).
// The signal handler itself only writes a byte to a pipe.
void onTerminationSignal(QObject* context, std::function<void(int signal)> handler);

// Raises the open-file limit to its hard maximum: a gateway holds two sockets per request in flight.
void raiseFileLimit();

} // namespace tollgate
