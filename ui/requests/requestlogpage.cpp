#include "ui/requests/requestlogpage.h"

#include "core/catalog/catalog.h"
#include "core/catalog/pricing.h"
#include "core/enforcement/explanation.h"
#include "core/service/service.h"
#include "ui/console.h"
#include "ui/format.h"
#include "ui/widgets/messagebanner.h"
#include "ui/widgets/tables.h"

#include <QCheckBox>
#include <QColor>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QTimeZone>
#include <QToolButton>

namespace tollgate {

RequestLogPage::RequestLogPage(Console& console, QWidget* parent)
    : Page(console, tr("Request Log"), parent)
{
    const Service& s = console.service();
    const auto tz = [&s] { return s.directory().organization().timezone; };
    using C = ListModel<UsageRecord>::Column;
    const auto right = Qt::AlignRight | Qt::AlignVCenter;
    m_model = new ListModel<UsageRecord>(
        {
            C {tr("Time"), [tz](const UsageRecord& r) { return format::time(r.time, tz()); },
               [](const UsageRecord& r) { return r.time; }},
            C {tr("User"),
               [&s](const UsageRecord& r) {
                   return r.userId ? s.directory().user(r.userId).value_or(User {}).email : QString();
               }},
            C {tr("Key"),
               [&s](const UsageRecord& r) {
                   return r.keyId ? s.access().key(r.keyId).value_or(ApiKey {}).name : QString();
               }},
            C {tr("Model"), [](const UsageRecord& r) { return r.model; }},
            C {tr("Customer"),
               [&s](const UsageRecord& r) {
                   return r.customerId ? s.customers().customer(r.customerId).value_or(Customer {}).identifier
                                       : QString();
               }},
            C {tr("Status"),
               [](const UsageRecord& r) { return usageStatusName(r.status); },
               {},
               {},
               [](const UsageRecord& r) {
                   return r.status == UsageStatus::Ok ? QVariant() : QVariant(QColor(0xa6, 0x1b, 0x1b));
               }},
            C {tr("Tokens in/out"),
               [](const UsageRecord& r) {
                   return QStringLiteral("%1 / %2").arg(format::count(r.inputTokens), format::count(r.outputTokens));
               },
               [](const UsageRecord& r) { return r.inputTokens + r.outputTokens; }, right},
            C {tr("Cost"), [](const UsageRecord& r) { return money::formatDollars(r.cost); },
               [](const UsageRecord& r) { return r.cost; }, right},
            C {tr("Latency"), [](const UsageRecord& r) { return tr("%1 ms").arg(r.latencyMs); },
               [](const UsageRecord& r) { return r.latencyMs; }, right},
        },
        this);

    auto* filters = new QHBoxLayout;
    m_user = new QLineEdit(this);
    m_user->setPlaceholderText(tr("user email"));
    m_key = new QComboBox(this);
    m_model_ = new QComboBox(this);
    m_customer = new QComboBox(this);
    m_status = new QComboBox(this);
    m_status->addItem(tr("Any status"));
    for (UsageStatus st : {UsageStatus::Ok, UsageStatus::Denied, UsageStatus::UpstreamError, UsageStatus::Cancelled,
                           UsageStatus::Incomplete})
        m_status->addItem(usageStatusName(st), int(st));
    // The range is typed and shown in the organisation's time zone, as the rows are: the edits hold its wall-clock
    // time (as UTC, so that no local daylight-saving gap or repeat gets in the way).
    m_from = new QDateTimeEdit(this);
    m_to = new QDateTimeEdit(this);
    for (QDateTimeEdit* e : {m_from, m_to}) {
        e->setTimeSpec(Qt::UTC);
        e->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
        e->setCalendarPopup(true);
    }
    const Instant now = console.service().clock().now();
    setEditTime(m_from, now - 30 * 86'400'000LL);
    setEditTime(m_to, now);
    // Live: the list follows new requests (to = now, reloaded as usage comes in) until the admin pins a range.
    m_live = new QCheckBox(tr("Follow new requests"), this);
    m_live->setObjectName(QStringLiteral("followNewRequests"));
    m_live->setChecked(true);
    m_to->setEnabled(false);
    m_zone = new QLabel(this);
    m_zone->setObjectName(QStringLiteral("requestLogZone"));
    auto* apply = new QPushButton(tr("Show"), this);
    // A drill-down's filter (a dashboard bar, a key's requests), until it is cleared.
    m_drillDown = new QWidget(this);
    auto* chip = new QHBoxLayout(m_drillDown);
    chip->setContentsMargins(0, 0, 0, 0);
    m_drillDownText = new QLabel(m_drillDown);
    m_drillDownText->setObjectName(QStringLiteral("drillDown"));
    m_drillDownText->setStyleSheet(QStringLiteral("QLabel { background: #e8f0fe; color: #1a56b0; border: 1px solid "
                                                  "#1a56b0; border-radius: 4px; padding: 2px 6px; }"));
    auto* clearDrillDown = new QToolButton(m_drillDown);
    clearDrillDown->setObjectName(QStringLiteral("clearDrillDown"));
    clearDrillDown->setText(tr("Show all"));
    chip->addWidget(m_drillDownText);
    chip->addWidget(clearDrillDown);
    chip->addStretch(1);
    m_drillDown->hide();
    filters->addWidget(m_user, 2);
    filters->addWidget(m_key, 1);
    filters->addWidget(m_model_, 1);
    filters->addWidget(m_customer, 1);
    filters->addWidget(m_status);
    filters->addWidget(apply);
    content()->addLayout(filters);
    auto* range = new QHBoxLayout;
    range->addWidget(new QLabel(tr("from"), this));
    range->addWidget(m_from);
    range->addWidget(new QLabel(tr("to"), this));
    range->addWidget(m_to);
    range->addWidget(m_live);
    range->addWidget(m_zone);
    range->addStretch(1);
    content()->addLayout(range);
    content()->addWidget(m_drillDown);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    m_table = makeTable(splitter, m_model);
    setEmptyText(m_table, tr("No requests match these filters in this time range."));
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->sortByColumn(0, Qt::DescendingOrder);
    m_table->horizontalHeader()->resizeSection(0, 150);
    m_table->horizontalHeader()->resizeSection(1, 220);
    m_table->horizontalHeader()->resizeSection(2, 150);
    m_table->horizontalHeader()->resizeSection(3, 150);
    m_details = new QTextBrowser(splitter);
    m_details->setPlaceholderText(tr("Select a request to see its details and the decision explained."));
    splitter->addWidget(m_table);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    content()->addWidget(splitter, 1);

    const auto clearFixed = [this] {
        m_fixed = {};
        m_fixedDescription.clear();
        m_drillDown->hide();
        reload();
    };
    connect(apply, &QPushButton::clicked, this, clearFixed);
    connect(clearDrillDown, &QToolButton::clicked, this, clearFixed);
    connect(m_live, &QCheckBox::toggled, this, [this](bool live) {
        m_to->setEnabled(!live);
        if (!live) // pinned where it is now
            setEditTime(m_to, this->console().service().clock().now());
        reload();
    });
    connect(&console, &Console::usageChanged, this, [this] {
        if (isVisible() && m_live->isChecked() && m_fixedDescription.isEmpty())
            reload();
    });
    connect(m_user, &QLineEdit::returnPressed, apply, &QPushButton::click);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &RequestLogPage::showDetails);
}

UsageLogFilter RequestLogPage::filterFromFields() const
{
    if (!m_fixedDescription.isEmpty())
        return m_fixed;
    const Service& s = console().service();
    UsageLogFilter f;
    if (!m_user->text().trimmed().isEmpty()) {
        const auto u = s.directory().userByEmail(m_user->text().trimmed());
        f.userId = u ? u->id : -1; // nobody: nothing to show
    }
    f.keyId = m_key->currentData().toLongLong();
    f.model = m_model_->currentData().toString();
    f.customerId = m_customer->currentData().toLongLong();
    if (m_status->currentData().isValid())
        f.status = UsageStatus(m_status->currentData().toInt());
    f.from = editTime(m_from);
    f.to = m_live->isChecked() ? 0 : editTime(m_to); // live: open-ended, whatever comes in
    f.limit = 1000;
    return f;
}

QTimeZone RequestLogPage::zone() const
{
    const QTimeZone z(console().service().directory().organization().timezone.toUtf8());
    return z.isValid() ? z : QTimeZone::utc();
}

Instant RequestLogPage::editTime(const QDateTimeEdit* edit) const
{
    const QDateTime wall = edit->dateTime();
    return QDateTime(wall.date(), wall.time(), zone()).toMSecsSinceEpoch();
}

void RequestLogPage::setEditTime(QDateTimeEdit* edit, Instant t) const
{
    const QDateTime local = QDateTime::fromMSecsSinceEpoch(t, zone());
    edit->setDateTime(QDateTime(local.date(), local.time(), Qt::UTC));
}

void RequestLogPage::applyFilter(const UsageLogFilter& filter, const QString& description)
{
    m_fixed = filter;
    m_fixed.limit = 1000;
    m_fixedDescription = description;
    m_drillDownText->setText(tr("Only requests for %1").arg(description));
    m_drillDown->show();
    m_details->clear();
    m_model->setItems({}); // never the previous list under the new filter's name
    reload();
}

void RequestLogPage::reload()
{
    const Service& s = console().service();
    // The pick lists, keeping what is chosen.
    const auto refill = [](QComboBox* box, const QString& any, const QList<std::pair<QString, QVariant>>& items) {
        const QVariant current = box->currentData();
        const QSignalBlocker block(box);
        box->clear();
        box->addItem(any);
        for (const auto& [text, value] : items)
            box->addItem(text, value);
        box->setCurrentIndex(std::max(0, box->findData(current)));
    };
    QList<std::pair<QString, QVariant>> keys, models, customers;
    for (const ApiKey& k : s.access().keys())
        keys.append({k.name, k.id});
    for (const ModelInfo& m : s.catalog().models())
        models.append({m.id, m.id});
    for (const Customer& c : s.customers().all())
        customers.append({c.identifier, c.id});
    std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    refill(m_key, tr("Any key"), keys);
    refill(m_model_, tr("Any model"), models);
    refill(m_customer, tr("Any customer"), customers);

    const UsageLogFilter f = filterFromFields();
    if (f.userId < 0) {
        m_model->setItems({});
        banner()->showError(tr("No user has the email %1.").arg(m_user->text().trimmed()));
        return;
    }
    const QString description = m_fixedDescription;
    m_zone->setText(tr("times in %1").arg(QString::fromUtf8(zone().id())));
    const quint64 serial = ++m_loads; // a slower earlier load must not overwrite a newer one
    console().run<Result<QList<UsageRecord>>>(
        this, [&s, f] { return s.usage().usageLog(f); },
        [this, description, serial](Result<QList<UsageRecord>> records) {
            if (serial != m_loads)
                return;
            if (!records.ok()) {
                banner()->showError(records.error().message);
            } else {
                // The request shown in the details stays selected when it is still listed; otherwise none is.
                const QList<int> rows = selectedSourceRows(m_table);
                const Id shown = rows.isEmpty() ? 0 : m_model->item(rows.first()).id;
                m_model->setItems(records.value());
                int again = -1;
                for (int i = 0; shown && i < m_model->rowCount(); ++i)
                    if (m_model->item(i).id == shown)
                        again = i;
                if (again >= 0)
                    selectSourceRow(m_table, again);
                else
                    m_details->clear();
                if (!description.isEmpty())
                    m_drillDownText->setText(
                        tr("Only requests for %1: %n request(s)", nullptr, int(records->size())).arg(description));
            }
            emit loaded();
        });
}

bool RequestLogPage::showSampleDetail()
{
    if (m_table->model()->rowCount() == 0)
        return false;
    m_table->selectRow(0);
    return true;
}

QString RequestLogPage::limitsTable(const Decision& d, const QString& timezone) const
{
    if (d.checks.isEmpty())
        return {};
    const auto amount = [](Metric metric, qint64 v) {
        return metric == Metric::Cost ? money::formatDollars(v) : format::count(v);
    };
    const auto metricLabel = [this](Metric metric) {
        switch (metric) {
        case Metric::Cost: return tr("cost");
        case Metric::Tokens: return tr("tokens");
        case Metric::Requests: return tr("requests");
        }
        return QString();
    };
    const auto scopeLabel = [this](ScopeKind scope) {
        switch (scope) {
        case ScopeKind::User: return tr("user");
        case ScopeKind::Key: return tr("key");
        case ScopeKind::Project: return tr("project");
        case ScopeKind::Group: return tr("group");
        case ScopeKind::Organization: return tr("organisation");
        case ScopeKind::Customer: return tr("customer");
        }
        return QString();
    };
    QString rows;
    const LimitCheck* binding = d.bindingCheck();
    for (const LimitCheck& c : d.checks) {
        const bool binds = &c == binding;
        const QString cell = binds ? QStringLiteral("<td><b>%1</b></td>") : QStringLiteral("<td>%1</td>");
        rows += QStringLiteral("<tr>");
        rows +=
            cell.arg(tr("%1, %2: %3 %4")
                         .arg(metricLabel(c.metric), windowKindLabel(c.window.kind), scopeLabel(c.scope), c.scopeName)
                         .toHtmlEscaped());
        rows += cell.arg(effectiveSource(c).describe().toHtmlEscaped());
        for (qint64 v : {c.limit, c.used, c.reserved, c.left()})
            rows += cell.arg(amount(c.metric, v).toHtmlEscaped());
        rows += cell.arg(c.window.end >= kEndOfTime ? tr("never") : format::time(c.window.end, timezone));
        rows += QStringLiteral("</tr>");
    }
    return tr("<p><b>Limits in force</b> (the one that binds in bold):</p>")
        + QStringLiteral("<table cellspacing='0' cellpadding='3' border='1' style='border-collapse:collapse'><tr>")
        + QStringLiteral("<th>%1</th><th>%2</th><th>%3</th><th>%4</th><th>%5</th><th>%6</th><th>%7</th></tr>")
              .arg(tr("Limit"), tr("Set by"), tr("Limit value"), tr("Used"), tr("Held now"), tr("Left"), tr("Resets"))
        + rows + QStringLiteral("</table>");
}

void RequestLogPage::showDetails()
{
    const QList<int> rows = selectedSourceRows(m_table);
    if (rows.isEmpty()) {
        m_details->clear();
        return;
    }
    const UsageRecord r = m_model->item(rows.first());
    Service& s = console().service();
    const QString tz = s.directory().organization().timezone;
    QString html = tr("<h3>Request %1</h3>").arg(r.requestId.toHtmlEscaped());
    html +=
        tr("<p>%1 \u00b7 <b>%2</b> \u00b7 %3 \u00b7 %4 input (%5 cached) / %6 output tokens \u00b7 <b>%7</b>%8%9</p>")
            .arg(format::time(r.time, tz), usageStatusName(r.status), r.model.toHtmlEscaped(),
                 format::count(r.inputTokens), format::count(r.cachedTokens), format::count(r.outputTokens),
                 money::formatDollars(r.cost), r.streamed ? tr(" \u00b7 streamed") : QString(),
                 !r.estimated                              ? QString()
                     : r.status == UsageStatus::Incomplete ? tr(" \u00b7 estimated: the stream ended without the "
                                                                "provider's final usage (charged what was streamed)")
                     : r.status == UsageStatus::Ok ? tr(" \u00b7 charged its estimate: the provider reported no usage")
                                                   : tr(" \u00b7 estimated: charged what was streamed"));
    const QJsonObject extras = QJsonDocument::fromJson(r.extras.toUtf8()).object();
    if (extras.contains(QLatin1String("requested_model")))
        html += tr("<p><b>Model:</b> asked for as %1, served and priced as %2 by %3</p>")
                    .arg(extras.value(QLatin1String("requested_model")).toString().toHtmlEscaped(),
                         r.model.toHtmlEscaped(), extras.value(QLatin1String("model_rule")).toString().toHtmlEscaped());
    // Each token class billed at its own price: cache writes, reasoning, audio, images, server tools.
    QStringList classes;
    const TokenUsage usage = usageOfRecord(r);
    for (const UsageClass& c : usageClasses())
        if (usage.*c.field > 0)
            classes << tr("%1: %2").arg(Catalog::tr(c.label), format::count(usage.*c.field));
    if (extras.value(QLatin1String("long_context")).toBool())
        classes << tr("billed at the long-context tier");
    if (!classes.isEmpty())
        html += tr("<p><b>Billed as:</b> %1</p>").arg(classes.join(QStringLiteral(" \u00b7 ")).toHtmlEscaped());
    if (!r.detail.isEmpty())
        html += tr("<p><b>Decision:</b> %1</p>").arg(r.detail.toHtmlEscaped());
    else if (r.status != UsageStatus::Denied)
        html += tr("<p><b>Decision:</b> allowed within every limit in force.</p>");
    // What the same caller would get now.
    if (r.userId || r.keyId) {
        Preflight p;
        AdmissionAmounts amounts;
        amounts.inputTokens = r.inputTokens;
        if (auto m = s.catalog().model(r.model)) {
            amounts.inputCost = r.inputTokens * reservedInputPrice(*m, r.inputTokens);
            amounts.outputPrice = reservedOutputPrice(*m, r.inputTokens);
            amounts.maxOutputTokens = r.outputTokens;
        }
        const Decision d = s.enforcement().explain({r.keyId, r.userId, r.customerId, r.model}, amounts, &p);
        html += tr("<p><b>The same request now:</b> %1</p>").arg(explanationSentence(d, p).toHtmlEscaped());
        html += limitsTable(d, tz);
    }
    m_details->setHtml(html);
}

} // namespace tollgate
