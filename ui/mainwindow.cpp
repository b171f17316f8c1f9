#include "ui/mainwindow.h"

#include "core/service/service.h"
#include "ui/access/customerspage.h"
#include "ui/access/projectspage.h"
#include "ui/catalog/catalogpage.h"
#include "ui/console.h"
#include "ui/dashboard/dashboardpage.h"
#include "ui/gateway/gatewaypage.h"
#include "ui/groups/groupspage.h"
#include "ui/keys/keydialog.h"
#include "ui/keys/keyspage.h"
#include "ui/page.h"
#include "ui/policies/policiespage.h"
#include "ui/requests/requestlogpage.h"
#include "ui/settings/settingspage.h"
#include "ui/users/userspage.h"
#include "ui/widgets/messagebanner.h"

#include <QApplication>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QStackedWidget>
#include <QStatusBar>
#include <QUndoStack>

namespace tollgate {

MainWindow::MainWindow(Console& console, GatewayMonitor* monitor, QWidget* parent)
    : QMainWindow(parent)
    , m_console(console)
{
    setWindowTitle(tr("Tollgate"));
    auto* central = new QWidget(this);
    auto* row = new QHBoxLayout(central);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(0);
    m_sidebar = new QListWidget(central);
    m_sidebar->setObjectName(QStringLiteral("sidebar"));
    m_sidebar->setFrameShape(QFrame::NoFrame);
    m_sidebar->setSpacing(1);
    m_sidebar->setStyleSheet(QStringLiteral("QListWidget#sidebar { background: palette(window); padding-top: 6px; }"
                                            " QListWidget#sidebar::item { padding: 6px 10px; }"));
    m_stack = new QStackedWidget(central);
    row->addWidget(m_sidebar);
    row->addWidget(m_stack, 1);
    setCentralWidget(central);

    auto* dashboard = new DashboardPage(console, m_stack);
    auto* keys = new KeysPage(console, m_stack);
    auto* requests = new RequestLogPage(console, m_stack);
    addPage(dashboard);
    addPage(new UsersPage(console, m_stack));
    addPage(new GroupsPage(console, m_stack));
    addPage(new PoliciesPage(console, m_stack));
    addPage(keys);
    addPage(new ProjectsPage(console, m_stack));
    addPage(new CustomersPage(console, m_stack));
    addPage(new CatalogPage(console, m_stack));
    addPage(requests);
    addPage(new GatewayPage(console, monitor, m_stack));
    addPage(new SettingsPage(console, m_stack));
    connect(dashboard, &DashboardPage::drillDown, this, [this, requests](const UsageLogFilter& f, const QString& what) {
        requests->applyFilter(f, what);
        showPage<RequestLogPage>();
    });
    connect(keys, &KeysPage::showRequests, this, [this, requests](Id keyId) {
        UsageLogFilter f;
        f.keyId = keyId;
        requests->applyFilter(f, tr("key %1").arg(m_console.service().access().key(keyId).value_or(ApiKey {}).name));
        showPage<RequestLogPage>();
    });

    m_sidebar->setFixedWidth(m_sidebar->sizeHintForColumn(0) + 40);
    connect(m_sidebar, &QListWidget::currentRowChanged, this, [this](int index) {
        if (index < 0 || index == m_stack->currentIndex())
            return;
        if (!currentPage()->mayLeave()) {
            const QSignalBlocker block(m_sidebar);
            m_sidebar->setCurrentRow(m_stack->currentIndex());
            return;
        }
        m_stack->setCurrentIndex(index);
    });
    m_sidebar->setCurrentRow(0);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* refresh = file->addAction(tr("&Refresh"));
    refresh->setShortcut(QKeySequence::Refresh);
    connect(refresh, &QAction::triggered, this, [this] { currentPage()->reload(); });
    file->addSeparator();
    QAction* close = file->addAction(tr("&Close Window"));
    close->setShortcut(QKeySequence::Close);
    connect(close, &QAction::triggered, this, &QWidget::close);
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, qApp, &QApplication::quit);
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = console.undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = console.undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);
    QMenu* go = menuBar()->addMenu(tr("&Go"));
    for (int i = 0; i < m_pages.size(); ++i) {
        QAction* a = go->addAction(m_pages[i]->title());
        if (i < 9)
            a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        connect(a, &QAction::triggered, this, [this, i] { setCurrentPage(i); });
    }

    connect(&console, &Console::message, this, [this](bool error, const QString& text) {
        currentPage()->banner()->showMessage(error ? MessageBanner::Kind::Error : MessageBanner::Kind::Information,
                                             text);
    });
    m_gatewayStatus = new QLabel(this);
    statusBar()->addWidget(m_gatewayStatus, 1);
    resize(1100, 700);
}

void MainWindow::addPage(Page* page)
{
    m_pages << page;
    m_stack->addWidget(page);
    m_sidebar->addItem(page->title());
}

Page* MainWindow::currentPage() const { return static_cast<Page*>(m_stack->currentWidget()); }

void MainWindow::setCurrentPage(int index) { m_sidebar->setCurrentRow(index); }

void MainWindow::showOwnerKey(const QString& secret, const QString& adminAddress)
{
    SecretDialog* box = ownerKeyDialog(secret, adminAddress);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

SecretDialog* MainWindow::ownerKeyDialog(const QString& secret, const QString& adminAddress)
{
    auto* box = new SecretDialog(tr("Owner admin key"),
                                 tr("<p>Tollgate created an owner key for its admin API. It is shown <b>only now</b>: "
                                    "copy it to a safe place.</p>"),
                                 secret,
                                 tr("Scripts send it as <code>Authorization: Bearer &lt;key&gt;</code> to "
                                    "<code>%1</code>.")
                                     .arg(adminAddress.toHtmlEscaped()),
                                 this);
    box->setObjectName(QStringLiteral("ownerKey"));
    return box;
}

void MainWindow::showFirstRun(const QString& database)
{
    // It stays until dismissed: the owner key's dialog may be in front of it at first.
    currentPage()->banner()->showMessage(
        MessageBanner::Kind::Information,
        tr("Welcome to Tollgate. Your organisation's database was created at %1. To use another one (a file or a "
           "PostgreSQL server), open Settings.")
            .arg(QDir::toNativeSeparators(database)),
        true);
}

void MainWindow::setGatewayStatus(const QString& text) { m_gatewayStatus->setText(text); }

} // namespace tollgate
