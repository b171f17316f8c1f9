#include "mainwindow.h"

#include "overview/overviewpage.h"

#include <QApplication>
#include <QLabel>
#include <QMessageBox>
#include <QMenuBar>
#include <QStatusBar>

namespace tollgate {

MainWindow::MainWindow(Service& service, QWidget* parent)
    : QMainWindow(parent)
{
    setWindowTitle(tr("Tollgate"));
    m_overview = new OverviewPage(service, this);
    setCentralWidget(m_overview);
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* refresh = file->addAction(tr("&Refresh"));
    refresh->setShortcut(QKeySequence::Refresh);
    connect(refresh, &QAction::triggered, m_overview, &OverviewPage::refresh);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, qApp, &QApplication::quit);
    m_gatewayStatus = new QLabel(this);
    statusBar()->addWidget(m_gatewayStatus, 1);
    resize(640, 420);
}

void MainWindow::showOwnerKey(const QString& secret, const QString& adminAddress)
{
    auto* box = new QMessageBox(QMessageBox::Information, tr("Owner admin key"),
                                tr("<p>Tollgate created an owner key for its admin API. It is shown only now: copy "
                                   "it to a safe place.</p><p><code>%1</code></p><p>Scripts send it as "
                                   "<code>Authorization: Bearer &lt;key&gt;</code> to<br><code>%2</code></p>")
                                    .arg(secret.toHtmlEscaped(), adminAddress.toHtmlEscaped()),
                                QMessageBox::Ok, this);
    box->setTextFormat(Qt::RichText);
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::setGatewayStatus(const QString& text)
{
    m_gatewayStatus->setText(text);
}

} // namespace tollgate
