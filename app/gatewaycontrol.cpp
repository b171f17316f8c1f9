#include "app/gatewaycontrol.h"

namespace tollgate {

GatewayControl::GatewayControl(GatewayHost& host, GatewayConfig config)
    : m_host(host)
    , m_config(std::move(config))
{
}

QString GatewayControl::start(const QString& listen)
{
    if (m_host.isRunning())
        return {};
    if (!listen.isEmpty()) {
        auto l = parseListenAddress(listen);
        if (!l.ok())
            return m_lastError = l.error().message;
        m_config.server.address = l->first;
        m_config.server.port = l->second;
    }
    m_lastError = m_host.start(m_config);
    return m_lastError;
}

void GatewayControl::stop() { m_host.stop(10'000); }

QString GatewayControl::listenAddress() const
{
    const QHostAddress& a = m_config.server.address;
    const QString host = a.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + a.toString() + u']' : a.toString();
    return QStringLiteral("%1:%2").arg(host).arg(m_host.isRunning() ? m_host.port() : m_config.server.port);
}

GatewayController::Counters GatewayControl::counters() const
{
    Counters c;
    if (!m_host.isRunning())
        return c;
    const llm::GatewayStats g = m_host.stats();
    const http::ServerStats s = m_host.serverStats();
    c.requests = g.requests;
    c.allowed = g.allowed;
    c.denied = g.denied;
    c.upstreamErrors = g.upstreamErrors;
    c.inFlight = g.inFlight;
    c.meteringFailures = g.meteringFailures;
    c.openConnections = s.openConnections;
    c.meteringQueue = m_host.meteringQueueDepth();
    return c;
}

} // namespace tollgate
