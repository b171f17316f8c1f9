#include "ui/keys/keydialog.h"

#include "ui/console.h"
#include "ui/format.h"
#include "ui/widgets/moneyedit.h"

#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QCompleter>
#include <QDateEdit>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTimeZone>

namespace tollgate {

KeyDialog::KeyDialog(Service& service, QWidget* parent)
    : QDialog(parent)
    , m_service(service)
{
    setWindowTitle(tr("New API key"));
    auto* form = new QFormLayout(this);
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("keyName"));
    form->addRow(tr("Name:"), m_name);
    m_project = new QComboBox(this);
    m_project->addItem(tr("The holder's private project"), 0);
    for (const Project& p : service.access().projects())
        if (p.kind == ProjectKind::Shared)
            m_project->addItem(p.name, p.id);
    form->addRow(tr("Project:"), m_project);
    m_holder = new QLineEdit(this);
    m_holder->setObjectName(QStringLiteral("keyHolder"));
    m_holder->setPlaceholderText(tr("email of the person it belongs to; empty: a service key"));
    QStringList emails;
    for (const User& u : service.directory().users())
        emails << u.email;
    auto* completer = new QCompleter(emails, this);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    m_holder->setCompleter(completer);
    form->addRow(tr("Holder:"), m_holder);
    m_groups = new QListWidget(this);
    m_groups->setMaximumHeight(90);
    for (const Group& g : service.directory().groups()) {
        auto* item = new QListWidgetItem(g.name, m_groups);
        item->setData(Qt::UserRole, g.id);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
    }
    m_groups->sortItems();
    form->addRow(tr("Members of these\ngroups may use it:"), m_groups);
    m_modelsMode = new QComboBox(this);
    m_modelsMode->addItem(tr("Every model its user may use"));
    m_modelsMode->addItem(tr("Only the models ticked"));
    m_models = new QListWidget(this);
    m_models->setMaximumHeight(90);
    for (const ModelInfo& m : service.catalog().models()) {
        auto* item = new QListWidgetItem(m.id, m_models);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
    }
    m_models->setEnabled(false);
    connect(m_modelsMode, &QComboBox::currentIndexChanged, m_models, [this](int i) { m_models->setEnabled(i == 1); });
    form->addRow(tr("Models:"), m_modelsMode);
    form->addRow(QString(), m_models);
    auto* features = new QHBoxLayout;
    for (const char* f : {"chat", "messages", "embeddings", kCustomerLimitsFeature}) {
        auto* c = new QCheckBox(QLatin1String(f), this);
        c->setObjectName(QStringLiteral("feature_") + QLatin1String(f));
        // Setting end customers' budgets through customer_params is granted, not given.
        const bool limits = f == kCustomerLimitsFeature;
        c->setChecked(!limits);
        if (limits)
            c->setToolTip(tr("Lets requests with this key set the budgets, rate limit and markup of end customers "
                             "(customer_params); without it they may only name and describe them."));
        m_features << c;
        features->addWidget(c);
    }
    form->addRow(tr("Features:"), features);
    auto* cap = new MoneyEdit(QStringLiteral("keyCap"), std::nullopt, this);
    cap->setPlaceholderText(tr("dollars; empty: no cap"));
    m_cap = cap->lineEdit();
    form->addRow(tr("Monthly cap:"), cap);
    auto* expiry = new QHBoxLayout;
    m_expires = new QCheckBox(tr("Expires on"), this);
    m_expiry = new QDateEdit(QDate::currentDate().addMonths(3), this);
    m_expiry->setCalendarPopup(true);
    m_expiry->setEnabled(false);
    connect(m_expires, &QCheckBox::toggled, m_expiry, &QWidget::setEnabled);
    expiry->addWidget(m_expires);
    expiry->addWidget(m_expiry, 1);
    form->addRow(tr("Expiry:"), expiry);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #a61b1b"));
    m_error->setWordWrap(true);
    m_error->hide();
    form->addRow(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(tr("Create key"), QDialogButtonBox::AcceptRole)->setObjectName(QStringLiteral("createKey"));
    connect(buttons, &QDialogButtonBox::accepted, this, &KeyDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &KeyDialog::reject);
    form->addRow(buttons);
    setMinimumWidth(520);
}

void KeyDialog::accept()
{
    const auto refuse = [this](QLineEdit* field, const QString& why) {
        for (QLineEdit* e : {m_name, m_holder, m_cap})
            format::markInvalid(e, {});
        if (field)
            format::markInvalid(field, why);
        m_error->setText(why);
        m_error->show();
    };
    NewKey k;
    k.name = m_name->text().trimmed();
    if (k.name.isEmpty())
        return refuse(m_name, tr("Give the key a name (what it is for)."));
    k.projectId = m_project->currentData().toLongLong();
    const QString holder = m_holder->text().trimmed();
    if (!holder.isEmpty()) {
        const auto u = m_service.directory().userByEmail(holder);
        if (!u)
            return refuse(m_holder, tr("No user has the email %1.").arg(holder));
        k.holderUserId = u->id;
    }
    for (int i = 0; i < m_groups->count(); ++i)
        if (m_groups->item(i)->checkState() == Qt::Checked)
            k.groupIds << m_groups->item(i)->data(Qt::UserRole).toLongLong();
    if (!k.holderUserId && k.projectId == 0)
        return refuse(m_holder, tr("A service key (no holder) needs a shared project."));
    if (m_modelsMode->currentIndex() == 1) {
        QSet<QString> ids;
        for (int i = 0; i < m_models->count(); ++i)
            if (m_models->item(i)->checkState() == Qt::Checked)
                ids.insert(m_models->item(i)->text());
        if (ids.isEmpty())
            return refuse(nullptr, tr("Tick at least one model, or let the key use every model its user may use."));
        k.allowedModels = ModelRule::list(ids);
    }
    k.features.clear();
    for (QCheckBox* c : std::as_const(m_features))
        if (c->isChecked())
            k.features << c->text();
    if (k.features.isEmpty())
        return refuse(nullptr, tr("Tick at least one feature."));
    auto cap = format::optionalDollars(m_cap->text(), tr("monthly cap"));
    if (!cap.ok())
        return refuse(m_cap, cap.error().message);
    k.monthlyCap = cap.value();
    if (m_expires->isChecked()) {
        const QTimeZone zone(m_service.directory().organization().timezone.toUtf8());
        k.expiresAt = QDateTime(m_expiry->date().addDays(1), QTime(0, 0), zone).toMSecsSinceEpoch();
        if (k.expiresAt <= m_service.clock().now())
            return refuse(nullptr, tr("The expiry date has passed."));
    }
    auto r = m_service.access().createKey(k, Console::actor());
    if (!r.ok())
        return refuse(nullptr, r.error().message);
    m_created = r.value();
    QDialog::accept();
}

SecretDialog::SecretDialog(const QString& keyName, const QString& secret, const QString& baseUrl, QWidget* parent)
    : SecretDialog(tr("API key created"),
                   tr("<p>The key <b>%1</b> was created. Its secret is shown <b>only now</b>: copy it "
                      "to where it will be used. Tollgate keeps only a hash of it.</p>")
                       .arg(keyName.toHtmlEscaped()),
                   secret,
                   baseUrl.isEmpty()
                       ? QString()
                       : tr("Clients use it with the base URL <code>%1/v1</code>.").arg(baseUrl.toHtmlEscaped()),
                   parent)
{
}

SecretDialog::SecretDialog(const QString& title, const QString& intro, const QString& secret, const QString& use,
                           QWidget* parent)
    : QDialog(parent)
{
    setWindowTitle(title);
    auto* layout = new QVBoxLayout(this);
    auto* text = new QLabel(intro, this);
    text->setWordWrap(true);
    layout->addWidget(text);
    auto* row = new QHBoxLayout;
    m_secret = new QLineEdit(secret, this);
    m_secret->setObjectName(QStringLiteral("secret"));
    m_secret->setReadOnly(true);
    m_secret->setFont(QFont(QStringLiteral("monospace")));
    m_secret->setMinimumWidth(m_secret->fontMetrics().horizontalAdvance(secret) + 24);
    m_secret->installEventFilter(this);
    auto* copy = new QPushButton(tr("Copy"), this);
    copy->setObjectName(QStringLiteral("copySecret"));
    connect(copy, &QPushButton::clicked, this, [this, copy] {
        QGuiApplication::clipboard()->setText(m_secret->text());
        copy->setText(tr("Copied"));
    });
    row->addWidget(m_secret, 1);
    row->addWidget(copy);
    layout->addLayout(row);
    if (!use.isEmpty()) {
        auto* how = new QLabel(use, this);
        how->setWordWrap(true);
        how->setTextInteractionFlags(Qt::TextSelectableByMouse);
        layout->addWidget(how);
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::accept);
    layout->addWidget(buttons);
}

bool SecretDialog::eventFilter(QObject* watched, QEvent* event)
{
    // A word would stop at the prefix's dash ("tga-"): a double-click takes the whole secret.
    if (watched == m_secret && event->type() == QEvent::MouseButtonDblClick) {
        m_secret->selectAll();
        return true;
    }
    return QDialog::eventFilter(watched, event);
}

QString SecretDialog::shownSecret() const { return m_secret->text(); }

} // namespace tollgate
