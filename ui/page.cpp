#include "ui/page.h"

#include "ui/console.h"
#include "ui/widgets/messagebanner.h"

#include <QLabel>
#include <QVBoxLayout>

namespace tollgate {

Page::Page(Console& console, const QString& title, QWidget* parent)
    : QWidget(parent)
    , m_console(console)
    , m_title(title)
{
    auto* layout = new QVBoxLayout(this);
    auto* heading = new QLabel(title, this);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.5);
    f.setBold(true);
    heading->setFont(f);
    layout->addWidget(heading);
    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);
    m_content = new QVBoxLayout;
    layout->addLayout(m_content, 1);
    connect(&console, &Console::organisationChanged, this, &Page::organisationChanged);
}

void Page::organisationChanged()
{
    if (isVisible())
        reload();
    else
        m_stale = true;
}

void Page::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_stale) {
        m_stale = false;
        reload();
    }
}

} // namespace tollgate
