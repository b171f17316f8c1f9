#include "ui/keys/keyspage.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/format.h"
#include "ui/gatewaycontroller.h"
#include "ui/keys/keydialog.h"
#include "ui/widgets/dialogs.h"
#include "ui/widgets/messagebanner.h"
#include "ui/widgets/tables.h"

#include <QColor>
#include <QHeaderView>
#include <QLineEdit>
#include <QTableView>
#include <QToolBar>

namespace tollgate {

namespace {

QString statusOf(const ApiKey& k, Instant now)
{
    if (k.status == KeyStatus::Revoked)
        return KeysPage::tr("revoked");
    if (k.expiresAt && k.expiresAt <= now)
        return KeysPage::tr("expired");
    return KeysPage::tr("active");
}

} // namespace

KeysPage::KeysPage(Console& console, QWidget* parent)
    : Page(console, tr("API Keys"), parent)
{
    const Service& s = console.service();
    const auto tz = [&s] { return s.directory().organization().timezone; };
    using C = ListModel<KeyRow>::Column;
    const auto right = Qt::AlignRight | Qt::AlignVCenter;
    m_model = new ListModel<KeyRow>(
        {
            C {tr("Name"), [](const KeyRow& r) { return r.key.name; }},
            C {tr("Key"), [](const KeyRow& r) { return QString(r.key.prefix + QStringLiteral("\u2026")); }},
            C {tr("Project"), [](const KeyRow& r) { return r.project; }},
            C {tr("Holder"), [](const KeyRow& r) { return r.holder; }},
            C {tr("Status"),
               [&s](const KeyRow& r) { return statusOf(r.key, s.clock().now()); },
               {},
               {},
               [&s](const KeyRow& r) {
                   return statusOf(r.key, s.clock().now()) == tr("active") ? QVariant() : QVariant(QColor(Qt::gray));
               }},
            C {tr("This month"), [](const KeyRow& r) { return format::money(r.spend); },
               [](const KeyRow& r) { return r.spend; }, right},
            C {tr("Requests"), [](const KeyRow& r) { return format::count(r.requests); },
               [](const KeyRow& r) { return r.requests; }, right},
            C {tr("Monthly cap"), [](const KeyRow& r) { return format::moneyOrNone(r.key.monthlyCap); },
               [](const KeyRow& r) { return r.key.monthlyCap.value_or(-1); }, right},
            C {tr("Expires"),
               [tz](const KeyRow& r) { return r.key.expiresAt ? format::time(r.key.expiresAt, tz()) : tr("never"); },
               [](const KeyRow& r) { return r.key.expiresAt; }},
            C {tr("Last used"), [tz](const KeyRow& r) { return format::time(r.key.lastUsedAt, tz()); },
               [](const KeyRow& r) { return r.key.lastUsedAt; }},
        },
        this);

    auto* bar = new QToolBar(this);
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    QAction* create = bar->addAction(tr("New key\u2026"));
    create->setObjectName(QStringLiteral("newKey"));
    connect(create, &QAction::triggered, this, &KeysPage::newKey);
    connect(bar->addAction(tr("Set monthly cap\u2026")), &QAction::triggered, this, &KeysPage::setCap);
    QAction* customerLimits = bar->addAction(tr("Customer limits\u2026"));
    customerLimits->setObjectName(QStringLiteral("customerLimits"));
    connect(customerLimits, &QAction::triggered, this, &KeysPage::toggleCustomerLimits);
    connect(bar->addAction(tr("Revoke\u2026")), &QAction::triggered, this, &KeysPage::revoke);
    connect(bar->addAction(tr("Delete\u2026")), &QAction::triggered, this, &KeysPage::remove);
    connect(bar->addAction(tr("Show requests")), &QAction::triggered, this, [this] {
        const QList<Id> ids = selectedKeys();
        if (ids.size() == 1)
            emit showRequests(ids.first());
    });
    m_table = addFilteredTable(this, content(), bar, m_model, tr("Filter keys"));
    setEmptyText(m_table, tr("No API keys yet: New key\u2026 makes one."), tr("No key matches the filter."));
    m_table->horizontalHeader()->resizeSection(0, 180);
    m_table->horizontalHeader()->resizeSection(1, 110);
    m_table->horizontalHeader()->resizeSection(3, 200);
    connect(&console, &Console::usageChanged, this, [this] {
        if (isVisible())
            reload();
    });
}

void KeysPage::reload()
{
    const Service& s = console().service();
    console().run<QList<KeyRow>>(
        this,
        [&s] {
            QHash<Id, Money> spend;
            QHash<Id, qint64> requests;
            UsageQuery q;
            const Window month = Calendar::compute(WindowKind::Month, s.clock().now(),
                                                   QTimeZone(s.directory().organization().timezone.toUtf8()));
            q.from = month.start;
            q.to = month.end;
            q.groupBy = UsageDimension::Key;
            if (auto r = s.usage().usageReport(q); r.ok())
                for (const UsageRow& row : std::as_const(r->rows)) {
                    spend[row.key.toLongLong()] += row.totals.cost;
                    requests[row.key.toLongLong()] += row.totals.requests;
                }
            QList<KeyRow> rows;
            for (const ApiKey& k : s.access().keys()) {
                KeyRow r;
                r.key = k;
                r.project = s.access().project(k.projectId).value_or(Project {}).name;
                r.holder =
                    k.holderUserId ? s.directory().user(k.holderUserId).value_or(User {}).email : tr("(service key)");
                r.spend = spend.value(k.id);
                r.requests = requests.value(k.id);
                rows << r;
            }
            return rows;
        },
        [this](QList<KeyRow> rows) { m_model->setItems(std::move(rows)); });
}

QList<Id> KeysPage::selectedKeys() const
{
    QList<Id> ids;
    for (int row : selectedSourceRows(m_table))
        ids << m_model->item(row).key.id;
    return ids;
}

void KeysPage::newKey()
{
    auto* dialog = new KeyDialog(console().service(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const CreatedKey& k = dialog->created();
        const QString url = console().gateway() ? console().gateway()->baseUrl() : QString();
        auto* secret = new SecretDialog(k.key.name, k.secret, url, this);
        secret->setAttribute(Qt::WA_DeleteOnClose);
        secret->open();
        banner()->showInfo(tr("Key %1 created.").arg(k.key.name));
    });
    dialog->open();
}

std::optional<ApiKey> KeysPage::selectedKey()
{
    const QList<Id> ids = selectedKeys();
    if (ids.size() != 1) {
        banner()->showError(tr("Select one key."));
        return std::nullopt;
    }
    return console().service().access().key(ids.first());
}

void KeysPage::setCap()
{
    auto key = selectedKey();
    if (!key)
        return;
    const auto text = dialogs::askMoney(
        this, tr("Monthly cap"), tr("Monthly cap of %1, in dollars (empty: no cap):").arg(key->name), key->monthlyCap);
    if (!text)
        return;
    auto cap = format::optionalDollars(*text, tr("monthly cap"));
    if (!cap.ok())
        return banner()->showError(tr("Nothing changed: %1").arg(cap.error().message));
    key->monthlyCap = cap.value();
    auto r = console().service().access().updateKey(*key, Console::actor());
    if (!r.ok())
        return banner()->showError(r.error().message);
    banner()->showInfo(tr("Cap of %1 saved.").arg(key->name));
}

void KeysPage::toggleCustomerLimits()
{
    auto key = selectedKey();
    if (!key)
        return;
    const QString feature = QLatin1String(kCustomerLimitsFeature);
    const bool granted = key->features.contains(feature);
    const QString question = granted
        ? tr("Requests with %1 may set the budgets, rate limit and markup of end customers "
             "(customer_params).\n\nTake that away? They may still name and describe customers.")
              .arg(key->name)
        : tr("Requests with %1 may name and describe end customers (customer_params), but not set their "
             "limits.\n\nLet them set the budgets, rate limit and markup of customers whose limits an admin "
             "has not locked?")
              .arg(key->name);
    if (dialogs::confirm(this, tr("Customer limits"), question) != dialogs::Answer::Yes)
        return;
    if (granted)
        key->features.removeAll(feature);
    else
        key->features.append(feature);
    auto r = console().service().access().updateKey(*key, Console::actor());
    if (!r.ok())
        return banner()->showError(r.error().message);
    banner()->showInfo(granted ? tr("%1 may no longer set customer limits.").arg(key->name)
                               : tr("%1 may set customer limits.").arg(key->name));
}

void KeysPage::revoke()
{
    const QList<Id> ids = selectedKeys();
    if (ids.isEmpty())
        return;
    if (dialogs::confirm(this, tr("Revoke keys"),
                         tr("Revoke %n key(s)? Requests with them are refused from now on.", nullptr, int(ids.size())))
        != dialogs::Answer::Yes)
        return;
    for (Id id : ids)
        if (Status s = console().service().access().revokeKey(id, Console::actor()); !s.ok())
            return banner()->showError(s.error().message);
    banner()->showInfo(tr("%n key(s) revoked.", nullptr, int(ids.size())));
}

void KeysPage::remove()
{
    const QList<Id> ids = selectedKeys();
    if (ids.isEmpty())
        return;
    if (dialogs::confirm(this, tr("Delete keys"),
                         tr("Delete %n key(s)? Their usage records stay.", nullptr, int(ids.size())))
        != dialogs::Answer::Yes)
        return;
    for (Id id : ids)
        if (Status s = console().service().access().deleteKey(id, Console::actor()); !s.ok())
            return banner()->showError(s.error().message);
    banner()->showInfo(tr("%n key(s) deleted.", nullptr, int(ids.size())));
}

} // namespace tollgate
