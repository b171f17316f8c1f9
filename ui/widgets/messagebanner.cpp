#include "ui/widgets/messagebanner.h"

#include "ui/logging.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QTimer>
#include <QToolButton>

namespace tollgate {

MessageBanner::MessageBanner(QWidget* parent)
    : QFrame(parent)
    , m_text(new QLabel(this))
    , m_hide(new QTimer(this))
{
    setObjectName(QStringLiteral("messageBanner"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_text, 1);
    auto* close = new QToolButton(this);
    close->setText(QStringLiteral("\u2715"));
    close->setAutoRaise(true);
    close->setToolTip(tr("Dismiss"));
    layout->addWidget(close, 0, Qt::AlignTop);
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    m_hide->setSingleShot(true);
    m_hide->setInterval(6000);
    connect(m_hide, &QTimer::timeout, this, &QWidget::hide);
    hide();
}

Q_LOGGING_CATEGORY(lcUi, "tollgate.ui", QtInfoMsg)

void MessageBanner::showMessage(Kind kind, const QString& text, bool stays)
{
    if (kind == Kind::Error)
        qCWarning(lcUi).noquote() << text;
    m_kind = kind;
    static const char* const colours[][2] = {
        {"#e8f0fe", "#1a56b0"}, {"#e6f4ea", "#1e7a3c"}, {"#fff4e0", "#8a5a00"}, {"#fde8e8", "#a61b1b"}};
    const auto& [background, border] = colours[int(kind)];
    setStyleSheet(QStringLiteral("#messageBanner { background: %1; border: 1px solid %2; border-radius: 4px; }"
                                 " #messageBanner QLabel { color: %2; }")
                      .arg(QLatin1String(background), QLatin1String(border)));
    m_text->setText(text);
    show();
    if (!stays && (kind == Kind::Positive || kind == Kind::Information))
        m_hide->start();
    else
        m_hide->stop();
}

QString MessageBanner::text() const { return isVisible() ? m_text->text() : QString(); }

} // namespace tollgate
