#pragma once

#include "gateway/host.h"
#include "ui/gatewaycontroller.h"

namespace tollgate {

// The console's view of the gateway host: start and stop on an address, and the live counters.
class GatewayControl final : public GatewayController
{
public:
    GatewayControl(GatewayHost& host, GatewayConfig config);

    QString start(const QString& listen) override;
    void stop() override;
    bool isRunning() const override { return m_host.isRunning(); }
    QString listenAddress() const override;
    QString baseUrl() const override { return m_host.isRunning() ? m_host.address() : QString(); }
    QString lastError() const override { return m_lastError; }
    Counters counters() const override;

private:
    GatewayHost& m_host;
    GatewayConfig m_config;
    QString m_lastError;
};

} // namespace tollgate
