#pragma once

#include <QString>
#include <QtGlobal>

namespace tollgate {

// What the console may do with the gateway, and all it may know of it. The application implements it over the
// gateway host; the console never includes the gateway.
class GatewayController
{
public:
    struct Counters
    {
        qint64 requests = 0; // LLM requests since the gateway started
        qint64 allowed = 0;
        qint64 denied = 0;
        qint64 upstreamErrors = 0;
        qint64 inFlight = 0;
        qint64 openConnections = 0;
        qint64 meteringQueue = 0; // usage records waiting to be written
        qint64 meteringFailures = 0;
    };

    virtual ~GatewayController() = default;
    // "HOST:PORT"; returns an error message, or an empty string once listening.
    virtual QString start(const QString& listen) = 0;
    virtual void stop() = 0;
    virtual bool isRunning() const = 0;
    virtual QString listenAddress() const = 0; // "127.0.0.1:8787": where it listens, or will listen when started
    virtual QString baseUrl() const = 0; // "http://127.0.0.1:8787", empty when stopped
    virtual QString lastError() const = 0; // why the last start failed, empty otherwise
    virtual Counters counters() const = 0;
};

} // namespace tollgate
