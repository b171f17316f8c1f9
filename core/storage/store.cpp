#include "core/storage/store.h"

#include "core/catalog/pricing.h"
#include "core/secrets/vault.h"
#include "core/storage/codec.h"
#include "core/storage/database.h"

#include <QCoreApplication>

namespace tollgate {

Store::Store(const Database& db)
    : m_db(db)
{
}

Status Store::loadOrganization(Snapshot& s) const
{
    QSqlDatabase db = m_db.connection();
    auto r = runSql(db,
                    QStringLiteral("SELECT id, name, timezone, default_policy, monthly_budget, allow_reduction,"
                                   " default_user_monthly_limit, updated_at FROM organizations"
                                   " ORDER BY id LIMIT 1"));
    if (!r.ok())
        return r.error();
    if (!r->next())
        return Error::storage(Database::tr("the database has no organization"));
    Organization& o = s.org;
    o.id = r->value(0).toLongLong();
    o.name = r->value(1).toString();
    o.timezone = r->value(2).toString();
    auto policy = codec::policyFromText(r->value(3).toString());
    if (!policy.ok())
        return policy.error();
    o.defaultPolicy = policy->value_or(PolicySettings {});
    o.monthlyBudget = optionalInt(r->value(4));
    o.allowMaxTokensReduction = r->value(5).toInt() != 0;
    o.defaultUserMonthlyLimit = optionalInt(r->value(6));
    o.updatedAt = r->value(7).toLongLong();
    s.calendar = std::make_shared<const Calendar>(QTimeZone(o.timezone.toUtf8()));
    return {};
}

Status Store::loadDirectory(Snapshot& s) const
{
    QSqlDatabase db = m_db.connection();
    s.groups.clear();
    s.users.clear();
    s.usersByEmail.clear();
    s.members.clear();
    {
        auto r = runSql(db,
                        QStringLiteral("SELECT id, name, parent_id, settings, monthly_budget, budget_action,"
                                       " updated_at FROM org_groups WHERE org_id = ?"),
                        {s.org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            Group g;
            g.id = r->value(0).toLongLong();
            g.orgId = s.org.id;
            g.name = r->value(1).toString();
            g.parentId = r->value(2).toLongLong();
            auto settings = codec::policyFromText(r->value(3).toString());
            if (!settings.ok())
                return settings.error();
            g.settings = settings.value();
            g.monthlyBudget = optionalInt(r->value(4));
            g.budgetAction = r->value(5).toString() == QLatin1String("warn") ? BudgetAction::Warn : BudgetAction::Block;
            g.updatedAt = r->value(6).toLongLong();
            s.groups.insert(g.id, g);
        }
    }
    {
        auto r = runSql(db,
                        QStringLiteral("SELECT id, email, name, status, policy, private_project_id, created_at,"
                                       " updated_at FROM users WHERE org_id = ?"),
                        {s.org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            User u;
            u.id = r->value(0).toLongLong();
            u.orgId = s.org.id;
            u.email = r->value(1).toString();
            u.name = r->value(2).toString();
            u.status = r->value(3).toString() == QLatin1String("inactive") ? UserStatus::Inactive : UserStatus::Active;
            const QString policyText = r->value(4).toString();
            if (!policyText.isEmpty()) {
                auto p = codec::policyFromText(policyText);
                if (!p.ok())
                    return p.error();
                u.policyOverride = p.value();
            }
            u.privateProjectId = r->value(5).toLongLong();
            u.createdAt = r->value(6).toLongLong();
            u.updatedAt = r->value(7).toLongLong();
            s.usersByEmail.insert(emailKey(u.email), u.id);
            s.users.insert(u.id, std::move(u));
        }
    }
    {
        auto r = runSql(db,
                        QStringLiteral("SELECT m.group_id, m.user_id FROM group_members m"
                                       " JOIN org_groups g ON g.id = m.group_id WHERE g.org_id = ?"
                                       " ORDER BY m.user_id, m.group_id"),
                        {s.org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            const Id gid = r->value(0).toLongLong();
            const Id uid = r->value(1).toLongLong();
            s.members[gid].insert(uid);
            if (User* u = s.users.getMutable(uid))
                u->groupIds.append(gid);
        }
    }
    return {};
}

Status Store::loadAccess(Snapshot& s) const
{
    QSqlDatabase db = m_db.connection();
    s.projects.clear();
    s.keys.clear();
    s.keysByHash.clear();
    {
        auto r = runSql(db,
                        QStringLiteral("SELECT id, name, kind, owner_user_id, monthly_limit, updated_at"
                                       " FROM projects WHERE org_id = ?"),
                        {s.org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            Project p;
            p.id = r->value(0).toLongLong();
            p.orgId = s.org.id;
            p.name = r->value(1).toString();
            p.kind = r->value(2).toString() == QLatin1String("private") ? ProjectKind::Private : ProjectKind::Shared;
            p.ownerUserId = r->value(3).toLongLong();
            p.monthlyLimit = optionalInt(r->value(4));
            p.updatedAt = r->value(5).toLongLong();
            s.projects.insert(p.id, p);
        }
    }
    {
        auto r = runSql(db,
                        QStringLiteral("SELECT id, project_id, holder_user_id, name, prefix, secret_hash, features,"
                                       " allowed_models, monthly_cap, expires_at, status, last_used_at, created_at,"
                                       " updated_at FROM api_keys WHERE org_id = ?"),
                        {s.org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            ApiKey k;
            k.id = r->value(0).toLongLong();
            k.orgId = s.org.id;
            k.projectId = r->value(1).toLongLong();
            k.holderUserId = r->value(2).toLongLong();
            k.name = r->value(3).toString();
            k.prefix = r->value(4).toString();
            k.hash = r->value(5).toByteArray();
            k.features = r->value(6).toString().split(u',', Qt::SkipEmptyParts);
            auto models = codec::modelRuleFromText(r->value(7).toString());
            k.allowedModels = models.ok() ? models.value() : ModelRule::list({});
            k.monthlyCap = optionalInt(r->value(8));
            k.expiresAt = r->value(9).toLongLong();
            k.status = r->value(10).toString() == QLatin1String("revoked") ? KeyStatus::Revoked : KeyStatus::Active;
            k.lastUsedAt = r->value(11).toLongLong();
            k.createdAt = r->value(12).toLongLong();
            k.updatedAt = r->value(13).toLongLong();
            s.keysByHash.insert(k.hash, k.id);
            s.keys.insert(k.id, k);
        }
        auto g = runSql(db, QStringLiteral("SELECT key_id, group_id FROM api_key_groups ORDER BY key_id, group_id"));
        if (!g.ok())
            return g.error();
        while (g->next()) {
            if (ApiKey* k = s.keys.getMutable(g->value(0).toLongLong()))
                k->groupIds.append(g->value(1).toLongLong());
        }
    }
    return {};
}

Status Store::loadCatalog(Snapshot& s, SecretVault& secrets) const
{
    QSqlDatabase db = m_db.connection();
    s.providers.clear();
    s.models.clear();
    {
        auto r = runSql(db, QStringLiteral("SELECT id, name, kind, base_url, secret FROM providers"));
        if (!r.ok())
            return r.error();
        while (r->next()) {
            Provider p;
            p.id = r->value(0).toLongLong();
            p.name = r->value(1).toString();
            p.kind = providerKindFromName(r->value(2).toString()).value_or(ProviderKind::OpenAICompatible);
            p.baseUrl = r->value(3).toString();
            const QString stored = r->value(4).toString();
            p.secretStorage = SecretVault::storageOf(stored);
            auto secret = secrets.unseal(stored);
            if (!secret.ok() && p.secretStorage == SecretStorage::Encrypted)
                return Error::storage(
                    Database::tr("the secret of provider %1: %2").arg(p.name, secret.error().message));
            // A keychain that does not answer (a headless start of a desktop's database) leaves this provider
            // without its secret, and says why; the others still work.
            if (secret.ok())
                p.secret = secret.value();
            else
                p.secretProblem = secret.error().message;
            s.providers.insert(p.id, p);
        }
    }
    {
        auto r = runSql(db,
                        QStringLiteral("SELECT id, provider_id, upstream_name, tier, input_price,"
                                       " cached_input_price, output_price, max_output_tokens, context_window,"
                                       " approved, price_source, output_cap_field, prices FROM models"));
        if (!r.ok())
            return r.error();
        while (r->next()) {
            ModelInfo m;
            m.id = r->value(0).toString();
            m.providerId = r->value(1).toLongLong();
            m.upstreamName = r->value(2).toString();
            m.tier = r->value(3).toInt();
            m.inputPrice = r->value(4).toLongLong();
            m.cachedInputPrice = r->value(5).toLongLong();
            m.outputPrice = r->value(6).toLongLong();
            m.maxOutputTokens = r->value(7).toLongLong();
            m.contextWindow = r->value(8).toLongLong();
            m.approved = r->value(9).toInt() != 0;
            m.priceSource = r->value(10).toString();
            m.outputCapField = r->value(11).toString();
            if (Status read = readStoredPrices(m, r->value(12).toString()); !read.ok())
                return read;
            const Provider* provider = s.provider(m.providerId);
            resolvePrices(m, provider ? provider->kind : ProviderKind::OpenAICompatible);
            s.models.insert(m.id, m);
        }
    }
    {
        s.aliases.clear();
        auto r = runSql(db, QStringLiteral("SELECT pattern, model_id, note FROM model_aliases"));
        if (!r.ok())
            return r.error();
        while (r->next()) {
            const ModelAlias a {r->value(0).toString(), r->value(1).toString(), r->value(2).toString()};
            s.aliases.insert(a.pattern, a);
        }
    }
    return {};
}

Status Store::loadCustomers(Snapshot& s) const
{
    QSqlDatabase db = m_db.connection();
    s.customers.clear();
    s.customersByIdentifier.clear();
    auto r = runSql(db,
                    QStringLiteral("SELECT id, identifier, name, email, rate_limit_rpm, budget_duration,"
                                   " period_start, period_end, period_budget, total_budget, markup_bp,"
                                   " updated_at, limits_locked FROM customers WHERE org_id = ?"),
                    {s.org.id});
    if (!r.ok())
        return r.error();
    while (r->next()) {
        Customer c;
        c.id = r->value(0).toLongLong();
        c.orgId = s.org.id;
        c.identifier = r->value(1).toString();
        c.name = r->value(2).toString();
        c.email = r->value(3).toString();
        c.rateLimitPerMinute = optionalInt(r->value(4));
        c.budgetDuration = budgetDurationFromName(r->value(5).toString()).value_or(BudgetDuration::None);
        c.periodStart = r->value(6).toLongLong();
        c.periodEnd = r->value(7).toLongLong();
        c.periodBudget = optionalInt(r->value(8));
        c.totalBudget = optionalInt(r->value(9));
        c.markupBasisPoints = r->value(10).toInt();
        c.updatedAt = r->value(11).toLongLong();
        c.limitsLocked = r->value(12).toInt() != 0;
        s.customersByIdentifier.insert(c.identifier, c.id);
        s.customers.insert(c.id, c);
    }
    return {};
}

namespace {

// Column -> value, in the order the statement binds them.
using Columns = QList<std::pair<QLatin1StringView, QVariant>>;

Result<QSqlQuery> insertRow(QSqlDatabase& tx, QLatin1StringView table, const Columns& columns, bool returningId,
                            bool skipConflict = false)
{
    QStringList names;
    QVariantList values;
    for (const auto& [name, value] : columns) {
        names << name;
        values << value;
    }
    QString sql = QStringLiteral("INSERT INTO %1 (%2) VALUES (%3)")
                      .arg(table, names.join(QStringLiteral(", ")),
                           QStringList(names.size(), QStringLiteral("?")).join(QStringLiteral(", ")));
    if (skipConflict)
        sql += QStringLiteral(" ON CONFLICT DO NOTHING");
    if (returningId)
        sql += QStringLiteral(" RETURNING id");
    return runSql(tx, sql, values);
}

Status insertWithId(QSqlDatabase& tx, QLatin1StringView table, const Columns& columns, Id& id)
{
    auto r = insertRow(tx, table, columns, true);
    if (!r.ok())
        return r.error();
    if (!r->next())
        return Error::storage(QStringLiteral("INSERT INTO %1 returned no id").arg(table));
    id = r->value(0).toLongLong();
    return {};
}

Status updateRow(QSqlDatabase& tx, QLatin1StringView table, const Columns& columns, const QVariant& id)
{
    QStringList sets;
    QVariantList values;
    for (const auto& [name, value] : columns) {
        sets << name + QStringLiteral(" = ?");
        values << value;
    }
    values << id;
    auto r =
        runSql(tx, QStringLiteral("UPDATE %1 SET %2 WHERE id = ?").arg(table, sets.join(QStringLiteral(", "))), values);
    return r.ok() ? Status() : Status(r.error());
}

QString budgetActionName(BudgetAction a)
{
    return a == BudgetAction::Warn ? QStringLiteral("warn") : QStringLiteral("block");
}

QString keyStatusName(KeyStatus s)
{
    return s == KeyStatus::Active ? QStringLiteral("active") : QStringLiteral("revoked");
}

QString text(const QString& s) { return s.isNull() ? QStringLiteral("") : s; } // NOT NULL text columns

Columns organizationColumns(const Organization& o)
{
    return {{QLatin1StringView("name"), o.name},
            {QLatin1StringView("timezone"), o.timezone},
            {QLatin1StringView("default_policy"), codec::policyText(o.defaultPolicy)},
            {QLatin1StringView("monthly_budget"), nullable(o.monthlyBudget)},
            {QLatin1StringView("allow_reduction"), o.allowMaxTokensReduction ? 1 : 0},
            {QLatin1StringView("default_user_monthly_limit"), nullable(o.defaultUserMonthlyLimit)},
            {QLatin1StringView("updated_at"), o.updatedAt}};
}

Columns groupColumns(const Group& g)
{
    return {{QLatin1StringView("org_id"), g.orgId},
            {QLatin1StringView("name"), g.name},
            {QLatin1StringView("parent_id"), nullableId(g.parentId)},
            {QLatin1StringView("settings"), codec::policyText(g.settings)},
            {QLatin1StringView("monthly_budget"), nullable(g.monthlyBudget)},
            {QLatin1StringView("budget_action"), budgetActionName(g.budgetAction)},
            {QLatin1StringView("updated_at"), g.updatedAt}};
}

Columns projectColumns(const Project& p)
{
    return {{QLatin1StringView("org_id"), p.orgId},
            {QLatin1StringView("name"), p.name},
            {QLatin1StringView("kind"),
             p.kind == ProjectKind::Private ? QStringLiteral("private") : QStringLiteral("shared")},
            {QLatin1StringView("owner_user_id"), nullableId(p.ownerUserId)},
            {QLatin1StringView("monthly_limit"), nullable(p.monthlyLimit)},
            {QLatin1StringView("updated_at"), p.updatedAt}};
}

// What an admin may change of a key; the rest is set once, when it is made.
Columns keySettingColumns(const ApiKey& k)
{
    return {{QLatin1StringView("name"), k.name},
            {QLatin1StringView("monthly_cap"), nullable(k.monthlyCap)},
            {QLatin1StringView("allowed_models"), codec::modelRuleText(k.allowedModels)},
            {QLatin1StringView("features"), k.features.join(u',')},
            {QLatin1StringView("expires_at"), k.expiresAt},
            {QLatin1StringView("status"), keyStatusName(k.status)},
            {QLatin1StringView("updated_at"), k.updatedAt}};
}

Columns keyColumns(const ApiKey& k)
{
    Columns c {{QLatin1StringView("org_id"), k.orgId},
               {QLatin1StringView("project_id"), k.projectId},
               {QLatin1StringView("holder_user_id"), nullableId(k.holderUserId)},
               {QLatin1StringView("prefix"), k.prefix},
               {QLatin1StringView("secret_hash"), k.hash},
               {QLatin1StringView("last_used_at"), k.lastUsedAt},
               {QLatin1StringView("created_at"), k.createdAt}};
    c += keySettingColumns(k);
    return c;
}

Status writeKeyGroups(QSqlDatabase& tx, const ApiKey& k)
{
    if (auto d = runSql(tx, QStringLiteral("DELETE FROM api_key_groups WHERE key_id = ?"), {k.id}); !d.ok())
        return d.error();
    for (Id gid : k.groupIds)
        if (auto g =
                runSql(tx, QStringLiteral("INSERT INTO api_key_groups (key_id, group_id) VALUES (?, ?)"), {k.id, gid});
            !g.ok())
            return g.error();
    return {};
}

Columns providerColumns(const Provider& p, const QString& sealedSecret)
{
    return {{QLatin1StringView("name"), p.name},
            {QLatin1StringView("kind"), providerKindName(p.kind)},
            {QLatin1StringView("base_url"), p.baseUrl},
            {QLatin1StringView("secret"), text(sealedSecret)}};
}

Columns modelColumns(const ModelInfo& m)
{
    return {{QLatin1StringView("provider_id"), m.providerId},
            {QLatin1StringView("upstream_name"), m.upstreamName},
            {QLatin1StringView("tier"), m.tier},
            {QLatin1StringView("input_price"), m.inputPrice},
            {QLatin1StringView("cached_input_price"), m.cachedInputPrice},
            {QLatin1StringView("output_price"), m.outputPrice},
            {QLatin1StringView("max_output_tokens"), m.maxOutputTokens},
            {QLatin1StringView("context_window"), m.contextWindow},
            {QLatin1StringView("approved"), m.approved ? 1 : 0},
            {QLatin1StringView("price_source"), text(m.priceSource)},
            {QLatin1StringView("output_cap_field"), m.outputCapField.isEmpty() ? QVariant() : m.outputCapField},
            {QLatin1StringView("prices"), storedPrices(m)}};
}

Columns customerColumns(const Customer& c)
{
    return {{QLatin1StringView("org_id"), c.orgId},
            {QLatin1StringView("identifier"), c.identifier},
            {QLatin1StringView("name"), text(c.name)},
            {QLatin1StringView("email"), text(c.email)},
            {QLatin1StringView("rate_limit_rpm"), nullable(c.rateLimitPerMinute)},
            {QLatin1StringView("budget_duration"), budgetDurationName(c.budgetDuration)},
            {QLatin1StringView("period_start"), c.periodStart},
            {QLatin1StringView("period_end"), c.periodEnd},
            {QLatin1StringView("period_budget"), nullable(c.periodBudget)},
            {QLatin1StringView("total_budget"), nullable(c.totalBudget)},
            {QLatin1StringView("markup_bp"), c.markupBasisPoints},
            {QLatin1StringView("limits_locked"), c.limitsLocked ? 1 : 0},
            {QLatin1StringView("updated_at"), c.updatedAt}};
}

} // namespace

Status Store::updateOrganization(QSqlDatabase& tx, const Organization& o)
{
    return updateRow(tx, QLatin1StringView("organizations"), organizationColumns(o), o.id);
}

Status Store::insertGroup(QSqlDatabase& tx, Group& g)
{
    return insertWithId(tx, QLatin1StringView("org_groups"), groupColumns(g), g.id);
}

Status Store::updateGroup(QSqlDatabase& tx, const Group& g)
{
    return updateRow(tx, QLatin1StringView("org_groups"), groupColumns(g), g.id);
}

Status Store::insertProject(QSqlDatabase& tx, Project& p)
{
    return insertWithId(tx, QLatin1StringView("projects"), projectColumns(p), p.id);
}

Status Store::updateProject(QSqlDatabase& tx, const Project& p)
{
    return updateRow(tx, QLatin1StringView("projects"), projectColumns(p), p.id);
}

Status Store::insertKey(QSqlDatabase& tx, ApiKey& k)
{
    if (Status s = insertWithId(tx, QLatin1StringView("api_keys"), keyColumns(k), k.id); !s.ok())
        return s;
    return writeKeyGroups(tx, k);
}

Status Store::updateKey(QSqlDatabase& tx, const ApiKey& k)
{
    if (Status s = updateRow(tx, QLatin1StringView("api_keys"), keySettingColumns(k), k.id); !s.ok())
        return s;
    return writeKeyGroups(tx, k);
}

Status Store::insertProvider(QSqlDatabase& tx, Provider& p, const QString& sealedSecret)
{
    return insertWithId(tx, QLatin1StringView("providers"), providerColumns(p, sealedSecret), p.id);
}

Status Store::updateProvider(QSqlDatabase& tx, const Provider& p, const QString& sealedSecret)
{
    return updateRow(tx, QLatin1StringView("providers"), providerColumns(p, sealedSecret), p.id);
}

Status Store::insertModel(QSqlDatabase& tx, const ModelInfo& m, bool skipExisting)
{
    Columns c {{QLatin1StringView("id"), m.id}};
    c += modelColumns(m);
    auto r = insertRow(tx, QLatin1StringView("models"), c, false, skipExisting);
    return r.ok() ? Status() : Status(r.error());
}

Status Store::insertAliasIfNew(QSqlDatabase& tx, const ModelAlias& a)
{
    auto r = runSql(tx,
                    QStringLiteral("INSERT INTO model_aliases (pattern, model_id, note) VALUES (?, ?, ?)"
                                   " ON CONFLICT (pattern) DO NOTHING"),
                    {a.pattern, a.modelId, a.note.isNull() ? QStringLiteral("") : a.note});
    return r.ok() ? Status() : Status(r.error());
}

Status Store::upsertAlias(QSqlDatabase& tx, const ModelAlias& a)
{
    if (auto r = runSql(tx, QStringLiteral("DELETE FROM model_aliases WHERE pattern = ?"), {a.pattern}); !r.ok())
        return r.error();
    auto r = runSql(tx, QStringLiteral("INSERT INTO model_aliases (pattern, model_id, note) VALUES (?, ?, ?)"),
                    {a.pattern, a.modelId, a.note.isNull() ? QStringLiteral("") : a.note});
    return r.ok() ? Status() : Status(r.error());
}

Status Store::updateModel(QSqlDatabase& tx, const ModelInfo& m)
{
    return updateRow(tx, QLatin1StringView("models"), modelColumns(m), m.id);
}

Status Store::insertCustomer(QSqlDatabase& tx, Customer& c)
{
    // Another instance may create the same customer at the same moment: no unique-constraint error, a conflict the
    // caller resolves by reading the customers again.
    auto r = insertRow(tx, QLatin1StringView("customers"), customerColumns(c), true, true);
    if (!r.ok())
        return r.error();
    if (!r->next())
        return Error::conflict(QStringLiteral("customer_identifier"),
                               QStringLiteral("%1 was created meanwhile").arg(c.identifier));
    c.id = r->value(0).toLongLong();
    return {};
}

Status Store::updateCustomer(QSqlDatabase& tx, const Customer& c)
{
    return updateRow(tx, QLatin1StringView("customers"), customerColumns(c), c.id);
}

} // namespace tollgate
