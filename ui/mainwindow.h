#pragma once

#include <QMainWindow>

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

private:
    OverviewPage* m_overview = nullptr;
};

} // namespace tollgate
