#pragma once

#include <QMainWindow>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace tollgate {

class SecretDialog;

class Console;
class GatewayMonitor;
class Page;

// The console's window: a sidebar of pages, the undo history in the Edit menu, the gateway's state in the status
// bar. Owns no logic of its own.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    // monitor: the gateway's, or nullptr when the console runs without one.
    MainWindow(Console& console, GatewayMonitor* monitor, QWidget* parent = nullptr);

    // Every page, in sidebar order.
    QList<Page*> pages() const { return m_pages; }
    Page* currentPage() const;
    // Shows the page (by its class) and returns it; nullptr when there is none of that type.
    template<typename P>
    P* showPage()
    {
        for (int i = 0; i < m_pages.size(); ++i)
            if (auto* p = qobject_cast<P*>(m_pages[i])) {
                setCurrentPage(i);
                return p;
            }
        return nullptr;
    }
    void setCurrentPage(int index);

    // One line in the status bar: where the gateway listens, or why it is not running.
    void setGatewayStatus(const QString& text);
    // The owner admin key made at first start, shown this once in a dialog the admin can copy it from.
    void showOwnerKey(const QString& secret, const QString& adminAddress);
    // The dialog showOwnerKey() opens (the screenshots render it too).
    SecretDialog* ownerKeyDialog(const QString& secret, const QString& adminAddress);
    // The first start made the embedded database: says where it is, and where to choose another.
    void showFirstRun(const QString& database);

private:
    void addPage(Page* page);

    Console& m_console;
    QListWidget* m_sidebar = nullptr;
    QStackedWidget* m_stack = nullptr;
    QList<Page*> m_pages;
    QLabel* m_gatewayStatus = nullptr;
};

} // namespace tollgate
