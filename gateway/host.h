#pragma once

#include "core/domain/result.h"
#include "gateway/admin/api.h"
#include "gateway/http/server.h"
#include "gateway/llm/gateway.h"

#include <QCoreApplication>

#include <memory>

namespace tollgate {

class Service;
class UsageWriter;

struct GatewayConfig
{
    http::ServerOptions server;
    llm::GatewayOptions gateway;
    // The admin API's own listener. Unset: the admin API is served on the gateway's listener to loopback
    // clients only.
    std::optional<std::pair<QHostAddress, quint16>> adminListen;
};

// "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces).
Result<std::pair<QHostAddress, quint16>> parseListenAddress(const QString& text);

// Reads a gateway configuration file (JSON) over the defaults. Unknown keys and wrong types are refused, naming
// the key: listen, threads, maxConnections, maxRequestBodyBytes, maxHeaderBytes, maxHeaderCount,
// headerTimeoutMs, requestTimeoutMs, idleTimeoutMs, streamBufferBytes, sendTimeoutMs, upstreamTimeoutMs,
// tlsCertificate, tlsKey, adminListen.
Result<GatewayConfig> loadGatewayConfig(const QString& path, GatewayConfig base = {});

// Runs the gateway for a service: its usage writer, the LLM routes and the HTTP server's threads. What the console
// and `tollgate serve` both use; the console's controller.
class GatewayHost final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::GatewayHost)

public:
    explicit GatewayHost(Service& service);
    ~GatewayHost();
    Q_DISABLE_COPY_MOVE(GatewayHost)

    // Returns an error message, or an empty string once listening.
    QString start(const GatewayConfig& config);
    // Stops accepting, lets requests under way finish for up to drainMs, writes every usage record, stops.
    void stop(int drainMs = 30'000);

    bool isRunning() const { return m_server && m_server->isRunning(); }
    QString address() const; // "http://127.0.0.1:8787"
    quint16 port() const { return m_server ? m_server->port() : 0; }
    // Where the admin API answers: "http://127.0.0.1:8788/api/admin" (its own listener) or below address().
    QString adminAddress() const;
    llm::GatewayStats stats() const;
    http::ServerStats serverStats() const;
    qint64 meteringQueueDepth() const;
    // Waits until the database has the usage of every request answered so far.
    void flushUsage();

private:
    class Routing;
    Service& m_service;
    std::unique_ptr<UsageWriter> m_writer;
    std::unique_ptr<llm::Gateway> m_gateway;
    std::unique_ptr<admin::AdminApi> m_admin;
    std::unique_ptr<Routing> m_routing;
    std::unique_ptr<Routing> m_adminRouting;
    std::unique_ptr<http::Server> m_server;
    std::unique_ptr<http::Server> m_adminServer;
};

} // namespace tollgate
