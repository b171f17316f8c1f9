#pragma once

#include <QLoggingCategory>

namespace tollgate::http {

// tollgate.gateway.http: connections and the requests refused before any handler (malformed, too large, too slow).
// tollgate.gateway.http.transport: the sockets under them.
Q_DECLARE_LOGGING_CATEGORY(lcHttp)
Q_DECLARE_LOGGING_CATEGORY(lcTransport)

} // namespace tollgate::http
