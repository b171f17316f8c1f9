#include "service/service.h"

#include "service/state.h"
#include "service/validation.h"
#include "storage/codec.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QSqlRecord>

Q_LOGGING_CATEGORY(lcService, "tollgate.core.service", QtInfoMsg)

namespace tollgate {

namespace {
QString tr(const char* s) { return QCoreApplication::translate("tollgate::Service", s); }
} // namespace

Service::Service(std::unique_ptr<Database> db, const Clock& clock)
    : m_db(std::move(db))
    , m_clock(clock)
    , m_state(std::make_unique<State>())
{
    m_ledger = std::make_unique<Ledger>(
        m_clock, [this](const CounterKey& key, const Window& window) { return loadCounter(key, window); });
}

Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::open(const DatabaseLocation& location, const Clock& clock,
                                               const Options& options)
{
    auto db = Database::open(location);
    if (!db.ok())
        return db.error();
    if (auto s = db.value()->migrate(); !s.ok())
        return s.error();
    std::unique_ptr<Service> service(new Service(std::move(db.value()), clock));
    if (auto s = service->ensureOrganization(options); !s.ok())
        return s.error();
    if (auto s = service->ensureAdminKey(options); !s.ok())
        return s.error();
    if (options.seedCatalog) {
        if (auto s = service->seedCatalog(); !s.ok())
            return s.error();
    }
    if (auto s = service->load(); !s.ok())
        return s.error();
    if (auto s = service->ensureRollups(); !s.ok())
        return s.error();
    return service;
}

Status Service::ensureOrganization(const Options& options)
{
    std::lock_guard writeLock(m_db->writeLock());
    auto r = runSql(m_db->connection(), QStringLiteral("SELECT COUNT(*) FROM organizations"));
    if (!r.ok())
        return r.error();
    r->next();
    if (r->value(0).toLongLong() > 0)
        return {};
    if (auto s = validate::timezone(options.timezone, QStringLiteral("timezone")); !s.ok())
        return s;
    return m_db->transaction([&](QSqlDatabase& tx) -> Status {
        auto ins = runSql(tx,
                          QStringLiteral("INSERT INTO organizations (name, timezone, default_policy, allow_reduction,"
                                         " updated_at) VALUES (?, ?, ?, 1, ?)"),
                          {options.organizationName, options.timezone, QStringLiteral("{}"), m_clock.now()});
        if (!ins.ok())
            return ins.error();
        return audit(tx, QStringLiteral("system"), QStringLiteral("organization"), QString(), QStringLiteral("create"),
                     {}, options.organizationName);
    });
}

Status Service::seedCatalog()
{
    std::lock_guard writeLock(m_db->writeLock());
    auto r = runSql(m_db->connection(), QStringLiteral("SELECT COUNT(*) FROM providers"));
    if (!r.ok())
        return r.error();
    r->next();
    if (r->value(0).toLongLong() > 0)
        return {};
    const Catalog& cat = builtInCatalog();
    return m_db->transaction([&](QSqlDatabase& tx) -> Status {
        QHash<Id, Id> providerIds; // catalog index+1 -> stored id
        for (qsizetype i = 0; i < cat.providers.size(); ++i) {
            const Provider& p = cat.providers[i];
            auto ins = runSql(tx,
                              QStringLiteral("INSERT INTO providers (name, kind, base_url, secret) VALUES (?, ?, ?, ?)"
                                             " RETURNING id"),
                              {p.name, providerKindName(p.kind), p.baseUrl, QStringLiteral("")});
            if (!ins.ok())
                return ins.error();
            ins->next();
            providerIds.insert(i + 1, ins->value(0).toLongLong());
        }
        for (const ModelInfo& m : cat.models) {
            auto ins = runSql(tx,
                              QStringLiteral("INSERT INTO models (id, provider_id, upstream_name, tier, input_price,"
                                             " cached_input_price, output_price, max_output_tokens, context_window,"
                                             " approved, price_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                              {m.id, providerIds.value(m.providerId), m.upstreamName, m.tier, m.inputPrice,
                               m.cachedInputPrice, m.outputPrice, m.maxOutputTokens, m.contextWindow, 1, m.priceSource});
            if (!ins.ok())
                return ins.error();
        }
        return audit(tx, QStringLiteral("system"), QStringLiteral("catalog"), QString(), QStringLiteral("seed"), {},
                     tr("%1 providers, %2 models").arg(cat.providers.size()).arg(cat.models.size()));
    });
}

Status Service::load()
{
    QElapsedTimer timer;
    timer.start();
    auto state = std::make_unique<State>();
    QSqlDatabase db = m_db->connection();

    {
        auto r = runSql(db, QStringLiteral("SELECT id, name, timezone, default_policy, monthly_budget, allow_reduction,"
                                           " default_user_monthly_limit, updated_at FROM organizations"
                                           " ORDER BY id LIMIT 1"));
        if (!r.ok())
            return r.error();
        if (!r->next())
            return Error::storage(tr("the database has no organization"));
        Organization& o = state->org;
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
        state->calendar = std::make_unique<Calendar>(QTimeZone(o.timezone.toUtf8()));
    }
    {
        auto r = runSql(db, QStringLiteral("SELECT id, name, parent_id, settings, monthly_budget, budget_action,"
                                           " updated_at FROM org_groups WHERE org_id = ?"),
                        {state->org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            Group g;
            g.id = r->value(0).toLongLong();
            g.orgId = state->org.id;
            g.name = r->value(1).toString();
            g.parentId = r->value(2).toLongLong();
            auto settings = codec::policyFromText(r->value(3).toString());
            if (!settings.ok())
                return settings.error();
            g.settings = settings.value();
            g.monthlyBudget = optionalInt(r->value(4));
            g.budgetAction = r->value(5).toString() == QLatin1String("warn") ? BudgetAction::Warn : BudgetAction::Block;
            g.updatedAt = r->value(6).toLongLong();
            state->groups.insert(g.id, g);
        }
    }
    {
        auto r = runSql(db, QStringLiteral("SELECT id, email, name, status, policy, private_project_id, created_at,"
                                           " updated_at FROM users WHERE org_id = ?"),
                        {state->org.id});
        if (!r.ok())
            return r.error();
        state->users.reserve(1024);
        while (r->next()) {
            User u;
            u.id = r->value(0).toLongLong();
            u.orgId = state->org.id;
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
            state->usersByEmail.insert(emailKey(u.email), u.id);
            state->users.insert(u.id, std::move(u));
        }
    }
    {
        auto r = runSql(db, QStringLiteral("SELECT m.group_id, m.user_id FROM group_members m"
                                           " JOIN org_groups g ON g.id = m.group_id WHERE g.org_id = ?"
                                           " ORDER BY m.user_id, m.group_id"),
                        {state->org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            const Id gid = r->value(0).toLongLong();
            const Id uid = r->value(1).toLongLong();
            state->members[gid].insert(uid);
            auto it = state->users.find(uid);
            if (it != state->users.end())
                it->groupIds.append(gid);
        }
    }
    {
        auto r = runSql(db, QStringLiteral("SELECT id, name, kind, owner_user_id, monthly_limit, updated_at"
                                           " FROM projects WHERE org_id = ?"),
                        {state->org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            Project p;
            p.id = r->value(0).toLongLong();
            p.orgId = state->org.id;
            p.name = r->value(1).toString();
            p.kind = r->value(2).toString() == QLatin1String("private") ? ProjectKind::Private : ProjectKind::Shared;
            p.ownerUserId = r->value(3).toLongLong();
            p.monthlyLimit = optionalInt(r->value(4));
            p.updatedAt = r->value(5).toLongLong();
            state->projects.insert(p.id, p);
        }
    }
    {
        auto r = runSql(db, QStringLiteral("SELECT id, project_id, holder_user_id, name, prefix, secret_hash, features,"
                                           " allowed_models, monthly_cap, expires_at, status, last_used_at, created_at,"
                                           " updated_at FROM api_keys WHERE org_id = ?"),
                        {state->org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            ApiKey k;
            k.id = r->value(0).toLongLong();
            k.orgId = state->org.id;
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
            state->keysByHash.insert(k.hash, k.id);
            state->keys.insert(k.id, k);
        }
        auto g = runSql(db, QStringLiteral("SELECT key_id, group_id FROM api_key_groups ORDER BY key_id, group_id"));
        if (!g.ok())
            return g.error();
        while (g->next()) {
            auto it = state->keys.find(g->value(0).toLongLong());
            if (it != state->keys.end())
                it->groupIds.append(g->value(1).toLongLong());
        }
    }
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
            state->providers.insert(p.id, p);
        }
    }
    {
        auto r = runSql(db, QStringLiteral("SELECT id, provider_id, upstream_name, tier, input_price,"
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
            state->models.insert(m.id, m);
        }
    }
    {
        auto r = runSql(db, QStringLiteral("SELECT id, identifier, name, email, rate_limit_rpm, budget_duration,"
                                           " period_start, period_end, period_budget, total_budget, markup_bp,"
                                           " updated_at FROM customers WHERE org_id = ?"),
                        {state->org.id});
        if (!r.ok())
            return r.error();
        while (r->next()) {
            Customer c;
            c.id = r->value(0).toLongLong();
            c.orgId = state->org.id;
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
            state->customersByIdentifier.insert(c.identifier, c.id);
            state->customers.insert(c.id, c);
        }
    }
    {
        StateWrite lock(*this);
        m_state = std::move(state);
    }
    qCDebug(lcService) << "loaded" << m_state->users.size() << "users in" << timer.elapsed() << "ms";
    return {};
}

Status Service::audit(QSqlDatabase& tx, const QString& actor, const QString& entity, const QString& entityId,
                      const QString& action, const QString& before, const QString& after) const
{
    auto r = runSql(tx,
                    QStringLiteral("INSERT INTO audit_log (ts, actor, entity, entity_id, action, before_json,"
                                   " after_json) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                    {m_clock.now(), actor.isEmpty() ? QStringLiteral("system") : actor, entity,
                     entityId.isNull() ? QStringLiteral("") : entityId, action,
                     before.isNull() ? QVariant() : QVariant(before), after.isNull() ? QVariant() : QVariant(after)});
    return r.ok() ? Status() : Status(r.error());
}

QList<AuditEntry> Service::auditLog(const AuditFilter& filter) const
{
    QString sql = QStringLiteral("SELECT id, ts, actor, entity, entity_id, action, before_json, after_json"
                                 " FROM audit_log WHERE 1 = 1");
    QVariantList args;
    if (!filter.actor.isEmpty()) {
        sql += QStringLiteral(" AND actor = ?");
        args << filter.actor;
    }
    if (!filter.entity.isEmpty()) {
        sql += QStringLiteral(" AND entity = ?");
        args << filter.entity;
    }
    if (!filter.entityId.isEmpty()) {
        sql += QStringLiteral(" AND entity_id = ?");
        args << filter.entityId;
    }
    if (filter.from) {
        sql += QStringLiteral(" AND ts >= ?");
        args << filter.from;
    }
    if (filter.to) {
        sql += QStringLiteral(" AND ts < ?");
        args << filter.to;
    }
    if (filter.beforeId) {
        sql += QStringLiteral(" AND id < ?");
        args << filter.beforeId;
    }
    sql += QStringLiteral(" ORDER BY id DESC LIMIT ?");
    args << std::clamp(filter.limit, 1, 10'000);
    QList<AuditEntry> out;
    auto r = runSql(m_db->connection(), sql, args);
    if (!r.ok())
        return out;
    while (r->next()) {
        AuditEntry e;
        e.id = r->value(0).toLongLong();
        e.time = r->value(1).toLongLong();
        e.actor = r->value(2).toString();
        e.entity = r->value(3).toString();
        e.entityId = r->value(4).toString();
        e.action = r->value(5).toString();
        e.before = r->value(6).toString();
        e.after = r->value(7).toString();
        out.append(e);
    }
    return out;
}

Organization Service::organization() const
{
    std::shared_lock lock(m_stateLock);
    return m_state->org;
}

Result<Organization> Service::updateOrganization(const Organization& changed, const QString& actor)
{
    std::unique_lock writeLock(m_db->writeLock());
    const Organization before = organization();
    if (changed.updatedAt && changed.updatedAt != before.updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the organization was changed by someone else; reload"));
    if (auto s = validate::name(changed.name, QStringLiteral("name")); !s.ok())
        return s.error();
    if (auto s = validate::timezone(changed.timezone, QStringLiteral("timezone")); !s.ok())
        return s.error();
    if (auto s = validate::moneyLimit(changed.monthlyBudget, QStringLiteral("monthlyBudget")); !s.ok())
        return s.error();
    if (auto s = validate::moneyLimit(changed.defaultUserMonthlyLimit, QStringLiteral("defaultUserMonthlyLimit"));
        !s.ok())
        return s.error();
    if (auto s = validate::policy(
            changed.defaultPolicy, QStringLiteral("defaultPolicy"), [this](const QString& m) { return modelExists(m); },
            false);
        !s.ok())
        return s.error();
    Organization after = changed;
    after.id = before.id;
    after.updatedAt = std::max(m_clock.now(), before.updatedAt + 1);
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        auto r = runSql(tx,
                        QStringLiteral("UPDATE organizations SET name = ?, timezone = ?, default_policy = ?,"
                                       " monthly_budget = ?, allow_reduction = ?, default_user_monthly_limit = ?,"
                                       " updated_at = ? WHERE id = ?"),
                        {after.name, after.timezone, codec::policyText(after.defaultPolicy),
                         nullable(after.monthlyBudget), after.allowMaxTokensReduction ? 1 : 0,
                         nullable(after.defaultUserMonthlyLimit), after.updatedAt, after.id});
        if (!r.ok())
            return r.error();
        return audit(tx, actor, QStringLiteral("organization"), idText(after.id), QStringLiteral("update"),
                     codec::compact(codec::toJson(before)), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    {
        StateWrite lock(*this);
        if (after.timezone != before.timezone)
            m_state->calendar = std::make_unique<Calendar>(QTimeZone(after.timezone.toUtf8()));
        m_state->org = after;
    }
    if (after.timezone != before.timezone) {
        writeLock.unlock();
        // Reports bucket days in the new zone: the rollups are recomputed.
        if (Status rebuilt = rebuildRollups(); !rebuilt.ok())
            return rebuilt.error();
    }
    return after;
}

QByteArray Service::hashSecret(const QString& secret)
{
    return QCryptographicHash::hash(secret.toUtf8(), QCryptographicHash::Sha256);
}

Status Service::clearOrganizationData(const QString& actor)
{
    {
        std::lock_guard writeLock(m_db->writeLock());
        const Id orgId = organization().id;
        Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
            for (const char* sql :
                 {"DELETE FROM api_key_groups", "DELETE FROM api_keys", "DELETE FROM group_members",
                  "UPDATE org_groups SET parent_id = NULL", "DELETE FROM org_groups", "DELETE FROM projects",
                  "DELETE FROM users", "DELETE FROM customers", "DELETE FROM usage_records", "DELETE FROM usage_rollups"}) {
                if (auto r = runSql(tx, QString::fromLatin1(sql)); !r.ok())
                    return r.error();
            }
            return audit(tx, actor, QStringLiteral("organization"), idText(orgId), QStringLiteral("clear"), {}, {});
        });
        if (!s.ok())
            return s;
    }
    // Counters hold the usage that was just deleted: start over with a fresh ledger.
    m_ledger = std::make_unique<Ledger>(
        m_clock, [this](const CounterKey& key, const Window& window) { return loadCounter(key, window); });
    return load();
}

bool Service::modelExists(const QString& id) const
{
    std::shared_lock lock(m_stateLock);
    return m_state->models.contains(id);
}

} // namespace tollgate
