#pragma once

#include "core/service/limitwatch.h"

#include <QObject>
#include <QSystemTrayIcon>

class QAction;
class QMenu;
class QTimer;

namespace tollgate {

class Console;
class GatewayMonitor;

// The tray icon, owned by the application object, not the window: the gateway's state (running or stopped,
// address, requests per second), start and stop, open the console, quit. Tells the admin once per window when a
// user, group or key crosses 80 % and 100 % of a monthly limit.
class TrayController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrayController)

public:
    TrayController(Console& console, GatewayMonitor* monitor, QObject* parent = nullptr);
    bool isAvailable() const { return QSystemTrayIcon::isSystemTrayAvailable(); }
    QSystemTrayIcon* icon() const { return m_icon; }
    // Checks the limits now (also every 15 seconds).
    void checkLimits();

signals:
    void openConsole();
    void quit();
    // Each crossing, when it is announced.
    void limitCrossed(const LimitAlerts::Alert& alert);

private:
    void update();

    Console& m_console;
    GatewayMonitor* m_monitor = nullptr;
    QSystemTrayIcon* m_icon = nullptr;
    QMenu* m_menu = nullptr;
    QAction* m_status = nullptr;
    QAction* m_toggle = nullptr;
    QTimer* m_limitTimer = nullptr;
    LimitAlerts m_alerts;
    bool m_checking = false;
};

} // namespace tollgate
