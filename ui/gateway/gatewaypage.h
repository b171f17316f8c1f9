#pragma once

#include "ui/page.h"

class QLabel;
class QLineEdit;
class QPushButton;

namespace tollgate {

class GatewayMonitor;

// The gateway: running or not, where it listens, start and stop, and its live counters.
class GatewayPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayPage)

public:
    GatewayPage(Console& console, GatewayMonitor* monitor, QWidget* parent = nullptr);
    void reload() override;

private:
    GatewayMonitor* m_monitor = nullptr;
    QLabel* m_state = nullptr;
    QLineEdit* m_listen = nullptr;
    QPushButton* m_toggle = nullptr;
    QList<QLabel*> m_values;
};

} // namespace tollgate
