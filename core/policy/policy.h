#pragma once

#include <QList>
#include <QSet>
#include <QString>

#include <array>
#include <functional>
#include <span>

namespace tollgate {

// The numeric dimensions a policy can limit. Money dimensions are in nano-dollars (see money.h).
enum class Dimension : quint8 {
    DailyCost,
    MonthlyCost,
    DailyTokens,
    MonthlyTokens,
    RequestsPerMinute,
    RequestsPerHour,
    RequestsPerDay,
    MaxTier,
};
inline constexpr int kDimensionCount = 8;
inline constexpr std::array kAllDimensions {
    Dimension::DailyCost,         Dimension::MonthlyCost,     Dimension::DailyTokens,    Dimension::MonthlyTokens,
    Dimension::RequestsPerMinute, Dimension::RequestsPerHour, Dimension::RequestsPerDay, Dimension::MaxTier};

QString dimensionName(Dimension d); // stable API name: "monthlyCostLimit", "requestsPerMinute", ...
QString dimensionLabel(Dimension d); // translated, for people

bool isCostDimension(Dimension d); // covered by the "bypass cost limits" flag (money and token budgets)
bool isRateDimension(Dimension d); // covered by the "bypass rate limits" flag

// One numeric setting: not set (inherit), explicitly unlimited (an override that lifts a limit), or a value.
struct Limit
{
    enum class State : quint8 { Unset, Unlimited, Value };
    State state = State::Unset;
    qint64 value = 0;

    static Limit unset() { return {}; }
    static Limit unlimited() { return {State::Unlimited, 0}; }
    static Limit of(qint64 v) { return {State::Value, v}; }
    bool isSet() const { return state != State::Unset; }
    bool isLimited() const { return state == State::Value; }
    friend bool operator==(const Limit&, const Limit&) = default;
};

// A list of model ids: not set (inherit), any model, or exactly these.
struct ModelRule
{
    enum class State : quint8 { Unset, Any, List };
    State state = State::Unset;
    QSet<QString> models;

    static ModelRule unset() { return {}; }
    static ModelRule any() { return {State::Any, {}}; }
    static ModelRule list(QSet<QString> m) { return {State::List, std::move(m)}; }
    bool isSet() const { return state != State::Unset; }
    friend bool operator==(const ModelRule&, const ModelRule&) = default;
};

// The settings of one level: organization default, a group, or a user's override.
struct PolicySettings
{
    std::array<Limit, kDimensionCount> limits {};
    ModelRule allowedModels;
    ModelRule blockedModels; // Any is treated as "none blocked"
    // Only a user's override may carry these.
    bool bypassCostLimits = false;
    bool bypassRateLimits = false;
    bool bypassModelRestrictions = false;
    QString notes;

    Limit& operator[](Dimension d) { return limits[size_t(d)]; }
    const Limit& operator[](Dimension d) const { return limits[size_t(d)]; }
    bool isEmpty() const;
    friend bool operator==(const PolicySettings&, const PolicySettings&) = default;
};

// Where an effective value came from.
struct PolicySource
{
    enum class Level : quint8 {
        None, // nothing set anywhere: no limit
        Bypass, // the user's bypass flag lifts it
        User, // the user's override
        Group, // a group's own setting, or one inherited from its parent (entityId names the group that set it)
        Organization, // the organization default
        // Caps of a scope other than the user's policy: set on the scope itself (entityId names it).
        Key,
        Project,
        Customer,
    };
    Level level = Level::None;
    qint64 entityId = 0;
    QString entityName;
    // For Group: the group through which the user got the value, when it was inherited from an ancestor.
    qint64 viaGroupId = 0;
    QString viaGroupName;

    QString describe() const; // "group Backend (inherited from Engineering)", translated
    friend bool operator==(const PolicySource&, const PolicySource&) = default;
};
// "none", "bypass", "user", "group", "organization", "key", "project", "customer"
QString policyLevelName(PolicySource::Level level);

struct ResolvedLimit
{
    Limit value; // Unlimited or Value, never Unset
    PolicySource source;
};

struct ResolvedModels
{
    ModelRule rule; // allowed: Any or List; blocked: List (possibly empty)
    QList<PolicySource> sources;
};

struct EffectivePolicy
{
    std::array<ResolvedLimit, kDimensionCount> limits {};
    ResolvedModels allowedModels;
    ResolvedModels blockedModels;
    bool bypassCostLimits = false;
    bool bypassRateLimits = false;
    bool bypassModelRestrictions = false;

    const ResolvedLimit& operator[](Dimension d) const { return limits[size_t(d)]; }
};

// What the resolver needs to know about one group.
struct GroupPolicyNode
{
    qint64 id = 0;
    qint64 parentId = 0; // 0: top-level
    QString name;
    const PolicySettings* settings = nullptr; // may be null: the group sets nothing
};

struct PolicyInputs
{
    qint64 orgId = 0;
    QString orgName;
    const PolicySettings* orgDefault = nullptr;
    qint64 userId = 0;
    QString userName;
    const PolicySettings* userOverride = nullptr;
    std::span<const qint64> groupIds; // the user's direct groups
    std::function<const GroupPolicyNode*(qint64)> group; // lookup by id, null when unknown
};

// docs/design.md "Policy semantics", the five steps, for each dimension:
//  1. a bypass flag covering the dimension: not subject to it at any level;
//  2. else the user's override, if set;
//  3. else, in groups: each group's own value, else its nearest ancestor's, else the organization default;
//     the most restrictive of those (numbers: smallest; allowed: intersection; blocked: union);
//  4. else the organization default;
//  5. else no limit.
EffectivePolicy resolvePolicy(const PolicyInputs& in);

// Model access under an effective policy.
struct ModelVerdict
{
    bool allowed = true;
    QString reason; // translated, empty when allowed
    PolicySource source; // the level whose rule refused it
};
ModelVerdict checkModel(const EffectivePolicy& policy, const QString& modelId, int tier);

} // namespace tollgate
