#include "overview/overviewpage.h"

#include "service/service.h"

#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace tollgate {

OverviewPage::OverviewPage(Service& service, QWidget* parent)
    : QWidget(parent)
    , m_service(service)
{
    auto* layout = new QVBoxLayout(this);
    m_title = new QLabel(this);
    QFont f = m_title->font();
    f.setPointSizeF(f.pointSizeF() * 1.6);
    f.setBold(true);
    m_title->setFont(f);
    layout->addWidget(m_title);
    m_form = new QFormLayout;
    m_form->setLabelAlignment(Qt::AlignRight);
    layout->addLayout(m_form);
    m_database = addRow(tr("Database:"));
    m_database->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_timezone = addRow(tr("Time zone:"));
    m_users = addRow(tr("People:"));
    m_groups = addRow(tr("Groups:"));
    m_projects = addRow(tr("Projects:"));
    m_keys = addRow(tr("API keys:"));
    m_customers = addRow(tr("End customers:"));
    m_models = addRow(tr("Models:"));
    m_usage = addRow(tr("Usage records:"));
    m_budget = addRow(tr("Monthly budget:"));
    layout->addStretch(1);
    refresh();
}

QLabel* OverviewPage::addRow(const QString& label)
{
    auto* value = new QLabel(this);
    m_form->addRow(label, value);
    return value;
}

void OverviewPage::refresh()
{
    const Organization org = m_service.organization();
    const QLocale locale;
    m_title->setText(org.name);
    m_database->setText(m_service.database().location().displayName());
    m_timezone->setText(org.timezone);
    qint64 active = 0;
    for (const User& u : m_service.users())
        active += u.status == UserStatus::Active ? 1 : 0;
    m_users->setText(tr("%1 (%2 active)").arg(locale.toString(m_service.userCount()), locale.toString(active)));
    m_groups->setText(locale.toString(m_service.groups().size()));
    m_projects->setText(locale.toString(m_service.projects().size()));
    m_keys->setText(locale.toString(m_service.keys().size()));
    m_customers->setText(locale.toString(m_service.customers().size()));
    m_models->setText(tr("%1 (providers: %2)")
                          .arg(locale.toString(m_service.models().size()), locale.toString(m_service.providers().size())));
    m_usage->setText(locale.toString(m_service.usageRecordCount()));
    m_budget->setText(org.monthlyBudget ? money::formatDollars(*org.monthlyBudget) : tr("no limit"));
}

} // namespace tollgate
