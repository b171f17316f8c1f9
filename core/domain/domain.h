#pragma once

#include "core/domain/clock.h"
#include "core/domain/money.h"
#include "core/domain/window.h"
#include "core/policy/policy.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace tollgate {

using Id = qint64; // 0 means "none"

struct Organization
{
    Id id = 0;
    QString name;
    QString timezone = QStringLiteral("UTC"); // IANA id
    PolicySettings defaultPolicy;
    std::optional<Money> monthlyBudget;
    // A request whose estimate does not fit but whose binding limit still has room gets a lowered max_tokens.
    bool allowMaxTokensReduction = true;
    std::optional<Money> defaultUserMonthlyLimit; // set on users created from now on
    Instant updatedAt = 0;
};

enum class UserStatus : quint8 { Active, Inactive };

inline QString userStatusName(UserStatus s)
{
    return s == UserStatus::Active ? QStringLiteral("active") : QStringLiteral("inactive");
}

// An id as the text the audit log and the API use.
inline QString idText(Id id) { return QString::number(id); }

struct User
{
    Id id = 0;
    Id orgId = 0;
    QString email;
    QString name;
    UserStatus status = UserStatus::Active;
    QList<Id> groupIds; // sorted
    std::optional<PolicySettings> policyOverride;
    Id privateProjectId = 0;
    Instant createdAt = 0;
    Instant updatedAt = 0;
};

enum class BudgetAction : quint8 { Warn, Block };

struct Group
{
    Id id = 0;
    Id orgId = 0;
    QString name;
    Id parentId = 0;
    std::optional<PolicySettings> settings;
    std::optional<Money> monthlyBudget; // aggregate spend of all members
    BudgetAction budgetAction = BudgetAction::Block;
    Instant updatedAt = 0;
};

enum class ProjectKind : quint8 { Shared, Private };

struct Project
{
    Id id = 0;
    Id orgId = 0;
    QString name;
    ProjectKind kind = ProjectKind::Shared;
    Id ownerUserId = 0; // for private projects
    std::optional<Money> monthlyLimit;
    Instant updatedAt = 0;
};

enum class KeyStatus : quint8 { Active, Revoked };

inline constexpr char kCustomerLimitsFeature[] = "customer_limits";

struct ApiKey
{
    Id id = 0;
    Id orgId = 0;
    Id projectId = 0;
    Id holderUserId = 0; // 0: a service key
    QString name;
    QString prefix; // shown in lists: "tg-abc123"
    QByteArray hash; // SHA-256 of the whole secret
    QList<Id> groupIds; // members of these groups may use the key
    // The APIs it may call ("chat", "messages", "embeddings") and what else it may do: "customer_limits", set the
    // budgets, rate limit and markup of end customers through customer_params (off unless granted).
    QStringList features;
    ModelRule allowedModels; // Unset or Any: every model the principal may use
    std::optional<Money> monthlyCap;
    Instant expiresAt = 0; // 0: never
    KeyStatus status = KeyStatus::Active;
    Instant lastUsedAt = 0;
    Instant createdAt = 0;
    Instant updatedAt = 0;
};

enum class ProviderKind : quint8 { OpenAICompatible, Anthropic, Mock };
QString providerKindName(ProviderKind kind);
std::optional<ProviderKind> providerKindFromName(const QString& name);

// Where a provider's secret is kept at rest (core/secrets/vault.h); PlainText only in a database of an earlier
// version, until its first start with this one.
enum class SecretStorage : quint8 { None, Keychain, Encrypted, PlainText };
QString secretStorageName(SecretStorage s); // "none", "keychain", "encrypted", "plain_text"

struct Provider
{
    Id id = 0;
    QString name;
    ProviderKind kind = ProviderKind::Mock;
    QString baseUrl;
    QString secret; // write-only at every interface; in memory only, the database keeps it sealed
    SecretStorage secretStorage = SecretStorage::None;
    QString secretProblem; // why the stored secret could not be read (a keychain that does not answer), else empty
};

struct ModelInfo
{
    QString id; // as clients send it
    Id providerId = 0;
    QString upstreamName;
    int tier = 1; // 1 = cheapest
    // Nano-dollars per token == dollars per million tokens x 1000.
    Money inputPrice = 0;
    Money cachedInputPrice = 0; // cache reads
    Money outputPrice = 0;
    // The other billed components (core/catalog/pricing.h lists them with their defaults): cache writes,
    // reasoning, audio and image tokens, the long-context tier's prices, and per-call server tools (nano-dollars
    // per call). Each one not set explicitly follows its default from the prices above.
    Money cacheWritePrice = 0; // 5-minute cache writes (Anthropic: 1.25 x input)
    Money cacheWrite1hPrice = 0; // 1-hour cache writes (2 x input)
    Money reasoningPrice = 0; // reasoning output, where it differs from output
    Money audioInputPrice = 0;
    Money audioOutputPrice = 0;
    Money imageInputPrice = 0; // image tokens a provider reports apart (input_tokens_details.image_tokens)
    Money longInputPrice = 0; // above longContextThreshold input tokens, for the whole request
    Money longCachedInputPrice = 0;
    Money longCacheWritePrice = 0;
    Money longCacheWrite1hPrice = 0;
    Money longOutputPrice = 0;
    Money webSearchPrice = 0; // per search
    Money codeExecutionPrice = 0; // per code-execution session (container)
    qint64 longContextThreshold = 0; // 0: one tier
    qint64 maxImageTokens = 0; // the most input tokens one image can cost on this model (reservations)
    quint32 explicitPrices = 0; // bit i: priceComponents()[i] was set, not defaulted
    qint64 maxOutputTokens = 4096;
    qint64 contextWindow = 128'000;
    bool approved = true;
    QString priceSource; // where the list price came from
    // OpenAI-compatible providers: the one output cap field the model takes ("max_completion_tokens": OpenAI's
    // reasoning models refuse max_tokens; "max_tokens": servers that know no other). Empty: the client's own field,
    // max_completion_tokens when it sent none.
    QString outputCapField;
};

// Another name for a model: an exact alias ("opus"), or a glob pattern ("claude-opus-*", with * and ?) that serves a
// family of ids (new releases) at the prices of the model named. Dated snapshots ("...-20250929", "...-2025-09-29")
// and "-latest" of a model or an alias need no entry of their own.
struct ModelAlias
{
    QString pattern;
    QString modelId;
    QString note; // why it is there
    bool isGlob() const { return pattern.contains(u'*') || pattern.contains(u'?'); }
};

enum class BudgetDuration : quint8 { None, Daily, Weekly, Monthly, Yearly, Custom };
QString budgetDurationName(BudgetDuration d);
std::optional<BudgetDuration> budgetDurationFromName(const QString& name);

struct Customer
{
    Id id = 0;
    Id orgId = 0;
    QString identifier; // customer_identifier
    QString name;
    QString email;
    std::optional<qint64> rateLimitPerMinute;
    BudgetDuration budgetDuration = BudgetDuration::None;
    Instant periodStart = 0; // Custom only
    Instant periodEnd = 0;
    std::optional<Money> periodBudget;
    std::optional<Money> totalBudget;
    qint32 markupBasisPoints = 0; // 12.5 % == 1250; for reports
    // Set by an admin: customer_params may still name and describe the customer, but not change its limits.
    bool limitsLocked = false;
    Instant updatedAt = 0;
};

// Incomplete: a stream that ended without the provider's final usage (its cost is estimated).
enum class UsageStatus : quint8 { Ok, Denied, UpstreamError, Cancelled, Incomplete };
QString usageStatusName(UsageStatus s);
std::optional<UsageStatus> usageStatusFromName(QStringView name);

struct UsageRecord
{
    Id id = 0;
    Instant time = 0; // when the request started: the window it counts in
    QString requestId;
    Id orgId = 0;
    Id keyId = 0;
    Id projectId = 0;
    Id userId = 0;
    Id customerId = 0;
    QString model;
    Id providerId = 0;
    qint64 inputTokens = 0;
    qint64 cachedTokens = 0;
    qint64 outputTokens = 0;
    Money cost = 0;
    UsageStatus status = UsageStatus::Ok;
    qint32 latencyMs = 0;
    bool streamed = false;
    bool estimated = false; // charged its reservation because the provider reported no usage
    QString detail; // the decision explained, for refusals and lowered max_tokens; empty otherwise
    // The groups the user was in when the request was made, directly or through a subgroup, ascending: usage counts
    // for those groups for good, whatever membership changes later. Unset: the service fills in the user's groups
    // as they are when the record is written.
    std::optional<QList<Id>> groupIds;
    // What the record says beyond its columns, as a compact JSON object (empty: nothing): "requested_model" and
    // "model_rule" when the id the client sent was an alias, a snapshot or a pattern's; "reasoning_tokens".
    QString extras;
    // Not stored: set by Enforcement::settle, so the shared ledger knows the record of the request it settled.
    quint64 ledgerTicket = 0;
};

// A record's groups as stored: ",3,7," (so that `LIKE '%,7,%'` finds a group), "" for none.
QString groupIdsText(const QList<Id>& ids);
QList<Id> groupIdsFromText(QStringView text);

// Keys for the admin API, separate from gateway keys. A viewer reads; an admin also changes the organisation; an
// owner also manages admin keys.
enum class AdminRole : quint8 { Viewer, Admin, Owner };
QString adminRoleName(AdminRole role);
std::optional<AdminRole> adminRoleFromName(const QString& name);

struct AdminKey
{
    Id id = 0;
    QString name;
    QString prefix; // "tga-abc123", shown in lists and as the actor in the audit log
    QByteArray hash; // SHA-256 of the whole secret
    AdminRole role = AdminRole::Viewer;
    KeyStatus status = KeyStatus::Active;
    QString createdBy;
    Instant createdAt = 0;
    Instant lastUsedAt = 0;
};

struct AuditEntry
{
    Id id = 0;
    Instant time = 0;
    QString actor; // "console", "admin:<key prefix>", "system"
    QString entity; // "user", "group", ...
    QString entityId;
    QString action; // "create", "update", "delete", ...
    QString before; // JSON
    QString after; // JSON
};

} // namespace tollgate
