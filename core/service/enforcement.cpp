// Service: policy resolution, admission and settlement.

#include "service/service.h"
#include "service/state.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSqlError>

#include <unordered_map>

Q_LOGGING_CATEGORY(lcEnforcement, "tollgate.core.enforcement", QtInfoMsg)

namespace tollgate {

namespace {

QString tr(const char* s) { return QCoreApplication::translate("tollgate::Service", s); }

struct DimensionCounter
{
    Dimension dimension;
    Metric metric;
    WindowKind window;
};

constexpr DimensionCounter kPolicyCounters[] = {
    {Dimension::DailyCost, Metric::Cost, WindowKind::Day},
    {Dimension::MonthlyCost, Metric::Cost, WindowKind::Month},
    {Dimension::DailyTokens, Metric::Tokens, WindowKind::Day},
    {Dimension::MonthlyTokens, Metric::Tokens, WindowKind::Month},
    {Dimension::RequestsPerMinute, Metric::Requests, WindowKind::Minute},
    {Dimension::RequestsPerHour, Metric::Requests, WindowKind::Hour},
    {Dimension::RequestsPerDay, Metric::Requests, WindowKind::Day},
};

} // namespace

EffectivePolicy Service::effectivePolicyLocked(const User& user, const PolicyEdit* edit) const
{
    using Level = PolicyEdit::Level;
    PolicyInputs in;
    in.orgId = m_state->org.id;
    in.orgName = m_state->org.name;
    in.orgDefault = edit && edit->level == Level::Organization ? &edit->settings : &m_state->org.defaultPolicy;
    in.userId = user.id;
    in.userName = user.name;
    in.userOverride = edit && edit->level == Level::User ? &edit->settings
                    : user.policyOverride                ? &*user.policyOverride
                                                         : nullptr;
    in.groupIds = std::span<const qint64>(user.groupIds.constData(), size_t(user.groupIds.size()));
    // The node lives in a small per-call cache so the pointers stay valid while the resolver walks parents.
    std::unordered_map<Id, GroupPolicyNode> nodes; // node-based: pointers stay valid
    in.group = [this, &nodes, edit](qint64 id) -> const GroupPolicyNode* {
        auto cached = nodes.find(id);
        if (cached != nodes.end())
            return &cached->second;
        auto it = m_state->groups.constFind(id);
        if (it == m_state->groups.cend())
            return nullptr;
        const PolicySettings* settings = edit && edit->level == Level::Group && edit->id == id ? &edit->settings
                                       : it->settings                                           ? &*it->settings
                                                                                                : nullptr;
        return &nodes.try_emplace(id, GroupPolicyNode {it->id, it->parentId, it->name, settings}).first->second;
    };
    return resolvePolicy(in);
}

EffectivePolicy Service::previewPolicy(const PolicyEdit& edit) const
{
    std::shared_lock lock(m_stateLock);
    User subject;
    if (edit.level == PolicyEdit::Level::User) {
        subject = m_state->users.value(edit.id);
    } else if (edit.level == PolicyEdit::Level::Group) {
        subject.name = m_state->groups.value(edit.id).name;
        subject.groupIds = {edit.id};
    }
    return effectivePolicyLocked(subject, &edit);
}

EffectivePolicy Service::effectivePolicy(Id userId) const
{
    std::shared_lock lock(m_stateLock);
    auto it = m_state->users.constFind(userId);
    if (it == m_state->users.cend())
        return {};
    return effectivePolicyLocked(*it);
}

QHash<Id, qint64> Service::effectiveLimits(Dimension dimension) const
{
    std::shared_lock lock(m_stateLock);
    QHash<Id, qint64> out;
    QHash<QList<Id>, Limit> byGroups; // users without an override resolve alike when their groups are alike
    for (const User& u : std::as_const(m_state->users)) {
        Limit limit;
        if (u.policyOverride) {
            limit = effectivePolicyLocked(u)[dimension].value;
        } else {
            auto it = byGroups.constFind(u.groupIds);
            if (it == byGroups.cend())
                it = byGroups.insert(u.groupIds, effectivePolicyLocked(u)[dimension].value);
            limit = *it;
        }
        if (limit.isLimited())
            out.insert(u.id, limit.value);
    }
    return out;
}

QList<LimitCheck> Service::limitsFor(const RequestScope& scope, const EffectivePolicy& policy,
                                     const QList<Id>& groups) const
{
    const Instant now = m_clock.now();
    const Calendar& cal = *m_state->calendar;
    QList<LimitCheck> checks;
    auto add = [&](ScopeKind kind, Id id, QString name, Metric metric, Window window, qint64 limit, QString setting,
                   PolicySource source, bool enforce = true) {
        LimitCheck c;
        c.scope = kind;
        c.scopeId = id;
        c.scopeName = std::move(name);
        c.metric = metric;
        c.window = window;
        c.limit = limit;
        c.setting = std::move(setting);
        c.source = std::move(source);
        c.enforce = enforce;
        checks.append(std::move(c));
    };
    auto entity = [](PolicySource::Level level, Id id, const QString& name) {
        return PolicySource {level, id, name, 0, {}};
    };

    const User* user = nullptr;
    if (scope.userId) {
        auto it = m_state->users.constFind(scope.userId);
        if (it != m_state->users.cend())
            user = &*it;
    }
    if (user) {
        for (const DimensionCounter& dc : kPolicyCounters) {
            const ResolvedLimit& r = policy[dc.dimension];
            if (r.value.isLimited())
                add(ScopeKind::User, user->id, user->name, dc.metric, cal.window(dc.window, now), r.value.value,
                    dimensionName(dc.dimension), r.source);
        }
    }
    const ApiKey* key = nullptr;
    if (scope.keyId) {
        auto it = m_state->keys.constFind(scope.keyId);
        if (it != m_state->keys.cend())
            key = &*it;
    }
    if (key && key->monthlyCap)
        add(ScopeKind::Key, key->id, key->name, Metric::Cost, cal.window(WindowKind::Month, now), *key->monthlyCap,
            QStringLiteral("keyMonthlyCap"), entity(PolicySource::Level::None, key->id, key->name));
    if (key) {
        auto p = m_state->projects.constFind(key->projectId);
        if (p != m_state->projects.cend() && p->monthlyLimit)
            add(ScopeKind::Project, p->id, p->name, Metric::Cost, cal.window(WindowKind::Month, now), *p->monthlyLimit,
                QStringLiteral("projectMonthlyLimit"), entity(PolicySource::Level::None, p->id, p->name));
    }
    if (user) {
        // A group's aggregate budget covers its subgroups' members too: each group the request counts for.
        for (Id g : groups) {
            const Group& group = m_state->groups[g];
            if (group.monthlyBudget)
                add(ScopeKind::Group, group.id, group.name, Metric::Cost, cal.window(WindowKind::Month, now),
                    *group.monthlyBudget, QStringLiteral("groupMonthlyBudget"),
                    entity(PolicySource::Level::Group, group.id, group.name),
                    group.budgetAction == BudgetAction::Block);
        }
    }
    const Organization& org = m_state->org;
    if (org.monthlyBudget)
        add(ScopeKind::Organization, org.id, org.name, Metric::Cost, cal.window(WindowKind::Month, now),
            *org.monthlyBudget, QStringLiteral("organizationMonthlyBudget"),
            entity(PolicySource::Level::Organization, org.id, org.name));
    if (scope.customerId) {
        auto it = m_state->customers.constFind(scope.customerId);
        if (it != m_state->customers.cend()) {
            const Customer& c = *it;
            const QString name = c.name.isEmpty() ? c.identifier : c.name;
            const PolicySource src = entity(PolicySource::Level::None, c.id, name);
            if (c.rateLimitPerMinute)
                add(ScopeKind::Customer, c.id, name, Metric::Requests, cal.window(WindowKind::Minute, now),
                    *c.rateLimitPerMinute, QStringLiteral("customerRateLimit"), src);
            if (c.periodBudget) {
                std::optional<Window> w;
                switch (c.budgetDuration) {
                case BudgetDuration::Daily: w = cal.window(WindowKind::Day, now); break;
                case BudgetDuration::Weekly: w = cal.window(WindowKind::Week, now); break;
                case BudgetDuration::Monthly: w = cal.window(WindowKind::Month, now); break;
                case BudgetDuration::Yearly: w = cal.window(WindowKind::Year, now); break;
                case BudgetDuration::Custom:
                    // Outside its custom period a customer has no period budget in force.
                    if (now >= c.periodStart && now < c.periodEnd)
                        w = Calendar::customWindow(c.periodStart, c.periodEnd);
                    break;
                case BudgetDuration::None: break;
                }
                if (w)
                    add(ScopeKind::Customer, c.id, name, Metric::Cost, *w, *c.periodBudget,
                        QStringLiteral("customerPeriodBudget"), src);
            }
            if (c.totalBudget)
                add(ScopeKind::Customer, c.id, name, Metric::Cost, Window {WindowKind::Lifetime, 0, kEndOfTime},
                    *c.totalBudget, QStringLiteral("customerTotalBudget"), src);
        }
    }
    return checks;
}

Preflight Service::preflight(const RequestScope& scope) const
{
    // The same principal, key, customer and model resolve the same way until the organisation changes (revision) or
    // the first of their limit windows ends: the gateway resolves each combination once, not per request.
    const PreflightKey key {scope.keyId, scope.userId, scope.customerId, scope.model};
    const quint64 revision = m_revision.load(std::memory_order_acquire); // before the state it describes is read
    const Instant now = m_clock.now();
    {
        std::shared_lock lock(m_preflightLock);
        auto it = m_preflights.constFind(key);
        if (it != m_preflights.cend() && it->revision == revision && now < it->validUntil && now >= it->validFrom)
            return it->preflight;
    }
    Preflight p = resolvePreflight(scope);
    Instant validUntil = kEndOfTime;
    for (const LimitCheck& c : std::as_const(p.checks))
        validUntil = std::min(validUntil, c.window.end);
    std::unique_lock lock(m_preflightLock);
    if (m_preflights.size() >= 50'000)
        m_preflights.clear(); // many principals: start over rather than grow without bound
    m_preflights.insert(key, {revision, now, validUntil, p});
    return p;
}

Preflight Service::resolvePreflight(const RequestScope& scope) const
{
    Preflight p;
    std::shared_lock lock(m_stateLock);
    // What the request counts for, whatever is decided below (a refusal is recorded too).
    if (auto it = m_state->users.constFind(scope.userId); scope.userId && it != m_state->users.cend())
        p.groups = groupsOfUserLocked(*it);
    auto deny = [&p](QString code, QString reason, PolicySource source = {}) {
        p.allowed = false;
        p.code = std::move(code);
        p.reason = std::move(reason);
        p.source = std::move(source);
    };
    auto model = m_state->models.constFind(scope.model);
    if (model == m_state->models.cend()) {
        deny(QStringLiteral("model_not_found"), tr("model %1 is not in the catalog").arg(scope.model));
        return p;
    }
    p.model = *model;
    const User* user = nullptr;
    if (scope.userId) {
        auto it = m_state->users.constFind(scope.userId);
        if (it == m_state->users.cend()) {
            deny(QStringLiteral("user_not_found"), tr("user %1 does not exist").arg(scope.userId));
            return p;
        }
        user = &*it;
        p.policy = effectivePolicyLocked(*user);
    }
    if (!model->approved) {
        deny(QStringLiteral("model_not_approved"), tr("model %1 is not approved for use").arg(scope.model));
        return p;
    }
    if (user && user->status != UserStatus::Active) {
        deny(QStringLiteral("user_inactive"), tr("user %1 is inactive").arg(user->name),
             PolicySource {PolicySource::Level::User, user->id, user->name, 0, {}});
        return p;
    }
    if (scope.keyId) {
        auto key = m_state->keys.constFind(scope.keyId);
        if (key != m_state->keys.cend() && key->allowedModels.state == ModelRule::State::List
            && !key->allowedModels.models.contains(scope.model)) {
            deny(QStringLiteral("key_model_not_allowed"),
                 tr("model %1 is not among the models allowed for the API key %2").arg(scope.model, key->prefix));
            return p;
        }
    }
    if (user) {
        const ModelVerdict v = checkModel(p.policy, scope.model, model->tier);
        if (!v.allowed) {
            deny(QStringLiteral("model_not_allowed"), v.reason, v.source);
            return p;
        }
    }
    p.checks = limitsFor(scope, p.policy, p.groups);
    return p;
}

Decision Service::admit(const RequestScope& scope, const AdmissionAmounts& amounts, Preflight* preflightOut)
{
    Preflight p = preflight(scope);
    Decision d;
    if (p.allowed)
        d = m_ledger->admit(std::move(p.checks), amounts);
    if (preflightOut)
        *preflightOut = std::move(p);
    return d;
}

Decision Service::explain(const RequestScope& scope, const AdmissionAmounts& amounts, Preflight* preflightOut)
{
    Preflight p = preflight(scope);
    Decision d;
    if (p.allowed)
        d = m_ledger->explain(p.checks, amounts);
    if (preflightOut)
        *preflightOut = std::move(p);
    return d;
}

Status Service::settle(Decision& decision, UsageRecord record)
{
    if (!record.orgId)
        record.orgId = organization().id;
    // Durable first: the record is committed before the caller sends the last byte of the response.
    Status s = recordUsage({record});
    m_ledger->settle(decision.reservation, record.cost, record.inputTokens + record.outputTokens);
    return s;
}

QList<Id> Service::groupsOfUser(Id userId) const
{
    std::shared_lock lock(m_stateLock);
    auto it = m_state->users.constFind(userId);
    return it == m_state->users.cend() ? QList<Id>() : groupsOfUserLocked(*it);
}

QList<Id> Service::groupsOfUserLocked(const User& user) const
{
    QList<Id> out;
    for (Id gid : user.groupIds)
        for (Id g = gid; g && !out.contains(g); g = m_state->groups.value(g).parentId)
            out.append(g);
    std::sort(out.begin(), out.end());
    return out;
}

QList<Id> Service::groupTree(Id groupId) const
{
    std::shared_lock lock(m_stateLock);
    QHash<Id, QList<Id>> children;
    for (const Group& g : std::as_const(m_state->groups))
        if (g.parentId)
            children[g.parentId].append(g.id);
    QList<Id> tree {groupId};
    for (qsizetype i = 0; i < tree.size(); ++i)
        for (Id child : children.value(tree[i]))
            if (!tree.contains(child))
                tree.append(child);
    return tree;
}

std::optional<qint64> Service::loadCounter(const CounterKey& key, const Window& window) const
{
    QString column;
    QVariantList args;
    switch (key.scope) {
    case ScopeKind::User: column = QStringLiteral("user_id = ?"); args << key.scopeId; break;
    case ScopeKind::Key: column = QStringLiteral("key_id = ?"); args << key.scopeId; break;
    case ScopeKind::Project: column = QStringLiteral("project_id = ?"); args << key.scopeId; break;
    case ScopeKind::Customer: column = QStringLiteral("customer_id = ?"); args << key.scopeId; break;
    case ScopeKind::Organization: column = QStringLiteral("org_id = ?"); args << key.scopeId; break;
    case ScopeKind::Group:
        // What counted for the group when it was made (its subgroups' members included), as the ledger counts it.
        column = QStringLiteral("group_ids LIKE ?");
        args << QStringLiteral("%,%1,%").arg(key.scopeId);
        break;
    }
    const QString measure = key.metric == Metric::Cost     ? QStringLiteral("COALESCE(SUM(cost), 0)")
                          : key.metric == Metric::Tokens ? QStringLiteral("COALESCE(SUM(input_tokens + output_tokens), 0)")
                                                         : QStringLiteral("COUNT(*)");
    args << window.start << window.end;
    auto r = runSql(m_db->connection(),
                    QStringLiteral("SELECT %1 FROM usage_records WHERE %2 AND ts >= ? AND ts < ? AND status <> 'denied'")
                        .arg(measure, column),
                    args);
    if (!r.ok()) {
        // Admission fails closed on this (Ledger::Loader): the limit is not checked against a counter of zero.
        qCWarning(lcEnforcement).noquote() << "cannot read the usage recorded for" << scopeKindName(key.scope)
                                           << key.scopeId << "in its window:" << r.error().message;
        return std::nullopt;
    }
    if (!r->next()) {
        qCWarning(lcEnforcement).noquote() << "cannot read the usage recorded for" << scopeKindName(key.scope)
                                           << key.scopeId << "in its window: no row";
        return std::nullopt;
    }
    return r->value(0).toLongLong();
}

} // namespace tollgate
