// Enforcement: preflight, admission and settlement.

#include "core/enforcement/enforcement.h"

#include "core/directory/directory.h"
#include "core/org/orgstate.h"
#include "core/storage/database.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSqlError>

#include <unordered_map>

Q_LOGGING_CATEGORY(lcEnforcement, "tollgate.core.enforcement", QtInfoMsg)

namespace tollgate {

namespace {

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

Enforcement::Enforcement(const Database& db, const Clock& clock, const OrgState& org)
    : m_db(db)
    , m_clock(clock)
    , m_org(org)
{
    reset();
}

Enforcement::~Enforcement() = default;

void Enforcement::reset()
{
    Ledger::Loader loader = [this](const CounterKey& key, const Window& window) { return loadCounter(key, window); };
    m_shared = nullptr;
    m_ledger.reset();
    // TOLLGATE_LEDGER=local keeps the counters in memory on PostgreSQL too: for one instance alone on its database
    // (and the benchmark that compares the two).
    const bool local = qEnvironmentVariable("TOLLGATE_LEDGER") == u"local";
    if (m_db.dialect().kind == Dialect::Kind::PostgreSQL && !local) {
        // Every instance on the database counts in it (core/ledger/sharedledger.h).
        auto shared = std::make_unique<SharedLedger>(m_db, m_clock, std::move(loader));
        m_shared = shared.get();
        m_ledger = std::move(shared);
    } else {
        m_ledger = std::make_unique<LocalLedger>(m_clock, std::move(loader));
    }
    std::unique_lock lock(m_preflightLock);
    m_preflights.clear();
}

QList<LimitCheck> Enforcement::limitsFor(const Snapshot& s, const RequestScope& scope, const EffectivePolicy& policy,
                                         const QList<Id>& groups) const
{
    const Instant now = m_clock.now();
    const Calendar& cal = *s.calendar;
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
        const auto* it = s.users.get(scope.userId);
        if (it)
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
        const auto* it = s.keys.get(scope.keyId);
        if (it)
            key = &*it;
    }
    if (key && key->monthlyCap)
        add(ScopeKind::Key, key->id, key->name, Metric::Cost, cal.window(WindowKind::Month, now), *key->monthlyCap,
            QStringLiteral("keyMonthlyCap"), entity(PolicySource::Level::None, key->id, key->name));
    if (key) {
        const auto* p = s.projects.get(key->projectId);
        if (p && p->monthlyLimit)
            add(ScopeKind::Project, p->id, p->name, Metric::Cost, cal.window(WindowKind::Month, now), *p->monthlyLimit,
                QStringLiteral("projectMonthlyLimit"), entity(PolicySource::Level::None, p->id, p->name));
    }
    if (user) {
        // A group's aggregate budget covers its subgroups' members too: each group the request counts for.
        for (Id g : groups) {
            const Group& group = s.groups[g];
            if (group.monthlyBudget)
                add(ScopeKind::Group, group.id, group.name, Metric::Cost, cal.window(WindowKind::Month, now),
                    *group.monthlyBudget, QStringLiteral("groupMonthlyBudget"),
                    entity(PolicySource::Level::Group, group.id, group.name),
                    group.budgetAction == BudgetAction::Block);
        }
    }
    const Organization& org = s.org;
    if (org.monthlyBudget)
        add(ScopeKind::Organization, org.id, org.name, Metric::Cost, cal.window(WindowKind::Month, now),
            *org.monthlyBudget, QStringLiteral("organizationMonthlyBudget"),
            entity(PolicySource::Level::Organization, org.id, org.name));
    if (scope.customerId) {
        const auto* it = s.customers.get(scope.customerId);
        if (it) {
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

Preflight Enforcement::preflight(const RequestScope& scope) const { return preflight(*m_org.current(), scope); }

Preflight Enforcement::preflight(const Snapshot& s, const RequestScope& scope) const
{
    // The same principal, key, customer and model resolve the same way until the organisation changes (a new
    // snapshot) or the first of their limit windows ends: the gateway resolves each combination once, not per request.
    const PreflightKey key {scope.keyId, scope.userId, scope.customerId, scope.model};
    const Instant now = m_clock.now();
    {
        std::shared_lock lock(m_preflightLock);
        auto it = m_preflights.constFind(key);
        if (it != m_preflights.cend() && it->version == s.version && now < it->validUntil && now >= it->validFrom)
            return it->preflight;
    }
    Preflight p = resolve(s, scope);
    Instant validUntil = kEndOfTime;
    for (const LimitCheck& c : std::as_const(p.checks))
        validUntil = std::min(validUntil, c.window.end);
    std::unique_lock lock(m_preflightLock);
    if (m_preflights.size() >= 50'000)
        m_preflights.clear(); // many principals: start over rather than grow without bound
    m_preflights.insert(key, {s.version, now, validUntil, p});
    return p;
}

Preflight Enforcement::resolve(const Snapshot& s, const RequestScope& scope) const
{
    Preflight p;
    // What the request counts for, whatever is decided below (a refusal is recorded too).
    if (const auto* it = s.users.get(scope.userId); scope.userId && it)
        p.groups = s.groupsOf(*it);
    auto deny = [&p](QString code, QString reason, PolicySource source = {}) {
        p.allowed = false;
        p.code = std::move(code);
        p.reason = std::move(reason);
        p.source = std::move(source);
    };
    const ModelInfo* model = s.model(scope.model);
    if (!model) {
        deny(QStringLiteral("model_not_found"), tr("model %1 is not in the catalog").arg(scope.model));
        return p;
    }
    p.model = *model;
    const User* user = nullptr;
    if (scope.userId) {
        const auto* it = s.users.get(scope.userId);
        if (!it) {
            deny(QStringLiteral("user_not_found"), tr("user %1 does not exist").arg(scope.userId));
            return p;
        }
        user = &*it;
        p.policy = resolveUserPolicy(s, *user);
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
        const auto* key = s.keys.get(scope.keyId);
        if (key && key->allowedModels.state == ModelRule::State::List
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
    p.checks = limitsFor(s, scope, p.policy, p.groups);
    return p;
}

Decision Enforcement::admit(const RequestScope& scope, const AdmissionAmounts& amounts, Preflight* preflightOut)
{
    return admit(*m_org.current(), scope, amounts, preflightOut);
}

Decision Enforcement::admit(const Snapshot& s, const RequestScope& scope, const AdmissionAmounts& amounts,
                            Preflight* preflightOut)
{
    Preflight p = preflight(s, scope);
    Decision d;
    if (p.allowed)
        d = m_ledger->admit(std::move(p.checks), amounts);
    if (preflightOut)
        *preflightOut = std::move(p);
    return d;
}

Decision Enforcement::explain(const RequestScope& scope, const AdmissionAmounts& amounts, Preflight* preflightOut)
{
    Preflight p = preflight(scope);
    Decision d;
    if (p.allowed)
        d = m_ledger->explain(p.checks, amounts);
    if (preflightOut)
        *preflightOut = std::move(p);
    return d;
}

void Enforcement::settle(Decision& decision, UsageRecord& record)
{
    record.ledgerTicket = m_tickets.fetch_add(1, std::memory_order_relaxed) + 1;
    m_ledger->settle(decision.reservation, record.cost, record.inputTokens + record.outputTokens, record.ledgerTicket);
}

Status Enforcement::charge(QSqlDatabase& tx, const QList<UsageRecord>& records)
{
    return m_shared ? m_shared->charge(tx, records) : Status {};
}

void Enforcement::charged(const QList<UsageRecord>& records)
{
    if (m_shared)
        m_shared->charged(records);
}

std::optional<qint64> Enforcement::loadCounter(const CounterKey& key, const Window& window) const
{
    QString column;
    QVariantList args;
    switch (key.scope) {
    case ScopeKind::User:
        column = QStringLiteral("user_id = ?");
        args << key.scopeId;
        break;
    case ScopeKind::Key:
        column = QStringLiteral("key_id = ?");
        args << key.scopeId;
        break;
    case ScopeKind::Project:
        column = QStringLiteral("project_id = ?");
        args << key.scopeId;
        break;
    case ScopeKind::Customer:
        column = QStringLiteral("customer_id = ?");
        args << key.scopeId;
        break;
    case ScopeKind::Organization:
        column = QStringLiteral("org_id = ?");
        args << key.scopeId;
        break;
    case ScopeKind::Group:
        // What counted for the group when it was made (its subgroups' members included), as the ledger counts it.
        column = QStringLiteral("group_ids LIKE ?");
        args << QStringLiteral("%,%1,%").arg(key.scopeId);
        break;
    }
    const QString measure = key.metric == Metric::Cost ? QStringLiteral("COALESCE(SUM(cost), 0)")
        : key.metric == Metric::Tokens ? QStringLiteral("COALESCE(SUM(input_tokens + output_tokens), 0)")
                                       : QStringLiteral("COUNT(*)");
    args << window.start << window.end;
    auto r =
        runSql(m_db.connection(),
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
