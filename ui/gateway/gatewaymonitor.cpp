#include "ui/gateway/gatewaymonitor.h"

namespace tollgate {

GatewayMonitor::GatewayMonitor(GatewayController& gateway, QObject* parent)
    : QObject(parent)
    , m_gateway(gateway)
{
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &GatewayMonitor::poll);
    m_timer.start();
    m_since.start();
    m_counters = gateway.counters();
}

QString GatewayMonitor::start(const QString& listen)
{
    const QString error = m_gateway.start(listen);
    poll();
    return error;
}

void GatewayMonitor::stop()
{
    m_gateway.stop();
    poll();
}

void GatewayMonitor::poll()
{
    const GatewayController::Counters now = m_gateway.counters();
    const qint64 ms = std::max<qint64>(1, m_since.restart());
    m_rate =
        now.requests >= m_counters.requests ? double(now.requests - m_counters.requests) * 1000.0 / double(ms) : 0.0;
    m_counters = now;
    emit updated();
}

} // namespace tollgate
