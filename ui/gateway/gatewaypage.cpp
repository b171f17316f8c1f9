#include "ui/gateway/gatewaypage.h"

#include "ui/console.h"
#include "ui/format.h"
#include "ui/gateway/gatewaymonitor.h"
#include "ui/widgets/messagebanner.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace tollgate {

GatewayPage::GatewayPage(Console& console, GatewayMonitor* monitor, QWidget* parent)
    : Page(console, tr("Gateway"), parent)
    , m_monitor(monitor)
{
    m_state = new QLabel(this);
    m_state->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont f = m_state->font();
    f.setPointSizeF(f.pointSizeF() * 1.2);
    m_state->setFont(f);
    content()->addWidget(m_state);
    auto* row = new QHBoxLayout;
    m_listen = new QLineEdit(this);
    m_listen->setObjectName(QStringLiteral("gatewayListen"));
    m_listen->setPlaceholderText(QStringLiteral("127.0.0.1:8787"));
    m_listen->setMaximumWidth(260);
    m_toggle = new QPushButton(this);
    m_toggle->setObjectName(QStringLiteral("gatewayToggle"));
    row->addWidget(new QLabel(tr("Listen on:"), this));
    row->addWidget(m_listen);
    row->addWidget(m_toggle);
    row->addStretch(1);
    content()->addLayout(row);
    auto* box = new QGroupBox(tr("Since the gateway started"), this);
    auto* form = new QFormLayout(box);
    for (const QString& label :
         {tr("Requests per second:"), tr("Requests:"), tr("Allowed:"), tr("Refused:"), tr("Provider errors:"),
          tr("In flight:"), tr("Open connections:"), tr("Usage records waiting to be written:"),
          tr("Usage records that failed to write:")}) {
        auto* value = new QLabel(box);
        form->addRow(label, value);
        m_values << value;
    }
    content()->addWidget(box);
    auto* note = new QLabel(tr("Clients use the OpenAI or Anthropic SDK with the base URL below and a Tollgate key. "
                               "Every change made in this console applies from the next request."),
                            this);
    note->setWordWrap(true);
    content()->addWidget(note);
    content()->addStretch(1);
    if (!m_monitor) {
        m_state->setText(tr("This console runs without a gateway."));
        m_toggle->setEnabled(false);
        return;
    }
    m_listen->setText(m_monitor->gateway().listenAddress());
    connect(m_toggle, &QPushButton::clicked, this, [this] {
        if (m_monitor->gateway().isRunning()) {
            m_monitor->stop();
            banner()->showInfo(tr("Gateway stopped; requests under way were finished."));
        } else if (const QString error = m_monitor->start(m_listen->text().trimmed()); !error.isEmpty()) {
            banner()->showError(tr("The gateway did not start: %1").arg(error));
        } else {
            banner()->showInfo(tr("Gateway listening on %1.").arg(m_monitor->gateway().baseUrl()));
        }
        reload();
    });
    connect(m_monitor, &GatewayMonitor::updated, this, [this] {
        if (isVisible())
            reload();
    });
}

void GatewayPage::reload()
{
    if (!m_monitor)
        return;
    const GatewayController& g = m_monitor->gateway();
    const bool running = g.isRunning();
    m_state->setText(
        running ? tr("\u25cf Running at <b>%1</b>").arg(g.baseUrl().toHtmlEscaped())
                : tr("\u25cb Stopped%1")
                      .arg(g.lastError().isEmpty() ? QString() : tr(": %1").arg(g.lastError().toHtmlEscaped())));
    m_state->setStyleSheet(running ? QStringLiteral("color: #1e7a3c") : QStringLiteral("color: #8a5a00"));
    m_toggle->setText(running ? tr("Stop") : tr("Start"));
    m_listen->setEnabled(!running);
    const GatewayController::Counters c = m_monitor->counters();
    const QList<QString> values {QLocale().toString(m_monitor->requestsPerSecond(), 'f', 1),
                                 format::count(c.requests),
                                 format::count(c.allowed),
                                 format::count(c.denied),
                                 format::count(c.upstreamErrors),
                                 format::count(c.inFlight),
                                 format::count(c.openConnections),
                                 format::count(c.meteringQueue),
                                 format::count(c.meteringFailures)};
    for (int i = 0; i < m_values.size(); ++i)
        m_values[i]->setText(values[i]);
}

} // namespace tollgate
