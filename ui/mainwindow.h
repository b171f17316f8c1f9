#pragma once

#include <QMainWindow>

class QLabel;

namespace tollgate {

class Service;
class OverviewPage;

// Assembles the console's pages; owns no logic of its own.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(Service& service, QWidget* parent = nullptr);

    // One line in the status bar: where the gateway listens, or why it is not running.
    void setGatewayStatus(const QString& text);
    // The owner admin key made at first start, shown this once in a dialog the admin can copy it from.
    void showOwnerKey(const QString& secret, const QString& adminAddress);

private:
    QLabel* m_gatewayStatus = nullptr;
    OverviewPage* m_overview = nullptr;
};

} // namespace tollgate
