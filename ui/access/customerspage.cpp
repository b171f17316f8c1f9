#include "ui/access/customerspage.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/format.h"
#include "ui/widgets/dialogs.h"
#include "ui/widgets/editdialog.h"
#include "ui/widgets/messagebanner.h"
#include "ui/widgets/tables.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QHeaderView>
#include <QLineEdit>
#include <QTableView>
#include <QTimeZone>
#include <QToolBar>

namespace tollgate {

namespace {

QString durationLabel(BudgetDuration d)
{
    switch (d) {
    case BudgetDuration::None: return CustomersPage::tr("none");
    case BudgetDuration::Daily: return CustomersPage::tr("daily");
    case BudgetDuration::Weekly: return CustomersPage::tr("weekly");
    case BudgetDuration::Monthly: return CustomersPage::tr("monthly");
    case BudgetDuration::Yearly: return CustomersPage::tr("yearly");
    case BudgetDuration::Custom: return CustomersPage::tr("custom period");
    }
    return {};
}

QString dateText(Instant t, const QTimeZone& zone)
{
    return t ? QDateTime::fromMSecsSinceEpoch(t, zone).date().toString(Qt::ISODate) : QString();
}

Result<Instant> parseDate(const QString& text, const QString& field, const QTimeZone& zone)
{
    if (text.trimmed().isEmpty())
        return Instant(0);
    const QDate d = QDate::fromString(text.trimmed(), Qt::ISODate);
    if (!d.isValid())
        return Error::invalid(field, CustomersPage::tr("must be a date like 2026-12-31"));
    return QDateTime(d, QTime(0, 0), zone).toMSecsSinceEpoch();
}

} // namespace

CustomersPage::CustomersPage(Console& console, QWidget* parent)
    : Page(console, tr("Customers"), parent)
{
    using C = ListModel<CustomerRow>::Column;
    const auto right = Qt::AlignRight | Qt::AlignVCenter;
    m_model = new ListModel<CustomerRow>(
        {
            C {tr("Identifier"), [](const CustomerRow& r) { return r.customer.identifier; }},
            C {tr("Name"), [](const CustomerRow& r) { return r.customer.name; }},
            C {tr("Email"), [](const CustomerRow& r) { return r.customer.email; }},
            C {tr("This month"), [](const CustomerRow& r) { return format::money(r.spend); },
               [](const CustomerRow& r) { return r.spend; }, right},
            C {tr("Requests/min"),
               [](const CustomerRow& r) {
                   return r.customer.rateLimitPerMinute ? format::count(*r.customer.rateLimitPerMinute)
                                                        : QStringLiteral("\u2014");
               },
               [](const CustomerRow& r) { return r.customer.rateLimitPerMinute.value_or(-1); }, right},
            C {tr("Period budget"),
               [](const CustomerRow& r) {
                   return r.customer.periodBudget ? tr("%1 %2").arg(format::money(*r.customer.periodBudget),
                                                                    durationLabel(r.customer.budgetDuration))
                                                  : QStringLiteral("\u2014");
               },
               [](const CustomerRow& r) { return r.customer.periodBudget.value_or(-1); }, right},
            C {tr("Lifetime budget"), [](const CustomerRow& r) { return format::moneyOrNone(r.customer.totalBudget); },
               [](const CustomerRow& r) { return r.customer.totalBudget.value_or(-1); }, right},
            C {tr("Limits locked"),
               [](const CustomerRow& r) { return r.customer.limitsLocked ? tr("yes") : tr("no"); }},
            C {tr("Markup"),
               [](const CustomerRow& r) {
                   return QString(QLocale().toString(r.customer.markupBasisPoints / 100.0, 'f', 2) + u'%');
               },
               [](const CustomerRow& r) { return r.customer.markupBasisPoints; }, right},
        },
        this);
    auto* bar = new QToolBar(this);
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    connect(bar->addAction(tr("New customer\u2026")), &QAction::triggered, this, [this] { edit(std::nullopt); });
    connect(bar->addAction(tr("Edit\u2026")), &QAction::triggered, this, [this] {
        if (auto c = selected())
            edit(c);
    });
    connect(bar->addAction(tr("Delete\u2026")), &QAction::triggered, this, &CustomersPage::remove);
    m_table = addFilteredTable(this, content(), bar, m_model, tr("Filter customers"));
    setEmptyText(m_table,
                 tr("No end customers yet. They appear with the first request that names one in customer_params, or "
                    "with New customer\u2026"),
                 tr("No customer matches the filter."));
    m_table->horizontalHeader()->resizeSection(0, 160);
    m_table->horizontalHeader()->resizeSection(2, 200);
    connect(m_table, &QTableView::doubleClicked, this, [this] {
        if (auto c = selected())
            edit(c);
    });
}

void CustomersPage::reload()
{
    const Service& s = console().service();
    console().run<QList<CustomerRow>>(
        this,
        [&s] {
            const QHash<Id, Money> spend = s.usage().monthToDateSpend(UsageDimension::Customer).valueOr({});
            QList<CustomerRow> rows;
            for (const Customer& c : s.customers().all())
                rows << CustomerRow {c, spend.value(c.id)};
            return rows;
        },
        [this](QList<CustomerRow> rows) { m_model->setItems(std::move(rows)); });
}

std::optional<Customer> CustomersPage::selected() const
{
    const QList<int> rows = selectedSourceRows(m_table);
    if (rows.size() != 1)
        return std::nullopt;
    return m_model->item(rows.first()).customer;
}

void CustomersPage::edit(std::optional<Customer> existing)
{
    const Customer c = existing.value_or(Customer {});
    const QTimeZone zone(console().service().directory().organization().timezone.toUtf8());
    EditDialog dialog(existing ? tr("Edit customer") : tr("New customer"), this);
    QLineEdit* identifier = dialog.addLine(QStringLiteral("customer_identifier"), tr("Identifier:"), c.identifier,
                                           tr("as sent in customer_params.customer_identifier"));
    identifier->setEnabled(!existing);
    QLineEdit* name = dialog.addLine(QStringLiteral("name"), tr("Name:"), c.name);
    QLineEdit* email = dialog.addLine(QStringLiteral("email"), tr("Email:"), c.email);
    QLineEdit* rate = dialog.addLine(QStringLiteral("rate_limit_per_minute"), tr("Requests per minute:"),
                                     c.rateLimitPerMinute ? QString::number(*c.rateLimitPerMinute) : QString(),
                                     tr("empty: no rate limit"));
    QList<std::pair<QString, QVariant>> durations;
    for (BudgetDuration d : {BudgetDuration::None, BudgetDuration::Daily, BudgetDuration::Weekly,
                             BudgetDuration::Monthly, BudgetDuration::Yearly, BudgetDuration::Custom})
        durations.append({durationLabel(d), int(d)});
    QComboBox* duration = dialog.addChoice(tr("Budget period:"), durations, int(c.budgetDuration));
    QLineEdit* periodBudget =
        dialog.addMoney(QStringLiteral("period_budget"), tr("Period budget ($):"), c.periodBudget, tr("empty: none"));
    QLineEdit* start = dialog.addLine(QStringLiteral("period_start"), tr("Custom period from:"),
                                      dateText(c.periodStart, zone), tr("2026-01-01"));
    QLineEdit* end = dialog.addLine(QStringLiteral("period_end"), tr("Custom period until:"),
                                    dateText(c.periodEnd, zone), tr("2026-12-31 (exclusive)"));
    QLineEdit* total =
        dialog.addMoney(QStringLiteral("total_budget"), tr("Lifetime budget ($):"), c.totalBudget, tr("empty: none"));
    QLineEdit* markup = dialog.addLine(QStringLiteral("markup_percentage"), tr("Markup (%):"),
                                       c.markupBasisPoints ? QString::number(c.markupBasisPoints / 100.0) : QString(),
                                       tr("for reports; e.g. 12.5"));
    // New customers made here start locked: an admin who sets a cap means it.
    QCheckBox* locked = dialog.addCheck(tr("Lock these limits: requests (customer_params) may not change them"),
                                        existing ? c.limitsLocked : true);
    locked->setObjectName(QStringLiteral("limits_locked"));
    Service& s = console().service();
    dialog.setSave([&]() -> Status {
        Customer changed = c;
        changed.identifier = identifier->text().trimmed();
        changed.name = name->text().trimmed();
        changed.email = email->text().trimmed();
        auto r = format::optionalCount(rate->text(), QStringLiteral("rate_limit_per_minute"), 1, 1'000'000'000);
        if (!r.ok())
            return r.error();
        changed.rateLimitPerMinute = r.value();
        changed.budgetDuration = BudgetDuration(duration->currentData().toInt());
        auto pb = format::optionalDollars(periodBudget->text(), QStringLiteral("period_budget"));
        if (!pb.ok())
            return pb.error();
        changed.periodBudget = pb.value();
        auto from = parseDate(start->text(), QStringLiteral("period_start"), zone);
        if (!from.ok())
            return from.error();
        auto until = parseDate(end->text(), QStringLiteral("period_end"), zone);
        if (!until.ok())
            return until.error();
        changed.periodStart = from.value();
        changed.periodEnd = until.value();
        auto tb = format::optionalDollars(total->text(), QStringLiteral("total_budget"));
        if (!tb.ok())
            return tb.error();
        changed.totalBudget = tb.value();
        bool ok = true;
        const double percent = markup->text().trimmed().isEmpty() ? 0.0 : markup->text().trimmed().toDouble(&ok);
        if (!ok || percent < 0 || percent > 10'000)
            return Error::invalid(QStringLiteral("markup_percentage"), tr("must be between 0 and 10000 percent"));
        changed.markupBasisPoints = qint32(std::llround(percent * 100));
        changed.limitsLocked = locked->isChecked();
        auto saved = s.customers().saveCustomer(changed, Console::actor());
        return saved.ok() ? Status() : Status(saved.error());
    });
    if (dialog.exec() == QDialog::Accepted)
        banner()->showInfo(tr("Customer saved."));
}

void CustomersPage::remove()
{
    const auto c = selected();
    if (!c)
        return banner()->showError(tr("Select one customer."));
    if (dialogs::confirm(this, tr("Delete customer"),
                         tr("Delete the customer %1? Their usage records stay.").arg(c->identifier))
        != dialogs::Answer::Yes)
        return;
    if (Status st = console().service().customers().deleteCustomer(c->id, Console::actor()); !st.ok())
        return banner()->showError(st.error().message);
    banner()->showInfo(tr("Customer %1 deleted.").arg(c->identifier));
}

} // namespace tollgate
