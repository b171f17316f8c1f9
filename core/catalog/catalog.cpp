// Catalog: providers and models.

#include "core/catalog/catalog.h"

#include "core/audit/audit.h"
#include "core/catalog/priceimport.h"
#include "core/catalog/pricing.h"
#include "core/domain/validation.h"
#include "core/org/orgstate.h"
#include "core/secrets/vault.h"
#include "core/storage/codec.h"
#include "core/storage/database.h"
#include "core/storage/store.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QUrl>

namespace tollgate {

Result<QString> Catalog::storedSecret(Id providerId) const
{
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT secret FROM providers WHERE id = ?"), {providerId});
    if (!r.ok())
        return r.error();
    return r->next() ? r->value(0).toString() : QString();
}

Catalog::Catalog(const ModuleContext& context, SecretVault& secrets)
    : m_db(context.db)
    , m_clock(context.clock)
    , m_org(context.org)
    , m_audit(context.audit)
    , m_secrets(secrets)
{
}

Status Catalog::seed()
{
    // The built-in catalog's providers go in once, into an empty catalog; its models and aliases go in as this
    // version first knows them, so an upgrade brings the new ones, and one an admin deleted stays deleted.
    std::lock_guard writeLock(m_db.writeLock()); // before the first snapshot is loaded
    const CatalogFile& cat = builtInCatalog();
    return m_db.transaction([&](QSqlDatabase& tx) -> Status {
        QHash<QString, Id> providerIds; // by name
        auto r = runSql(tx, QStringLiteral("SELECT id, name FROM providers"));
        if (!r.ok())
            return r.error();
        while (r->next())
            providerIds.insert(r->value(1).toString(), r->value(0).toLongLong());
        int providersAdded = 0;
        if (providerIds.isEmpty()) {
            for (Provider p : cat.providers) {
                p.secret = QString();
                if (Status w = Store::insertProvider(tx, p, QString()); !w.ok())
                    return w;
                providerIds.insert(p.name, p.id);
                ++providersAdded;
            }
        }
        QSet<QString> known; // "model:<id>", "alias:<pattern>"
        if (auto b = runSql(tx, QStringLiteral("SELECT kind, name FROM catalog_builtins")); b.ok()) {
            while (b->next())
                known.insert(b->value(0).toString() + u':' + b->value(1).toString());
        } else {
            return b.error();
        }
        QSet<QString> existing;
        if (auto m = runSql(tx, QStringLiteral("SELECT id FROM models")); m.ok()) {
            while (m->next())
                existing.insert(m->value(0).toString());
        } else {
            return m.error();
        }
        const auto remember = [&tx](const char* kind, const QString& name) {
            return runSql(tx,
                          QStringLiteral("INSERT INTO catalog_builtins (kind, name) VALUES (?, ?)"
                                         " ON CONFLICT (kind, name) DO NOTHING"),
                          {QString::fromLatin1(kind), name});
        };
        QStringList added;
        for (ModelInfo m : cat.models) {
            const Id providerId = providerIds.value(cat.providers[m.providerId - 1].name);
            if (known.contains(QStringLiteral("model:") + m.id) || !providerId)
                continue;
            if (!existing.contains(m.id)) {
                m.providerId = providerId;
                m.approved = true;
                if (Status w = Store::insertModel(tx, m, true); !w.ok()) // another instance may be adding it too
                    return w;
                existing.insert(m.id);
                added.append(m.id);
            }
            if (auto w = remember("model", m.id); !w.ok())
                return w.error();
        }
        for (const ModelAlias& a : cat.aliases) {
            if (known.contains(QStringLiteral("alias:") + a.pattern) || !existing.contains(a.modelId))
                continue;
            if (!existing.contains(a.pattern)) { // an admin's alias of that pattern stays as it is
                if (Status w = Store::insertAliasIfNew(tx, a); !w.ok())
                    return w;
                added.append(a.pattern);
            }
            if (auto w = remember("alias", a.pattern); !w.ok())
                return w.error();
        }
        if (added.isEmpty() && !providersAdded)
            return Status();
        return m_audit.record(
            tx, QStringLiteral("system"), QStringLiteral("catalog"), QString(), QStringLiteral("seed"), {},
            tr("built-in catalog: %1 providers; added %2").arg(providersAdded).arg(added.join(u", ")));
    });
}

QList<Provider> Catalog::providers() const { return sortedById(m_org.current()->providers); }

std::optional<Provider> Catalog::provider(Id id) const
{
    const SnapshotPtr snap = m_org.current();
    if (const Provider* p = snap->provider(id))
        return *p;
    return std::nullopt;
}

Status Catalog::reload()
{
    return m_org.reload([this](Snapshot& s) { return Store(m_db).loadCatalog(s, m_secrets); });
}

Result<Provider> Catalog::saveProvider(const Provider& p, const QString& actor)
{
    auto edit = m_org.edit();
    if (auto s = validate::name(p.name, QStringLiteral("name"), 100); !s.ok())
        return s.error();
    if (p.kind != ProviderKind::Mock) {
        const QUrl url(p.baseUrl, QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
            || url.host().isEmpty())
            return Error::invalid(QStringLiteral("baseUrl"), tr("must be an http:// or https:// URL"));
    }
    std::optional<Provider> before = p.id ? provider(p.id) : std::nullopt;
    if (p.id && !before)
        return Error::notFound(QStringLiteral("id"), tr("provider %1 does not exist").arg(p.id));
    for (const Provider& other : providers())
        if (other.name == p.name.trimmed() && other.id != p.id)
            return Error::conflict(QStringLiteral("name"), tr("a provider named %1 exists already").arg(p.name));
    // A stored secret goes only where it went when it was typed in: pointing the provider elsewhere (another base
    // URL or kind) needs the secret again, or a key that may edit providers could send it to a listener of its own.
    if (before && !before->secret.isEmpty() && p.secret.isEmpty()
        && (p.baseUrl != before->baseUrl || p.kind != before->kind))
        return Error::conflict(QStringLiteral("secret"),
                               tr("changing where provider %1 sends its requests (from %2 to %3) needs its API key "
                                  "again: send the secret with the new address")
                                   .arg(before->name, before->baseUrl, p.baseUrl));
    Provider after = p;
    after.name = p.name.trimmed();
    // The secret is write-only: an empty one on update keeps the stored secret (sealed as it is).
    const bool newSecret = !after.secret.isEmpty();
    QString sealed;
    if (before && !newSecret) {
        after.secret = before->secret;
        after.secretStorage = before->secretStorage;
        after.secretProblem = before->secretProblem;
        auto stored = storedSecret(after.id);
        if (!stored.ok())
            return stored.error();
        sealed = stored.value();
    } else {
        auto s = m_secrets.seal(after.secret);
        if (!s.ok())
            return s.error();
        sealed = s.value();
        after.secretStorage = SecretVault::storageOf(sealed);
        after.secretProblem.clear();
    }
    const QString replaced = before && newSecret ? storedSecret(after.id).valueOr(QString()) : QString();
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = before ? Store::updateProvider(tx, after, sealed) : Store::insertProvider(tx, after, sealed);
            !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("provider"), idText(after.id),
                              before ? QStringLiteral("update") : QStringLiteral("create"),
                              before ? codec::compact(codec::toJson(*before)) : QString(),
                              codec::compact(codec::toJson(after)));
    });
    if (!s.ok()) {
        if (newSecret)
            m_secrets.discard(sealed); // a keychain entry no row names
        return s.error();
    }
    m_secrets.discard(replaced);
    edit->providers.insert(after.id, after);
    edit.publish();
    return after;
}

Status Catalog::deleteProvider(Id id, const QString& actor)
{
    auto edit = m_org.edit();
    const auto before = provider(id);
    if (!before)
        return Error::notFound(QStringLiteral("id"), tr("provider %1 does not exist").arg(id));
    QStringList users;
    for (const ModelInfo& m : models())
        if (m.providerId == id)
            users.append(m.id);
    if (!users.isEmpty())
        return Error::conflict(QStringLiteral("id"),
                               tr("provider %1 serves the models %2; delete or move them first")
                                   .arg(before->name, users.join(QStringLiteral(", "))));
    const QString stored = storedSecret(id).valueOr(QString());
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM providers WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return m_audit.record(tx, actor, QStringLiteral("provider"), idText(id), QStringLiteral("delete"),
                              codec::compact(codec::toJson(*before)), {});
    });
    if (!s.ok())
        return s;
    m_secrets.discard(stored);
    edit->providers.remove(id);
    edit.publish();
    return {};
}

QList<ModelInfo> Catalog::models() const
{
    QList<ModelInfo> out = m_org.current()->models.values();
    std::sort(out.begin(), out.end(), [](const ModelInfo& a, const ModelInfo& b) { return a.id < b.id; });
    return out;
}

std::optional<ModelInfo> Catalog::model(const QString& id) const
{
    const SnapshotPtr snap = m_org.current();
    if (const ModelInfo* m = snap->model(id))
        return *m;
    return std::nullopt;
}

Result<ModelInfo> Catalog::saveModel(const ModelInfo& m, const QString& actor)
{
    auto edit = m_org.edit();
    static const QRegularExpression idPattern(QStringLiteral(R"(^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$)"));
    if (!idPattern.match(m.id).hasMatch())
        return Error::invalid(QStringLiteral("id"),
                              tr("must be 1 to 128 letters, digits or . _ : / @ - and start with a letter or digit"));
    if (!provider(m.providerId))
        return Error::notFound(QStringLiteral("providerId"), tr("provider %1 does not exist").arg(m.providerId));
    if (m.tier < 1 || m.tier > 10)
        return Error::invalid(QStringLiteral("tier"), tr("must be between 1 and 10"));
    for (const PriceComponent& c : priceComponents()) {
        const Money v = m.*c.field;
        if (c.unit == PriceComponent::PerMillionTokens && (v < 0 || v > 10'000'000)) // $10,000 per million tokens
            return Error::invalid(c.key, tr("must be between $0 and $10,000 per million tokens"));
        if (c.unit == PriceComponent::PerThousandCalls && (v < 0 || v > 100'000'000'000)) // $100 a call
            return Error::invalid(c.key, tr("must be between $0 and $100,000 per thousand calls"));
    }
    if (m.longContextThreshold < 0 || m.longContextThreshold > 100'000'000)
        return Error::invalid(QStringLiteral("longContextThreshold"),
                              tr("must be between 0 (no long-context tier) and 100,000,000 tokens"));
    if (m.maxImageTokens < 0 || m.maxImageTokens > 10'000'000)
        return Error::invalid(QStringLiteral("maxImageTokens"),
                              tr("must be between 0 (the provider's rule) and 10,000,000 tokens"));
    if (m.maxOutputTokens < 0 || m.maxOutputTokens > 10'000'000)
        return Error::invalid(QStringLiteral("maxOutputTokens"), tr("must be between 0 and 10,000,000"));
    if (!m.outputCapField.isEmpty() && m.outputCapField != u"max_tokens"
        && m.outputCapField != u"max_completion_tokens")
        return Error::invalid(QStringLiteral("outputCapField"),
                              tr("must be max_completion_tokens, max_tokens or empty"));
    if (m.contextWindow < 1 || m.contextWindow > 100'000'000)
        return Error::invalid(QStringLiteral("contextWindow"), tr("must be between 1 and 100,000,000"));
    const std::optional<ModelInfo> before = model(m.id);
    ModelInfo after = m;
    if (after.upstreamName.isEmpty())
        after.upstreamName = after.id;
    resolvePrices(after, provider(m.providerId)->kind); // defaults follow the prices set
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = before ? Store::updateModel(tx, after) : Store::insertModel(tx, after); !w.ok())
            return w;
        return m_audit.record(
            tx, actor, QStringLiteral("model"), after.id, before ? QStringLiteral("update") : QStringLiteral("create"),
            before ? codec::compact(codec::toJson(*before)) : QString(), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    edit->models.insert(after.id, after);
    edit.publish();
    return after;
}

Status Catalog::deleteModel(const QString& id, const QString& actor)
{
    auto edit = m_org.edit();
    const auto before = model(id);
    if (!before)
        return Error::notFound(QStringLiteral("id"), tr("model %1 does not exist").arg(id));
    QStringList naming;
    for (const ModelAlias& a : aliases())
        if (a.modelId == id)
            naming.append(a.pattern);
    if (!naming.isEmpty())
        return Error::conflict(
            QStringLiteral("id"),
            tr("the aliases %1 name model %2; delete or move them first").arg(naming.join(QStringLiteral(", ")), id));
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM models WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return m_audit.record(tx, actor, QStringLiteral("model"), id, QStringLiteral("delete"),
                              codec::compact(codec::toJson(*before)), {});
    });
    if (!s.ok())
        return s;
    edit->models.remove(id);
    edit.publish();
    return {};
}

Status Catalog::applyPriceImport(const PriceImport& plan, const QString& actor)
{
    auto edit = m_org.edit();
    const SnapshotPtr snap = m_org.current();
    for (const QString& id : plan.removed)
        for (const ModelAlias& a : snap->aliases)
            if (a.modelId == id)
                return Error::conflict(id,
                                       tr("the alias %1 names model %2; delete or move it first").arg(a.pattern, id));
    for (const ModelInfo& m : plan.models)
        if (!snap->provider(m.providerId))
            return Error::notFound(m.id, tr("provider %1 does not exist").arg(m.providerId));
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        for (const ModelInfo& m : plan.models) {
            const ModelInfo* before = snap->model(m.id);
            if (Status w = before ? Store::updateModel(tx, m) : Store::insertModel(tx, m); !w.ok())
                return w;
            if (Status a = m_audit.record(tx, actor, QStringLiteral("model"), m.id,
                                          before ? QStringLiteral("update") : QStringLiteral("create"),
                                          before ? codec::compact(codec::toJson(*before)) : QString(),
                                          codec::compact(codec::toJson(m)));
                !a.ok())
                return a;
        }
        for (const QString& id : plan.removed) {
            if (auto r = runSql(tx, QStringLiteral("DELETE FROM models WHERE id = ?"), {id}); !r.ok())
                return r.error();
            if (Status a = m_audit.record(tx, actor, QStringLiteral("model"), id, QStringLiteral("delete"),
                                          codec::compact(codec::toJson(*snap->model(id))), {});
                !a.ok())
                return a;
        }
        return m_audit.record(tx, actor, QStringLiteral("catalog"), QString(), QStringLiteral("import"), {},
                              tr("prices imported (%1): %2 changes to %3 models, %4 removed")
                                  .arg(plan.format)
                                  .arg(plan.changes.size())
                                  .arg(plan.models.size())
                                  .arg(plan.removed.size()));
    });
    if (!s.ok())
        return s;
    for (const ModelInfo& m : plan.models)
        edit->models.insert(m.id, m);
    for (const QString& id : plan.removed)
        edit->models.remove(id);
    edit.publish();
    return {};
}

QList<ModelAlias> Catalog::aliases() const
{
    QList<ModelAlias> out = m_org.current()->aliases.values();
    std::sort(out.begin(), out.end(), [](const ModelAlias& a, const ModelAlias& b) { return a.pattern < b.pattern; });
    return out;
}

Result<ModelAlias> Catalog::saveAlias(const ModelAlias& a, const QString& actor)
{
    auto edit = m_org.edit();
    ModelAlias after = a;
    after.pattern = a.pattern.trimmed();
    after.note = a.note.trimmed().left(500);
    if (Status s = validateAliasPattern(after.pattern); !s.ok())
        return s.error();
    if (model(after.pattern))
        return Error::conflict(QStringLiteral("pattern"),
                               tr("%1 is a model's id: an alias of that name would never be used").arg(after.pattern));
    if (!model(after.modelId))
        return Error::notFound(QStringLiteral("model"), tr("model %1 does not exist").arg(after.modelId));
    const SnapshotPtr snap = m_org.current();
    const auto old = snap->aliases.constFind(after.pattern);
    const std::optional<ModelAlias> before =
        old == snap->aliases.cend() ? std::nullopt : std::optional<ModelAlias>(*old);
    const auto text = [](const ModelAlias& x) {
        return QStringLiteral("%1 -> %2%3")
            .arg(x.pattern, x.modelId, x.note.isEmpty() ? QString() : u" (" + x.note + u')');
    };
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = Store::upsertAlias(tx, after); !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("model_alias"), after.pattern,
                              before ? QStringLiteral("update") : QStringLiteral("create"),
                              before ? text(*before) : QString(), text(after));
    });
    if (!s.ok())
        return s.error();
    edit->aliases.insert(after.pattern, after);
    edit.publish();
    return after;
}

Status Catalog::deleteAlias(const QString& pattern, const QString& actor)
{
    auto edit = m_org.edit();
    const SnapshotPtr snap = m_org.current();
    const auto it = snap->aliases.constFind(pattern);
    if (it == snap->aliases.cend())
        return Error::notFound(QStringLiteral("pattern"), tr("there is no alias %1").arg(pattern));
    const ModelAlias before = *it;
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM model_aliases WHERE pattern = ?"), {pattern}); !r.ok())
            return r.error();
        return m_audit.record(tx, actor, QStringLiteral("model_alias"), pattern, QStringLiteral("delete"),
                              QStringLiteral("%1 -> %2").arg(before.pattern, before.modelId), {});
    });
    if (!s.ok())
        return s;
    edit->aliases.remove(pattern);
    edit.publish();
    return {};
}

} // namespace tollgate
