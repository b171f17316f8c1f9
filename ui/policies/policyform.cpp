#include "ui/policies/policyform.h"

#include "ui/format.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace tollgate {

namespace {

enum Mode { Inherit, Value, Unlimited };

bool isMoney(Dimension d) { return d == Dimension::DailyCost || d == Dimension::MonthlyCost; }

QString placeholder(Dimension d)
{
    if (isMoney(d))
        return PolicyForm::tr("dollars, e.g. 50 or 12.50");
    if (d == Dimension::MaxTier)
        return PolicyForm::tr("1 (cheapest) to 10");
    return PolicyForm::tr("a whole number");
}

} // namespace

PolicyForm::PolicyForm(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* limits = new QGroupBox(tr("Limits"), this);
    auto* grid = new QGridLayout(limits);
    grid->setColumnStretch(3, 1);
    const auto header = [&](int column, const QString& text) {
        auto* l = new QLabel(QStringLiteral("<b>%1</b>").arg(text.toHtmlEscaped()), limits);
        grid->addWidget(l, 0, column);
    };
    header(1, tr("Set here"));
    header(2, tr("Value"));
    header(3, tr("Effective value and where it comes from"));
    int row = 1;
    for (Dimension d : kAllDimensions)
        addLimitRow(grid, row++, d);
    layout->addWidget(limits);

    auto* models = new QGroupBox(tr("Models"), this);
    auto* modelGrid = new QGridLayout(models);
    modelGrid->setColumnStretch(2, 2);
    modelGrid->setColumnStretch(3, 1);
    m_allowed = addModelList(modelGrid, 0, tr("Allowed models:"), true);
    m_blocked = addModelList(modelGrid, 2, tr("Blocked models:"), false);
    layout->addWidget(models);

    m_bypassBox = new QGroupBox(tr("Bypass (this user only)"), this);
    auto* bypass = new QVBoxLayout(m_bypassBox);
    m_bypassCost = new QCheckBox(tr("Bypass cost and token limits"), m_bypassBox);
    m_bypassRate = new QCheckBox(tr("Bypass rate limits"), m_bypassBox);
    m_bypassModels =
        new QCheckBox(tr("Bypass model restrictions (allowed and blocked lists, maximum tier)"), m_bypassBox);
    m_bypassWarning = new QLabel(tr("\u26a0 A bypass lifts the limits of every level (the organisation's and every "
                                    "group's) for this user. Group and organisation budgets still count the "
                                    "spend."),
                                 m_bypassBox);
    m_bypassWarning->setWordWrap(true);
    m_bypassWarning->setStyleSheet(QStringLiteral("color: #8a5a00; background: #fff4e0; padding: 6px;"));
    for (QCheckBox* c : {m_bypassCost, m_bypassRate, m_bypassModels}) {
        bypass->addWidget(c);
        connect(c, &QCheckBox::toggled, this, &PolicyForm::onEdited);
    }
    bypass->addWidget(m_bypassWarning);
    layout->addWidget(m_bypassBox);

    auto* notesBox = new QGroupBox(tr("Notes"), this);
    auto* notesLayout = new QVBoxLayout(notesBox);
    m_notes = new QPlainTextEdit(notesBox);
    m_notes->setPlaceholderText(tr("Why these settings (shown in the audit log)"));
    m_notes->setMaximumHeight(60);
    notesLayout->addWidget(m_notes);
    connect(m_notes, &QPlainTextEdit::textChanged, this, &PolicyForm::onEdited);
    layout->addWidget(notesBox);
    layout->addStretch(1);
    setLevel(Level::Organization);
}

void PolicyForm::addLimitRow(QGridLayout* grid, int row, Dimension d)
{
    Row& r = m_rows[size_t(d)];
    auto* parent = grid->parentWidget();
    grid->addWidget(new QLabel(dimensionLabel(d) + u':', parent), row, 0);
    r.mode = new QComboBox(parent);
    r.mode->addItem(tr("Inherit"), Inherit);
    r.mode->addItem(tr("Limit"), Value);
    r.mode->addItem(tr("Unlimited"), Unlimited);
    r.mode->setObjectName(QStringLiteral("mode-") + dimensionName(d));
    r.value = new QLineEdit(parent);
    r.value->setObjectName(QStringLiteral("value-") + dimensionName(d));
    r.value->setPlaceholderText(placeholder(d));
    r.value->setMinimumWidth(150);
    r.effective = new QLabel(parent);
    r.effective->setObjectName(QStringLiteral("effective-") + dimensionName(d));
    r.effective->setWordWrap(true);
    grid->addWidget(r.mode, row, 1);
    grid->addWidget(r.value, row, 2);
    grid->addWidget(r.effective, row, 3);
    connect(r.mode, &QComboBox::currentIndexChanged, this, [this] {
        updateEnabled();
        onEdited();
    });
    connect(r.value, &QLineEdit::textEdited, this, &PolicyForm::onEdited);
}

PolicyForm::ModelList PolicyForm::addModelList(QGridLayout* grid, int row, const QString& label, bool allowed)
{
    ModelList m;
    auto* parent = grid->parentWidget();
    grid->addWidget(new QLabel(label, parent), row, 0, Qt::AlignTop);
    m.mode = new QComboBox(parent);
    m.mode->addItem(tr("Inherit"), Inherit);
    m.mode->addItem(allowed ? tr("Only the models ticked") : tr("The models ticked"), Value);
    if (allowed)
        m.mode->addItem(tr("Any model"), Unlimited);
    m.list = new QListWidget(parent);
    m.list->setMaximumHeight(110);
    m.effective = new QLabel(parent);
    m.effective->setWordWrap(true);
    m.effective->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m.note = new QLabel(tr("A list set here replaces the inherited one: it starts as the inherited list, so tick to "
                           "add and untick to remove."),
                        parent);
    m.note->setWordWrap(true);
    m.note->setStyleSheet(QStringLiteral("color: #666"));
    m.note->hide();
    grid->addWidget(m.mode, row, 1, Qt::AlignTop);
    grid->addWidget(m.list, row, 2);
    grid->addWidget(m.effective, row, 3);
    grid->addWidget(m.note, row + 1, 2, 1, 2);
    ModelList* self = allowed ? &m_allowed : &m_blocked;
    connect(m.mode, &QComboBox::currentIndexChanged, this, [this, self] {
        if (!m_loading && self->mode->currentData().toInt() == Value)
            startFromInherited(*self);
        updateEnabled();
        onEdited();
    });
    connect(m.list, &QListWidget::itemChanged, this, &PolicyForm::onEdited);
    return m;
}

void PolicyForm::startFromInherited(ModelList& list)
{
    for (int i = 0; i < list.list->count(); ++i)
        if (list.list->item(i)->checkState() == Qt::Checked)
            return; // the admin's own ticks stay
    const bool loading = std::exchange(m_loading, true);
    for (int i = 0; i < list.list->count(); ++i) {
        QListWidgetItem* item = list.list->item(i);
        if (list.inherited.contains(item->data(Qt::UserRole).toString()))
            item->setCheckState(Qt::Checked);
    }
    m_loading = loading;
}

void PolicyForm::setLevel(Level level)
{
    m_level = level;
    m_bypassBox->setVisible(level == Level::User);
}

void PolicyForm::setModels(const QList<ModelInfo>& models)
{
    const bool loading = std::exchange(m_loading, true);
    for (QListWidget* list : {m_allowed.list, m_blocked.list}) {
        list->clear();
        for (const ModelInfo& m : models) {
            auto* item = new QListWidgetItem(tr("%1 (tier %2)").arg(m.id).arg(m.tier), list);
            item->setData(Qt::UserRole, m.id);
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
            item->setCheckState(Qt::Unchecked);
        }
    }
    m_loading = loading;
}

void PolicyForm::setModelRule(const ModelList& list, const ModelRule& rule, bool allowed)
{
    const int mode = rule.state == ModelRule::State::Unset ? Inherit
        : rule.state == ModelRule::State::List || !allowed ? Value
                                                           : Unlimited;
    list.mode->setCurrentIndex(list.mode->findData(mode));
    for (int i = 0; i < list.list->count(); ++i) {
        QListWidgetItem* item = list.list->item(i);
        item->setCheckState(rule.models.contains(item->data(Qt::UserRole).toString()) ? Qt::Checked : Qt::Unchecked);
    }
}

void PolicyForm::setSettings(const PolicySettings& s)
{
    const bool loading = std::exchange(m_loading, true);
    for (Dimension d : kAllDimensions) {
        const Limit& l = s[d];
        Row& r = m_rows[size_t(d)];
        r.mode->setCurrentIndex(l.state == Limit::State::Unset       ? Inherit
                                    : l.state == Limit::State::Value ? Value
                                                                     : Unlimited);
        QString text;
        if (l.isLimited())
            text = isMoney(d) ? format::moneyInput(l.value) : QString::number(l.value);
        r.value->setText(text);
        format::markInvalid(r.value, {});
    }
    setModelRule(m_allowed, s.allowedModels, true);
    setModelRule(m_blocked, s.blockedModels, false);
    m_bypassCost->setChecked(s.bypassCostLimits);
    m_bypassRate->setChecked(s.bypassRateLimits);
    m_bypassModels->setChecked(s.bypassModelRestrictions);
    m_notes->setPlainText(s.notes);
    m_loading = loading;
    updateEnabled();
    setModified(false);
}

Result<ModelRule> PolicyForm::modelRule(const ModelList& list, bool allowed) const
{
    const int mode = list.mode->currentData().toInt();
    if (mode == Inherit)
        return ModelRule::unset();
    if (mode == Unlimited)
        return ModelRule::any();
    QSet<QString> ids;
    for (int i = 0; i < list.list->count(); ++i)
        if (list.list->item(i)->checkState() == Qt::Checked)
            ids.insert(list.list->item(i)->data(Qt::UserRole).toString());
    if (ids.isEmpty() && allowed)
        return Error::invalid(QStringLiteral("allowedModels"),
                              tr("Allowed models: tick at least one model, or "
                                 "choose Inherit or Any model"));
    return ModelRule::list(ids);
}

Result<PolicySettings> PolicyForm::settings() const
{
    PolicySettings s;
    std::optional<Error> first;
    for (Dimension d : kAllDimensions) {
        const Row& r = m_rows[size_t(d)];
        format::markInvalid(r.value, {});
        switch (r.mode->currentData().toInt()) {
        case Inherit: s[d] = Limit::unset(); continue;
        case Unlimited: s[d] = Limit::unlimited(); continue;
        default: break;
        }
        const QString label = dimensionLabel(d);
        std::optional<qint64> v;
        std::optional<Error> error;
        if (isMoney(d)) {
            auto m = format::optionalDollars(r.value->text(), label);
            if (m.ok())
                v = m.value();
            else
                error = m.error();
        } else {
            auto n = d == Dimension::MaxTier ? format::optionalCount(r.value->text(), label, 1, 10)
                                             : format::optionalCount(r.value->text(), label, 0, 1'000'000'000'000LL);
            if (n.ok())
                v = n.value();
            else
                error = n.error();
        }
        if (!error && !v)
            error = Error::invalid(label, tr("type a value, or choose Inherit or Unlimited"));
        if (error) {
            error->message = tr("%1: %2").arg(label, error->message);
            format::markInvalid(r.value, error->message);
            if (!first)
                first = error;
            continue;
        }
        s[d] = Limit::of(*v);
    }
    auto allowed = modelRule(m_allowed, true);
    if (!allowed.ok() && !first)
        first = allowed.error();
    auto blocked = modelRule(m_blocked, false);
    if (first)
        return *first;
    s.allowedModels = allowed.value();
    s.blockedModels = blocked.value();
    if (m_level == Level::User) {
        s.bypassCostLimits = m_bypassCost->isChecked();
        s.bypassRateLimits = m_bypassRate->isChecked();
        s.bypassModelRestrictions = m_bypassModels->isChecked();
    }
    s.notes = m_notes->toPlainText().trimmed();
    return s;
}

void PolicyForm::setModified(bool modified) { m_modified = modified; }

void PolicyForm::onEdited()
{
    if (m_loading)
        return;
    m_modified = true;
    emit edited();
}

void PolicyForm::updateEnabled()
{
    for (Row& r : m_rows)
        r.value->setEnabled(r.mode->currentData().toInt() == Value);
    for (ModelList* m : {&m_allowed, &m_blocked}) {
        m->list->setEnabled(m->mode->currentData().toInt() == Value);
        // Below the organisation, a list set here replaces what the level inherits: said while one is set.
        m->note->setVisible(m_level != Level::Organization && m->mode->currentData().toInt() == Value);
    }
    m_bypassWarning->setVisible(m_bypassCost->isChecked() || m_bypassRate->isChecked() || m_bypassModels->isChecked());
}

void PolicyForm::setEffective(const EffectivePolicy& p)
{
    for (Dimension d : kAllDimensions) {
        const ResolvedLimit& r = p[d];
        const QString value = r.source.level == PolicySource::Level::None ? tr("no limit") : format::limit(d, r.value);
        m_rows[size_t(d)].effective->setText(QStringLiteral("<b>%1</b> <span style='color:#666'>\u2014 %2</span>")
                                                 .arg(value.toHtmlEscaped(), r.source.describe().toHtmlEscaped()));
    }
    const auto describe = [](const ResolvedModels& m, bool allowed) {
        QString value;
        if (allowed && m.rule.state != ModelRule::State::List)
            value = tr("any model");
        else if (m.rule.models.isEmpty())
            value = tr("none");
        else {
            QStringList ids(m.rule.models.cbegin(), m.rule.models.cend());
            ids.sort();
            value = ids.join(QStringLiteral(", "));
        }
        QStringList from;
        for (const PolicySource& s : m.sources)
            from << s.describe();
        return QStringLiteral("<b>%1</b><br><span style='color:#666'>%2</span>")
            .arg(value.toHtmlEscaped(),
                 (from.isEmpty() ? tr("not set at any level") : from.join(QStringLiteral("; "))).toHtmlEscaped());
    };
    m_allowed.effective->setText(describe(p.allowedModels, true));
    m_blocked.effective->setText(describe(p.blockedModels, false));
    // While a level inherits a list, what it inherits is what is in force: a list set here starts from it.
    for (auto [list, resolved] : {std::pair {&m_allowed, &p.allowedModels}, std::pair {&m_blocked, &p.blockedModels}})
        if (list->mode->currentData().toInt() == Inherit)
            list->inherited = resolved->rule.state == ModelRule::State::List ? resolved->rule.models : QSet<QString>();
    updateEnabled();
}

} // namespace tollgate
