#include "core/policy/policy.h"

#include <QCoreApplication>

namespace tollgate {

namespace {

// Labels and sources as the console shows them (translated there; `tollgate serve` speaks English).
class Policy
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Policy)
};

constexpr int kMaxGroupDepth = 64; // guards against a cycle that slipped past validation

// Smaller is more restrictive; Unlimited is the least restrictive of all.
bool moreRestrictive(const Limit& a, const Limit& b)
{
    if (a.state != Limit::State::Value)
        return false;
    if (b.state != Limit::State::Value)
        return true;
    return a.value < b.value;
}

// Step 3 for one group: its own value, else its nearest ancestor's, else the organization default, else none.
template<typename Pick>
auto groupValue(const PolicyInputs& in, qint64 groupId, Pick pick)
    -> std::pair<decltype(pick(PolicySettings())), PolicySource>
{
    using V = decltype(pick(PolicySettings()));
    const GroupPolicyNode* direct = in.group ? in.group(groupId) : nullptr;
    const GroupPolicyNode* node = direct;
    for (int depth = 0; node && depth < kMaxGroupDepth; ++depth) {
        if (node->settings) {
            V v = pick(*node->settings);
            if (v.isSet()) {
                PolicySource src {PolicySource::Level::Group, node->id, node->name, 0, {}};
                if (node != direct) {
                    src.viaGroupId = direct->id;
                    src.viaGroupName = direct->name;
                }
                return {std::move(v), std::move(src)};
            }
        }
        node = node->parentId ? in.group(node->parentId) : nullptr;
    }
    if (in.orgDefault) {
        V v = pick(*in.orgDefault);
        if (v.isSet())
            return {std::move(v), PolicySource {PolicySource::Level::Organization, in.orgId, in.orgName, 0, {}}};
    }
    return {V {}, PolicySource {}};
}

PolicySource userSource(const PolicyInputs& in, PolicySource::Level level)
{
    return PolicySource {level, in.userId, in.userName, 0, {}};
}

ResolvedLimit resolveLimit(const PolicyInputs& in, Dimension d, bool bypassed)
{
    if (bypassed)
        return {Limit::unlimited(), userSource(in, PolicySource::Level::Bypass)};
    if (in.userOverride && (*in.userOverride)[d].isSet())
        return {(*in.userOverride)[d], userSource(in, PolicySource::Level::User)};

    auto pick = [d](const PolicySettings& s) { return s[d]; };
    if (!in.groupIds.empty()) {
        ResolvedLimit best {Limit::unlimited(), {}};
        bool first = true;
        for (qint64 gid : in.groupIds) {
            auto [v, src] = groupValue(in, gid, pick);
            if (!v.isSet())
                v = Limit::unlimited();
            if (first || moreRestrictive(v, best.value)) {
                best = {v, src};
                first = false;
            }
        }
        return best;
    }
    if (in.orgDefault && (*in.orgDefault)[d].isSet())
        return {(*in.orgDefault)[d], PolicySource {PolicySource::Level::Organization, in.orgId, in.orgName, 0, {}}};
    return {Limit::unlimited(), {}};
}

ResolvedModels resolveAllowed(const PolicyInputs& in, bool bypassed)
{
    if (bypassed)
        return {ModelRule::any(), {userSource(in, PolicySource::Level::Bypass)}};
    if (in.userOverride && in.userOverride->allowedModels.isSet())
        return {in.userOverride->allowedModels, {userSource(in, PolicySource::Level::User)}};
    auto pick = [](const PolicySettings& s) { return s.allowedModels; };
    if (!in.groupIds.empty()) {
        ResolvedModels out {ModelRule::any(), {}};
        for (qint64 gid : in.groupIds) {
            auto [rule, src] = groupValue(in, gid, pick);
            if (rule.state != ModelRule::State::List)
                continue; // any model: does not narrow the intersection
            if (out.rule.state == ModelRule::State::Any)
                out.rule = rule;
            else
                out.rule.models.intersect(rule.models);
            if (!out.sources.contains(src))
                out.sources.append(src);
        }
        return out;
    }
    if (in.orgDefault && in.orgDefault->allowedModels.isSet())
        return {in.orgDefault->allowedModels,
                {PolicySource {PolicySource::Level::Organization, in.orgId, in.orgName, 0, {}}}};
    return {ModelRule::any(), {}};
}

ResolvedModels resolveBlocked(const PolicyInputs& in, bool bypassed)
{
    if (bypassed)
        return {ModelRule::list({}), {userSource(in, PolicySource::Level::Bypass)}};
    auto normalize = [](ModelRule r) { return r.state == ModelRule::State::List ? r : ModelRule::list({}); };
    if (in.userOverride && in.userOverride->blockedModels.isSet())
        return {normalize(in.userOverride->blockedModels), {userSource(in, PolicySource::Level::User)}};
    auto pick = [](const PolicySettings& s) { return s.blockedModels; };
    if (!in.groupIds.empty()) {
        ResolvedModels out {ModelRule::list({}), {}};
        for (qint64 gid : in.groupIds) {
            auto [rule, src] = groupValue(in, gid, pick);
            if (rule.state != ModelRule::State::List || rule.models.isEmpty())
                continue;
            out.rule.models.unite(rule.models);
            if (!out.sources.contains(src))
                out.sources.append(src);
        }
        return out;
    }
    if (in.orgDefault && in.orgDefault->blockedModels.isSet())
        return {normalize(in.orgDefault->blockedModels),
                {PolicySource {PolicySource::Level::Organization, in.orgId, in.orgName, 0, {}}}};
    return {ModelRule::list({}), {}};
}

} // namespace

QString dimensionName(Dimension d)
{
    switch (d) {
    case Dimension::DailyCost: return QStringLiteral("dailyCostLimit");
    case Dimension::MonthlyCost: return QStringLiteral("monthlyCostLimit");
    case Dimension::DailyTokens: return QStringLiteral("dailyTokenLimit");
    case Dimension::MonthlyTokens: return QStringLiteral("monthlyTokenLimit");
    case Dimension::RequestsPerMinute: return QStringLiteral("requestsPerMinute");
    case Dimension::RequestsPerHour: return QStringLiteral("requestsPerHour");
    case Dimension::RequestsPerDay: return QStringLiteral("requestsPerDay");
    case Dimension::MaxTier: return QStringLiteral("maxTier");
    }
    return {};
}

QString dimensionLabel(Dimension d)
{
    switch (d) {
    case Dimension::DailyCost: return Policy::tr("Daily cost limit");
    case Dimension::MonthlyCost: return Policy::tr("Monthly cost limit");
    case Dimension::DailyTokens: return Policy::tr("Daily token limit");
    case Dimension::MonthlyTokens: return Policy::tr("Monthly token limit");
    case Dimension::RequestsPerMinute: return Policy::tr("Requests per minute");
    case Dimension::RequestsPerHour: return Policy::tr("Requests per hour");
    case Dimension::RequestsPerDay: return Policy::tr("Requests per day");
    case Dimension::MaxTier: return Policy::tr("Maximum model tier");
    }
    return {};
}

bool isCostDimension(Dimension d)
{
    return d == Dimension::DailyCost || d == Dimension::MonthlyCost || d == Dimension::DailyTokens
        || d == Dimension::MonthlyTokens;
}

bool isRateDimension(Dimension d)
{
    return d == Dimension::RequestsPerMinute || d == Dimension::RequestsPerHour || d == Dimension::RequestsPerDay;
}

bool PolicySettings::isEmpty() const
{
    for (const Limit& l : limits)
        if (l.isSet())
            return false;
    return !allowedModels.isSet() && !blockedModels.isSet() && !bypassCostLimits && !bypassRateLimits
        && !bypassModelRestrictions && notes.isEmpty();
}

QString policyLevelName(PolicySource::Level level)
{
    switch (level) {
    case PolicySource::Level::None: return QStringLiteral("none");
    case PolicySource::Level::Bypass: return QStringLiteral("bypass");
    case PolicySource::Level::User: return QStringLiteral("user");
    case PolicySource::Level::Group: return QStringLiteral("group");
    case PolicySource::Level::Organization: return QStringLiteral("organization");
    case PolicySource::Level::Key: return QStringLiteral("key");
    case PolicySource::Level::Project: return QStringLiteral("project");
    case PolicySource::Level::Customer: return QStringLiteral("customer");
    }
    return {};
}

QString PolicySource::describe() const
{
    switch (level) {
    case Level::None: return Policy::tr("not limited at any level");
    case Level::Bypass: return Policy::tr("bypassed for user %1").arg(entityName);
    case Level::User: return Policy::tr("user %1").arg(entityName);
    case Level::Group:
        if (viaGroupId)
            return Policy::tr("group %1 (inherited from %2)").arg(viaGroupName, entityName);
        return Policy::tr("group %1").arg(entityName);
    case Level::Organization: return Policy::tr("organization %1").arg(entityName);
    case Level::Key: return Policy::tr("API key %1").arg(entityName);
    case Level::Project: return Policy::tr("project %1").arg(entityName);
    case Level::Customer: return Policy::tr("customer %1").arg(entityName);
    }
    return {};
}

EffectivePolicy resolvePolicy(const PolicyInputs& in)
{
    const PolicySettings* o = in.userOverride;
    EffectivePolicy out;
    out.bypassCostLimits = o && o->bypassCostLimits;
    out.bypassRateLimits = o && o->bypassRateLimits;
    out.bypassModelRestrictions = o && o->bypassModelRestrictions;
    for (Dimension d : kAllDimensions) {
        const bool bypassed = (isCostDimension(d) && out.bypassCostLimits)
            || (isRateDimension(d) && out.bypassRateLimits) || (d == Dimension::MaxTier && out.bypassModelRestrictions);
        out.limits[size_t(d)] = resolveLimit(in, d, bypassed);
    }
    out.allowedModels = resolveAllowed(in, out.bypassModelRestrictions);
    out.blockedModels = resolveBlocked(in, out.bypassModelRestrictions);
    return out;
}

ModelVerdict checkModel(const EffectivePolicy& policy, const QString& modelId, int tier)
{
    if (policy.blockedModels.rule.models.contains(modelId)) {
        PolicySource src = policy.blockedModels.sources.value(0);
        return {false, Policy::tr("model %1 is blocked by %2").arg(modelId, src.describe()), src};
    }
    if (policy.allowedModels.rule.state == ModelRule::State::List
        && !policy.allowedModels.rule.models.contains(modelId)) {
        PolicySource src = policy.allowedModels.sources.value(0);
        return {false, Policy::tr("model %1 is not in the models allowed by %2").arg(modelId, src.describe()), src};
    }
    const ResolvedLimit& maxTier = policy[Dimension::MaxTier];
    if (maxTier.value.isLimited() && tier > maxTier.value.value) {
        return {false,
                Policy::tr("model %1 is tier %2, above the maximum tier %3 set by %4")
                    .arg(modelId)
                    .arg(tier)
                    .arg(maxTier.value.value)
                    .arg(maxTier.source.describe()),
                maxTier.source};
    }
    return {};
}

} // namespace tollgate
