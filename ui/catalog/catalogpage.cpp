#include "ui/catalog/catalogpage.h"

#include "core/catalog/priceimport.h"
#include "core/catalog/pricing.h"
#include "core/secrets/vault.h"
#include "core/service/service.h"
#include "ui/catalog/priceimportdialog.h"
#include "ui/console.h"
#include "ui/format.h"
#include "ui/widgets/dialogs.h"
#include "ui/widgets/editdialog.h"
#include "ui/widgets/messagebanner.h"
#include "ui/widgets/tables.h"

#include <QCheckBox>
#include <QColor>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTableView>
#include <QToolBar>

namespace tollgate {

namespace {

QString kindLabel(ProviderKind k)
{
    switch (k) {
    case ProviderKind::OpenAICompatible: return CatalogPage::tr("OpenAI-compatible");
    case ProviderKind::Anthropic: return CatalogPage::tr("Anthropic");
    case ProviderKind::Mock: return CatalogPage::tr("Built-in mock");
    }
    return {};
}

} // namespace

CatalogPage::CatalogPage(Console& console, QWidget* parent)
    : Page(console, tr("Models & Providers"), parent)
{
    const Service& s = console.service();
    const auto right = Qt::AlignRight | Qt::AlignVCenter;
    using M = ListModel<ModelInfo>::Column;
    const auto price = [](Money nanos) { return QVariant(QStringLiteral("$") + money::formatPricePerMillion(nanos)); };
    m_models = new ListModel<ModelInfo>(
        {
            M {tr("Model"), [](const ModelInfo& m) { return m.id; }},
            M {tr("Provider"),
               [&s](const ModelInfo& m) { return s.catalog().provider(m.providerId).value_or(Provider {}).name; }},
            M {tr("Upstream name"), [](const ModelInfo& m) { return m.upstreamName; }},
            M {tr("Tier"), [](const ModelInfo& m) { return m.tier; }, {}, right},
            M {tr("Input $/M"), [price](const ModelInfo& m) { return price(m.inputPrice); },
               [](const ModelInfo& m) { return m.inputPrice; }, right},
            M {tr("Cached $/M"), [price](const ModelInfo& m) { return price(m.cachedInputPrice); },
               [](const ModelInfo& m) { return m.cachedInputPrice; }, right},
            M {tr("Output $/M"), [price](const ModelInfo& m) { return price(m.outputPrice); },
               [](const ModelInfo& m) { return m.outputPrice; }, right},
            M {tr("Cache write $/M"), [price](const ModelInfo& m) { return price(m.cacheWritePrice); },
               [](const ModelInfo& m) { return m.cacheWritePrice; }, right},
            M {tr("Long context"),
               [](const ModelInfo& m) {
                   return m.longContextThreshold ? tr("above %1").arg(format::count(m.longContextThreshold))
                                                 : QString();
               },
               [](const ModelInfo& m) { return m.longContextThreshold; }, right},
            M {tr("Max output"), [](const ModelInfo& m) { return format::count(m.maxOutputTokens); },
               [](const ModelInfo& m) { return m.maxOutputTokens; }, right},
            M {tr("Approved"), [](const ModelInfo& m) { return m.approved ? tr("yes") : tr("no"); }},
        },
        this);
    using P = ListModel<Provider>::Column;
    m_providers = new ListModel<Provider>(
        {
            P {tr("Provider"), [](const Provider& p) { return p.name; }},
            P {tr("Kind"), [](const Provider& p) { return kindLabel(p.kind); }},
            P {tr("Base URL"), [](const Provider& p) { return p.baseUrl; }},
            P {tr("Secret"),
               [](const Provider& p) { return secretPlace(p); },
               {},
               Qt::AlignLeft | Qt::AlignVCenter,
               [](const Provider& p) {
                   return p.secretProblem.isEmpty() ? QVariant() : QVariant(QColor(0xa6, 0x1b, 0x1b));
               }},
        },
        this);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    auto* modelsBox = new QWidget(splitter);
    auto* modelsLayout = new QVBoxLayout(modelsBox);
    modelsLayout->setContentsMargins(0, 0, 0, 0);
    auto* modelBar = new QToolBar(modelsBox);
    modelBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    modelBar->addWidget(new QLabel(tr("<b>Models</b>  "), modelBar));
    connect(modelBar->addAction(tr("New model\u2026")), &QAction::triggered, this, [this] { editModel(std::nullopt); });
    connect(modelBar->addAction(tr("Edit\u2026")), &QAction::triggered, this, [this] {
        if (auto m = selectedModel())
            editModel(m);
    });
    connect(modelBar->addAction(tr("Delete\u2026")), &QAction::triggered, this, &CatalogPage::removeModel);
    modelBar->addSeparator();
    connect(modelBar->addAction(tr("Update prices from file\u2026")), &QAction::triggered, this,
            &CatalogPage::importPrices);
    connect(modelBar->addAction(tr("Export\u2026")), &QAction::triggered, this, &CatalogPage::exportPrices);
    modelsLayout->addWidget(modelBar);
    m_modelTable = makeTable(modelsBox, m_models);
    m_modelTable->horizontalHeader()->resizeSection(0, 200);
    modelsLayout->addWidget(m_modelTable);

    using A = ListModel<ModelAlias>::Column;
    m_aliases = new ListModel<ModelAlias>(
        {
            A {tr("Alias or pattern"), [](const ModelAlias& a) { return a.pattern; }},
            A {tr("Kind"), [](const ModelAlias& a) { return a.isGlob() ? tr("pattern") : tr("alias"); }},
            A {tr("Served as"), [](const ModelAlias& a) { return a.modelId; }},
            A {tr("Note"), [](const ModelAlias& a) { return a.note; }},
        },
        this);
    auto* aliasesBox = new QWidget(splitter);
    auto* aliasesLayout = new QVBoxLayout(aliasesBox);
    aliasesLayout->setContentsMargins(0, 0, 0, 0);
    auto* aliasBar = new QToolBar(aliasesBox);
    aliasBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    aliasBar->addWidget(new QLabel(tr("<b>Aliases and patterns</b>  "), aliasBar));
    connect(aliasBar->addAction(tr("New alias\u2026")), &QAction::triggered, this, [this] { editAlias(std::nullopt); });
    connect(aliasBar->addAction(tr("Edit\u2026")), &QAction::triggered, this, [this] {
        if (auto a = selectedAlias())
            editAlias(a);
    });
    connect(aliasBar->addAction(tr("Delete\u2026")), &QAction::triggered, this, &CatalogPage::removeAlias);
    aliasBar->addSeparator();
    m_probe = new QLineEdit(aliasBar);
    m_probe->setObjectName(QStringLiteral("modelProbe"));
    m_probe->setPlaceholderText(tr("Which model is this id?"));
    m_probe->setClearButtonEnabled(true);
    m_probe->setMaximumWidth(280);
    aliasBar->addWidget(m_probe);
    m_probeResult = new QLabel(aliasBar);
    m_probeResult->setObjectName(QStringLiteral("modelProbeResult"));
    m_probeResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    aliasBar->addWidget(m_probeResult);
    connect(m_probe, &QLineEdit::textChanged, this, &CatalogPage::resolveTyped);
    aliasesLayout->addWidget(aliasBar);
    auto* aliasHelp = new QLabel(tr("A dated snapshot (-20250929) or -latest of a model needs no alias. A pattern "
                                    "(* and ?) serves a family's new releases at the prices of the model named; the "
                                    "most specific pattern wins."),
                                 aliasesBox);
    aliasHelp->setWordWrap(true);
    aliasesLayout->addWidget(aliasHelp);
    m_aliasTable = makeTable(aliasesBox, m_aliases);
    m_aliasTable->horizontalHeader()->resizeSection(0, 200);
    m_aliasTable->horizontalHeader()->resizeSection(2, 200);
    aliasesLayout->addWidget(m_aliasTable);
    connect(m_aliasTable, &QTableView::doubleClicked, this, [this] {
        if (auto a = selectedAlias())
            editAlias(a);
    });

    auto* providersBox = new QWidget(splitter);
    auto* providersLayout = new QVBoxLayout(providersBox);
    providersLayout->setContentsMargins(0, 0, 0, 0);
    auto* providerBar = new QToolBar(providersBox);
    providerBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    providerBar->addWidget(new QLabel(tr("<b>Providers</b>  "), providerBar));
    connect(providerBar->addAction(tr("New provider\u2026")), &QAction::triggered, this,
            [this] { editProvider(std::nullopt); });
    connect(providerBar->addAction(tr("Edit\u2026")), &QAction::triggered, this, [this] {
        if (auto p = selectedProvider())
            editProvider(p);
    });
    connect(providerBar->addAction(tr("Delete\u2026")), &QAction::triggered, this, &CatalogPage::removeProvider);
    providerBar->addSeparator();
    QAction* rotate = providerBar->addAction(tr("Rotate secret key\u2026"));
    rotate->setObjectName(QStringLiteral("rotateSecretKey"));
    connect(rotate, &QAction::triggered, this, &CatalogPage::rotateSecretKey);
    providersLayout->addWidget(providerBar);
    m_secretsHelp = new QLabel(providersBox);
    m_secretsHelp->setObjectName(QStringLiteral("secretsHelp"));
    m_secretsHelp->setWordWrap(true);
    m_secretsHelp->setTextInteractionFlags(Qt::TextSelectableByMouse);
    providersLayout->addWidget(m_secretsHelp);
    m_providerTable = makeTable(providersBox, m_providers);
    m_providerTable->horizontalHeader()->resizeSection(0, 200);
    m_providerTable->horizontalHeader()->resizeSection(2, 360);
    providersLayout->addWidget(m_providerTable);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setStretchFactor(2, 1);
    content()->addWidget(splitter, 1);
    connect(m_modelTable, &QTableView::doubleClicked, this, [this] {
        if (auto m = selectedModel())
            editModel(m);
    });
    connect(m_providerTable, &QTableView::doubleClicked, this, [this] {
        if (auto p = selectedProvider())
            editProvider(p);
    });
}

void CatalogPage::reload()
{
    m_models->setItems(console().service().catalog().models());
    m_providers->setItems(console().service().catalog().providers());
    const SecretVault& vault = console().service().secrets();
    m_secretsHelp->setText(
        vault.keyFile().isEmpty()
            ? tr("Secrets typed here go to the OS keychain; where none answers they are encrypted under a key held in "
                 "memory (this database is in memory too).")
            : tr("Secrets typed here go to the OS keychain (%1). Where none answers, and for secrets set through the "
                 "admin API on a server, they are encrypted in the database under the key file %2: back it up with "
                 "the database.")
                  .arg(vault.keychainService(), QDir::toNativeSeparators(vault.keyFile())));
    m_aliases->setItems(console().service().catalog().aliases());
    resolveTyped();
}

std::optional<ModelAlias> CatalogPage::selectedAlias() const
{
    const QList<int> rows = selectedSourceRows(m_aliasTable);
    return rows.size() == 1 ? std::optional(m_aliases->item(rows.first())) : std::nullopt;
}

void CatalogPage::resolveTyped()
{
    const QString id = m_probe->text().trimmed();
    if (id.isEmpty()) {
        m_probeResult->clear();
        return;
    }
    const SnapshotPtr snap = console().service().snapshot();
    const ModelMatch match = snap->matchModel(id);
    if (!match.model)
        m_probeResult->setText(
            tr("  refused: not in the catalog (closest: %1)").arg(snap->closestModels(id).join(QStringLiteral(", "))));
    else if (match.rule.isEmpty())
        m_probeResult->setText(tr("  %1 is in the catalog").arg(match.model->id));
    else
        m_probeResult->setText(tr("  served and priced as %1, by %2").arg(match.model->id, match.rule));
}

void CatalogPage::editAlias(std::optional<ModelAlias> existing)
{
    const ModelAlias a = existing.value_or(ModelAlias {});
    Service& s = console().service();
    EditDialog dialog(existing ? tr("Edit alias") : tr("New alias"), this);
    QLineEdit* pattern =
        dialog.addLine(QStringLiteral("pattern"), tr("Alias or pattern:"), a.pattern, tr("opus, or claude-opus-*"));
    pattern->setEnabled(!existing);
    QList<std::pair<QString, QVariant>> models;
    for (const ModelInfo& m : s.catalog().models())
        models.append({m.id, m.id});
    QComboBox* model = dialog.addChoice(tr("Served as model:"), models, a.modelId);
    QLineEdit* note = dialog.addLine(QStringLiteral("note"), tr("Note:"), a.note, tr("why it is there"));
    dialog.addNote(tr("Requests for the alias are counted, limited and priced as that model; the usage record keeps "
                      "the id the client sent and the alias or pattern that matched."));
    dialog.setSave([&]() -> Status {
        auto r = s.catalog().saveAlias({pattern->text().trimmed(), model->currentData().toString(), note->text()},
                                       Console::actor());
        return r.ok() ? Status() : Status(r.error());
    });
    if (dialog.exec() == QDialog::Accepted) {
        banner()->showInfo(tr("Alias saved."));
        reload();
    }
}

void CatalogPage::removeAlias()
{
    const auto a = selectedAlias();
    if (!a)
        return banner()->showError(tr("Select one alias."));
    if (dialogs::confirm(
            this, tr("Delete alias"),
            tr("Delete %1? Requests for ids it serves are refused unless another rule serves them.").arg(a->pattern))
        != dialogs::Answer::Yes)
        return;
    if (Status st = console().service().catalog().deleteAlias(a->pattern, Console::actor()); !st.ok())
        return banner()->showError(st.error().message);
    reload();
}

std::optional<ModelInfo> CatalogPage::selectedModel() const
{
    const QList<int> rows = selectedSourceRows(m_modelTable);
    return rows.size() == 1 ? std::optional(m_models->item(rows.first())) : std::nullopt;
}

std::optional<Provider> CatalogPage::selectedProvider() const
{
    const QList<int> rows = selectedSourceRows(m_providerTable);
    return rows.size() == 1 ? std::optional(m_providers->item(rows.first())) : std::nullopt;
}

EditDialog* CatalogPage::modelDialog(const std::optional<ModelInfo>& existing)
{
    const ModelInfo m = existing.value_or(ModelInfo {});
    Service& s = console().service();
    auto* dialog = new EditDialog(existing ? tr("Edit model") : tr("New model"), this);
    QLineEdit* id = dialog->addLine(QStringLiteral("id"), tr("Model id:"), m.id, tr("as clients send it"));
    id->setEnabled(!existing);
    QList<std::pair<QString, QVariant>> providers;
    for (const Provider& p : s.catalog().providers())
        providers.append({p.name, p.id});
    QComboBox* provider = dialog->addChoice(tr("Provider:"), providers, m.providerId);
    QLineEdit* upstream = dialog->addLine(QStringLiteral("upstreamName"), tr("Upstream name:"), m.upstreamName,
                                          tr("empty: the same as the id"));
    QLineEdit* tier = dialog->addLine(QStringLiteral("tier"), tr("Tier (1 = cheapest):"), QString::number(m.tier));
    // Every billed component: input and output always; the others empty when they follow their default, which the
    // placeholder shows (cache writes 1.25x and 2x input, the long-context tier 2x input and 1.5x output...).
    dialog->addNote(tr("Prices in US dollars per million tokens; server tools per 1,000 calls. Leave a price empty "
                       "to follow its default, shown in grey."));
    QList<std::pair<const PriceComponent*, QLineEdit*>> prices;
    for (const PriceComponent& c : priceComponents()) {
        const bool set = m.explicitPrices & (1u << (&c - priceComponents().data()));
        const bool required = !c.base && !c.fixed;
        QLineEdit* line = dialog->addLine(
            QString(c.key), priceComponentLabel(c) + u':',
            set || required ? formatComponentPrice(c, m.*c.field) : QString(),
            required
                ? QString()
                : tr("default: %1").arg(existing ? formatComponentPrice(c, m.*c.field) : tr("from the price above")));
        prices.append({&c, line});
    }
    QLineEdit* longThreshold = dialog->addLine(
        QStringLiteral("longContextThreshold"), tr("Long-context tier above (input tokens):"),
        m.longContextThreshold ? QString::number(m.longContextThreshold) : QString(), tr("empty: one tier"));
    QLineEdit* imageTokens = dialog->addLine(QStringLiteral("maxImageTokens"), tr("Most tokens one image costs:"),
                                             existing ? QString::number(m.maxImageTokens) : QString(),
                                             tr("empty: the provider's sizing rule"));
    QLineEdit* maxOut = dialog->addLine(QStringLiteral("maxOutputTokens"), tr("Maximum output tokens:"),
                                        QString::number(m.maxOutputTokens));
    QLineEdit* context = dialog->addLine(QStringLiteral("contextWindow"), tr("Context window (tokens):"),
                                         QString::number(m.contextWindow));
    QComboBox* capField =
        dialog->addChoice(tr("Output cap field:"),
                          {{tr("as the client sends it"), QString()},
                           {QStringLiteral("max_completion_tokens"), QStringLiteral("max_completion_tokens")},
                           {QStringLiteral("max_tokens"), QStringLiteral("max_tokens")}},
                          m.outputCapField);
    QCheckBox* approved = dialog->addCheck(tr("Approved for use"), m.approved);
    const bool isNew = !existing;
    dialog->setSave([=, &s]() -> Status {
        ModelInfo changed = m;
        changed.id = id->text().trimmed();
        changed.providerId = provider->currentData().toLongLong();
        changed.upstreamName = upstream->text().trimmed();
        auto t = format::optionalCount(tier->text(), QStringLiteral("tier"), 1, 10);
        if (!t.ok() || !t.value())
            return t.ok() ? Error::invalid(QStringLiteral("tier"), tr("must be 1 to 10")) : t.error();
        changed.tier = int(*t.value());
        for (const auto& [c, edit] : prices) {
            const quint32 bit = 1u << (c - priceComponents().data());
            const QString text = edit->text().trimmed();
            if (text.isEmpty() && (c->base || c->fixed)) {
                changed.explicitPrices &= ~bit;
                continue;
            }
            auto p = parseComponentPrice(*c, text, QString(c->key));
            if (!p.ok())
                return p.error();
            changed.*c->field = p.value();
            changed.explicitPrices |= bit;
        }
        auto lt = format::optionalCount(longThreshold->text(), QStringLiteral("longContextThreshold"), 1, 100'000'000);
        if (!lt.ok())
            return lt.error();
        changed.longContextThreshold = lt.value().value_or(0);
        auto it = format::optionalCount(imageTokens->text(), QStringLiteral("maxImageTokens"), 1, 10'000'000);
        if (!it.ok())
            return it.error();
        changed.maxImageTokens = it.value().value_or(0);
        auto mo = format::optionalCount(maxOut->text(), QStringLiteral("maxOutputTokens"), 1, 10'000'000);
        if (!mo.ok() || !mo.value())
            return mo.ok() ? Error::invalid(QStringLiteral("maxOutputTokens"), tr("must not be empty")) : mo.error();
        changed.maxOutputTokens = *mo.value();
        auto cw = format::optionalCount(context->text(), QStringLiteral("contextWindow"), 1, 100'000'000);
        if (!cw.ok() || !cw.value())
            return cw.ok() ? Error::invalid(QStringLiteral("contextWindow"), tr("must not be empty")) : cw.error();
        changed.contextWindow = *cw.value();
        changed.approved = approved->isChecked();
        changed.outputCapField = capField->currentData().toString();
        changed.priceSource = isNew ? tr("entered in the console") : m.priceSource;
        auto r = s.catalog().saveModel(changed, Console::actor());
        return r.ok() ? Status() : Status(r.error());
    });
    return dialog;
}

void CatalogPage::editModel(std::optional<ModelInfo> existing)
{
    EditDialog* dialog = modelDialog(existing);
    if (dialog->exec() == QDialog::Accepted) {
        banner()->showInfo(tr("Model saved."));
        reload();
    }
    dialog->deleteLater();
}

void CatalogPage::importPrices()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Update prices from file"), QString(),
                                                      tr("Price files (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        banner()->showError(tr("Cannot read %1: %2").arg(path, f.errorString()));
        return;
    }
    PriceImportDialog dialog(console(), f.readAll(), QFileInfo(path).fileName(), this);
    if (!dialog.isReadable()) {
        banner()->showError(tr("%1 is not a price file Tollgate can read: %2").arg(path, dialog.error()));
        return;
    }
    const int changes = dialog.changeCount();
    if (dialog.exec() == QDialog::Accepted) {
        banner()->showInfo(tr("%n price changes applied.", nullptr, changes));
        reload();
    }
}

void CatalogPage::exportPrices()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export the catalog"), QStringLiteral("catalog.json"),
                                                      tr("Tollgate catalog (*.json)"));
    if (path.isEmpty())
        return;
    const QByteArray bytes = exportCatalog(*console().service().snapshot());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size()) {
        banner()->showError(tr("Cannot write %1: %2").arg(path, f.errorString()));
        return;
    }
    banner()->showInfo(tr("Catalog exported to %1.").arg(path));
}

void CatalogPage::editProvider(std::optional<Provider> existing)
{
    const Provider p = existing.value_or(Provider {});
    Service& s = console().service();
    EditDialog dialog(existing ? tr("Edit provider") : tr("New provider"), this);
    QLineEdit* name = dialog.addLine(QStringLiteral("name"), tr("Name:"), p.name);
    QComboBox* kind =
        dialog.addChoice(tr("Kind:"),
                         {{kindLabel(ProviderKind::OpenAICompatible), int(ProviderKind::OpenAICompatible)},
                          {kindLabel(ProviderKind::Anthropic), int(ProviderKind::Anthropic)},
                          {kindLabel(ProviderKind::Mock), int(ProviderKind::Mock)}},
                         int(p.kind));
    QLineEdit* url =
        dialog.addLine(QStringLiteral("baseUrl"), tr("Base URL:"), p.baseUrl, tr("https://api.openai.com/v1"));
    QLineEdit* secret = dialog.addLine(QStringLiteral("secret"), tr("API key:"), QString(),
                                       existing && !p.secret.isEmpty() ? tr("stored; type to replace it")
                                                                       : tr("the provider's API key"));
    secret->setEchoMode(QLineEdit::Password);
    dialog.addNote(
        tr("The key is stored and sent to the provider; it is never shown again, here or in the admin API."));
    dialog.setSave([&]() -> Status {
        Provider changed = p;
        changed.name = name->text().trimmed();
        changed.kind = ProviderKind(kind->currentData().toInt());
        changed.baseUrl = url->text().trimmed();
        changed.secret = secret->text(); // empty on an edit: the stored secret stays
        auto r = s.catalog().saveProvider(changed, Console::actor());
        return r.ok() ? Status() : Status(r.error());
    });
    if (dialog.exec() == QDialog::Accepted) {
        banner()->showInfo(tr("Provider saved."));
        reload();
    }
}

void CatalogPage::removeModel()
{
    const auto m = selectedModel();
    if (!m)
        return banner()->showError(tr("Select one model."));
    if (dialogs::confirm(this, tr("Delete model"), tr("Delete %1? Requests for it are refused from now on.").arg(m->id))
        != dialogs::Answer::Yes)
        return;
    if (Status st = console().service().catalog().deleteModel(m->id, Console::actor()); !st.ok())
        return banner()->showError(st.error().message);
    reload();
}

QString CatalogPage::secretPlace(const Provider& p)
{
    if (!p.secretProblem.isEmpty())
        return tr("in a keychain this session cannot read");
    switch (p.secretStorage) {
    case SecretStorage::None: return tr("not set");
    case SecretStorage::Keychain: return tr("in the OS keychain");
    case SecretStorage::Encrypted: return tr("encrypted under the key file");
    case SecretStorage::PlainText: return tr("in plain text");
    }
    return {};
}

void CatalogPage::rotateSecretKey()
{
    const SecretVault& vault = console().service().secrets();
    if (dialogs::confirm(this, tr("Rotate secret key"),
                         tr("Encrypt every provider secret kept in the database under a new key, and replace the key "
                            "file %1 with it?\n\nInstances that share this database need the new file afterwards; "
                            "secrets in the OS keychain stay where they are.")
                             .arg(QDir::toNativeSeparators(vault.keyFile())))
        != dialogs::Answer::Yes)
        return;
    auto rotated = console().service().catalog().rotateSecretKey(Console::actor());
    if (!rotated.ok())
        return banner()->showError(rotated.error().message);
    reload();
    banner()->showInfo(
        tr("%n secret(s) encrypted under the new key %1. Back up the key file %2.", nullptr, rotated.value())
            .arg(vault.keyId(), QDir::toNativeSeparators(vault.keyFile())));
}

void CatalogPage::removeProvider()
{
    const auto p = selectedProvider();
    if (!p)
        return banner()->showError(tr("Select one provider."));
    if (dialogs::confirm(this, tr("Delete provider"), tr("Delete %1?").arg(p->name)) != dialogs::Answer::Yes)
        return;
    if (Status st = console().service().catalog().deleteProvider(p->id, Console::actor()); !st.ok())
        return banner()->showError(st.error().message);
    reload();
}

} // namespace tollgate
