#pragma once

#include "ui/gatewaycontroller.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace tollgate {

// Reads the gateway's counters once a second and works out requests per second, for the gateway page and the
// tray; start and stop go through it so both hear of the change at once.
class GatewayMonitor final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayMonitor)

public:
    explicit GatewayMonitor(GatewayController& gateway, QObject* parent = nullptr);

    GatewayController& gateway() const { return m_gateway; }
    GatewayController::Counters counters() const { return m_counters; }
    double requestsPerSecond() const { return m_rate; }
    QString start(const QString& listen);
    void stop();
    void poll();

signals:
    void updated();

private:
    GatewayController& m_gateway;
    QTimer m_timer;
    QElapsedTimer m_since;
    GatewayController::Counters m_counters;
    double m_rate = 0;
};

} // namespace tollgate
