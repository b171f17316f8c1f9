#include "ui/tray/traycontroller.h"

#include "ui/console.h"
#include "ui/format.h"
#include "ui/gateway/gatewaymonitor.h"

#include <QMenu>
#include <QPainter>
#include <QPixmap>
#include <QTimer>

namespace tollgate {

namespace {

// The installed theme's icon (hicolor: io.tollgate.Tollgate-running / -stopped), else the same picture painted here.
QIcon stateIcon(bool running)
{
    const QString themed =
        running ? QStringLiteral("io.tollgate.Tollgate-running") : QStringLiteral("io.tollgate.Tollgate-stopped");
    if (QIcon::hasThemeIcon(themed))
        return QIcon::fromTheme(themed);
    QPixmap pixmap(64, 64);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setBrush(running ? QColor(0x2e, 0x7d, 0x32) : QColor(0x9e, 0x9e, 0x9e));
    p.setPen(Qt::NoPen);
    p.drawRoundedRect(QRectF(4, 4, 56, 56), 14, 14);
    p.setPen(QPen(Qt::white, 7, Qt::SolidLine, Qt::RoundCap));
    p.drawLine(QPointF(16, 24), QPointF(48, 24)); // a toll gate's bar
    p.drawLine(QPointF(32, 24), QPointF(32, 50));
    return QIcon(pixmap);
}

} // namespace

TrayController::TrayController(Console& console, GatewayMonitor* monitor, QObject* parent)
    : QObject(parent)
    , m_console(console)
    , m_monitor(monitor)
    , m_icon(new QSystemTrayIcon(this))
    , m_menu(new QMenu)
    , m_limitTimer(new QTimer(this))
{
    m_status = m_menu->addAction(QString());
    m_status->setEnabled(false);
    m_toggle = m_menu->addAction(QString());
    connect(m_toggle, &QAction::triggered, this, [this] {
        if (!m_monitor)
            return;
        if (m_monitor->gateway().isRunning())
            m_monitor->stop();
        else if (const QString error = m_monitor->start({}); !error.isEmpty())
            m_icon->showMessage(tr("Gateway not started"), error, QSystemTrayIcon::Warning);
        update();
    });
    m_menu->addSeparator();
    connect(m_menu->addAction(tr("Open console")), &QAction::triggered, this, &TrayController::openConsole);
    connect(m_menu->addAction(tr("Quit")), &QAction::triggered, this, &TrayController::quit);
    m_icon->setContextMenu(m_menu);
    connect(m_icon, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason r) {
        if (r == QSystemTrayIcon::Trigger || r == QSystemTrayIcon::DoubleClick)
            emit openConsole();
    });
    if (m_monitor)
        connect(m_monitor, &GatewayMonitor::updated, this, &TrayController::update);
    m_limitTimer->setInterval(15'000);
    connect(m_limitTimer, &QTimer::timeout, this, &TrayController::checkLimits);
    m_limitTimer->start();
    update();
    m_icon->show();
    QTimer::singleShot(0, this, &TrayController::checkLimits);
}

void TrayController::update()
{
    const bool running = m_monitor && m_monitor->gateway().isRunning();
    QString status;
    if (!m_monitor)
        status = tr("No gateway");
    else if (running)
        status = tr("Gateway running at %1 \u00b7 %2 requests/s")
                     .arg(m_monitor->gateway().baseUrl(), QLocale().toString(m_monitor->requestsPerSecond(), 'f', 1));
    else
        status = tr("Gateway stopped");
    m_status->setText(status);
    m_toggle->setText(running ? tr("Stop gateway") : tr("Start gateway"));
    m_toggle->setEnabled(m_monitor != nullptr);
    m_icon->setIcon(stateIcon(running));
    m_icon->setToolTip(tr("Tollgate \u2014 %1").arg(status));
}

void TrayController::checkLimits()
{
    if (m_checking)
        return;
    m_checking = true;
    const Service& s = m_console.service();
    m_console.run<Result<QList<LimitUse>>>(
        this, [&s] { return monthlyLimitUse(s, 0.8); },
        [this](Result<QList<LimitUse>> uses) {
            m_checking = false;
            if (!uses.ok())
                return;
            for (const LimitAlerts::Alert& a : m_alerts.check(uses.value())) {
                const QString who = tr("%1 %2").arg(limitKindLabel(a.use.kind), a.use.name);
                const QString text = a.percent >= 100
                    ? tr("%1 has reached its monthly limit: %2 of %3.")
                          .arg(who, format::money(a.use.spend), format::money(a.use.limit))
                    : tr("%1 has used %2 % of its monthly limit: %3 of %4.")
                          .arg(who)
                          .arg(qRound(a.use.fraction() * 100))
                          .arg(format::money(a.use.spend), format::money(a.use.limit));
                m_icon->showMessage(a.percent >= 100 ? tr("Limit reached") : tr("Limit nearly reached"), text,
                                    a.percent >= 100 ? QSystemTrayIcon::Warning : QSystemTrayIcon::Information);
                emit limitCrossed(a);
            }
        });
}

} // namespace tollgate
