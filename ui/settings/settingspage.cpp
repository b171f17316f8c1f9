#include "ui/settings/settingspage.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/desktop/preferences.h"
#include "ui/format.h"
#include "ui/widgets/messagebanner.h"
#include "ui/widgets/moneyedit.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTimeZone>

namespace tollgate {

SettingsPage::SettingsPage(Console& console, QWidget* parent)
    : Page(console, tr("Settings"), parent)
{
    auto* box = new QGroupBox(tr("Organisation"), this);
    auto* form = new QFormLayout(box);
    m_name = new QLineEdit(box);
    m_timezone = new QLineEdit(box);
    QStringList zones;
    for (const QByteArray& z : QTimeZone::availableTimeZoneIds())
        zones << QString::fromUtf8(z);
    auto* completer = new QCompleter(zones, m_timezone);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    m_timezone->setCompleter(completer);
    auto* budget = new MoneyEdit(QStringLiteral("monthlyBudget"), std::nullopt, box);
    budget->setPlaceholderText(tr("dollars; empty: no organisation budget"));
    m_budget = budget->lineEdit();
    m_reduce = new QCheckBox(tr("When a request does not fit the limit left, send it with a lower max_tokens "
                                "instead of refusing it"),
                             box);
    form->addRow(tr("Name:"), m_name);
    form->addRow(tr("Time zone:"), m_timezone);
    form->addRow(tr("Monthly budget ($):"), budget);
    form->addRow(QString(), m_reduce);
    auto* save = new QPushButton(tr("Save"), box);
    form->addRow(QString(), save);
    content()->addWidget(box);
    auto* desktop = new QGroupBox(tr("This computer"), this);
    auto* desktopForm = new QFormLayout(desktop);
    m_language = new QComboBox(desktop);
    for (const preferences::Language& l : preferences::languages())
        m_language->addItem(l.name, l.code);
    m_atLogin = new QCheckBox(tr("Start Tollgate at login, in the tray"), desktop);
    m_databaseChoice = new QLineEdit(desktop);
    m_databaseChoice->setPlaceholderText(tr("empty: the embedded database in your data folder; or a file path, or "
                                            "postgresql://user:password@host:5432/name"));
    m_database = new QLabel(desktop);
    m_database->setTextInteractionFlags(Qt::TextSelectableByMouse);
    desktopForm->addRow(tr("Language:"), m_language);
    desktopForm->addRow(QString(), m_atLogin);
    desktopForm->addRow(tr("Database:"), m_databaseChoice);
    desktopForm->addRow(QString(), m_database);
    auto* saveDesktop = new QPushButton(tr("Save"), desktop);
    desktopForm->addRow(QString(), saveDesktop);
    content()->addWidget(desktop);
    content()->addStretch(1);
    connect(save, &QPushButton::clicked, this, &SettingsPage::save);
    connect(saveDesktop, &QPushButton::clicked, this, &SettingsPage::saveDesktop);
}

void SettingsPage::reload()
{
    const Service& s = console().service();
    const Organization o = s.directory().organization();
    m_name->setText(o.name);
    m_timezone->setText(o.timezone);
    m_budget->setText(o.monthlyBudget ? format::moneyInput(*o.monthlyBudget) : QString());
    m_reduce->setChecked(o.allowMaxTokensReduction);
    for (QLineEdit* e : {m_name, m_timezone, m_budget})
        format::markInvalid(e, {});
    m_database->setText(tr("In use: %1 \u00b7 %2 usage records")
                            .arg(s.database().location().displayName(), format::count(s.usage().usageRecordCount())));
    m_language->setCurrentIndex(std::max(0, m_language->findData(preferences::language())));
    m_atLogin->setChecked(preferences::startsAtLogin());
    m_databaseChoice->setText(preferences::database());
    format::markInvalid(m_databaseChoice, {});
}

bool SettingsPage::saveDesktop()
{
    // Everything that can fail is checked or done before anything is kept, so a refusal changes nothing.
    if (const QString error = preferences::checkDatabase(m_databaseChoice->text()); !error.isEmpty()) {
        format::markInvalid(m_databaseChoice, error);
        banner()->showError(tr("Not saved: the database: %1").arg(error));
        return false;
    }
    format::markInvalid(m_databaseChoice, {});
    if (m_atLogin->isChecked() != preferences::startsAtLogin())
        if (const QString error =
                preferences::setStartsAtLogin(m_atLogin->isChecked(), QApplication::applicationFilePath());
            !error.isEmpty()) {
            banner()->showError(tr("Not saved: start at login: %1").arg(error));
            return false;
        }
    const QString language = m_language->currentData().toString();
    const QString databaseBefore = preferences::database();
    preferences::setDatabase(m_databaseChoice->text());
    const bool restart = language != preferences::language() || preferences::database() != databaseBefore;
    preferences::setLanguage(language);
    banner()->showInfo(restart ? tr("Saved. The language and the database apply when Tollgate starts again.")
                               : tr("Saved."));
    return true;
}

bool SettingsPage::save()
{
    Service& s = console().service();
    Organization o = s.directory().organization();
    auto budget = format::optionalDollars(m_budget->text(), QStringLiteral("monthlyBudget"));
    if (!budget.ok()) {
        format::markInvalid(m_budget, budget.error().message);
        banner()->showError(tr("Not saved: %1").arg(budget.error().message));
        return false;
    }
    o.name = m_name->text().trimmed();
    o.timezone = m_timezone->text().trimmed();
    o.monthlyBudget = budget.value();
    o.allowMaxTokensReduction = m_reduce->isChecked();
    auto r = s.directory().updateOrganization(o, Console::actor());
    if (!r.ok()) {
        QLineEdit* field = r.error().field == u"timezone" ? m_timezone : r.error().field == u"name" ? m_name : m_budget;
        format::markInvalid(field, r.error().message);
        banner()->showError(tr("Not saved: %1 %2").arg(r.error().field, r.error().message));
        return false;
    }
    banner()->showInfo(tr("Saved."));
    return true;
}

} // namespace tollgate
