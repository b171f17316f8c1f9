#include "core/storage/store.h"

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
        s.users.reserve(1024);
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
            auto it = s.users.find(uid);
            if (it != s.users.end())
                it->groupIds.append(gid);
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
            auto it = s.keys.find(g->value(0).toLongLong());
            if (it != s.keys.end())
                it->groupIds.append(g->value(1).toLongLong());
        }
    }
    return {};
}

Status Store::loadCatalog(Snapshot& s) const
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
            p.secret = r->value(4).toString();
            s.providers.insert(p.id, p);
        }
    }
    {
        auto r = runSql(db,
                        QStringLiteral("SELECT id, provider_id, upstream_name, tier, input_price,"
                                       " cached_input_price, output_price, max_output_tokens, context_window,"
                                       " approved, price_source FROM models"));
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
            s.models.insert(m.id, m);
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
                                   " updated_at FROM customers WHERE org_id = ?"),
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
        s.customersByIdentifier.insert(c.identifier, c.id);
        s.customers.insert(c.id, c);
    }
    return {};
}

} // namespace tollgate
