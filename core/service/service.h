#pragma once

#include "catalog/pricing.h"
#include "domain/domain.h"
#include "ledger/ledger.h"
#include "service/rollupread.h"
#include "service/usage.h"
#include "storage/database.h"

#include <QHash>
#include <QTimeZone>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace tollgate {

struct NewUser
{
    QString email;
    QString name;
    UserStatus status = UserStatus::Active;
    QList<Id> groupIds;
    std::optional<Money> monthlyLimit; // becomes the override's monthly cost limit; default: the org's default
};

struct NewKey
{
    QString name;
    Id projectId = 0; // 0: the holder's private project
    Id holderUserId = 0;
    QList<Id> groupIds;
    QStringList features {QStringLiteral("chat"), QStringLiteral("messages"), QStringLiteral("embeddings")};
    ModelRule allowedModels;
    std::optional<Money> monthlyCap;
    Instant expiresAt = 0;
};

struct CreatedAdminKey
{
    AdminKey key;
    QString secret; // shown once
};

struct CreatedKey
{
    ApiKey key;
    QString secret; // shown once; only its hash is stored
};

// Settings typed into one level and not saved yet, for a preview of their effect.
struct PolicyEdit
{
    enum class Level : quint8 { Organization, Group, User };
    Level level = Level::Organization;
    Id id = 0; // the group or the user
    PolicySettings settings;
};

// Who is asking, for what: the input to admission and to the explanation of a decision.
// A usage journal's name and a byte offset in it.
struct JournalMark
{
    QString name;
    qint64 offset = 0;
};

struct RequestScope
{
    Id keyId = 0;
    Id userId = 0; // the principal (the key's holder, or the group member named by the request)
    Id customerId = 0;
    QString model;
};

// The outcome of resolving a request's principal and model before any counter is touched.
struct Preflight
{
    bool allowed = true;
    QString reason; // why not (translated)
    QString code; // "model_not_found", "model_not_allowed", "key_model_not_allowed", "user_inactive"
    PolicySource source;
    EffectivePolicy policy;
    ModelInfo model;
    QList<LimitCheck> checks; // every limit in force
    QList<Id> groups; // what the request counts for (UsageRecord::groupIds), whether allowed or not
};

// The one service API over the organisation that the console, the admin API and the gateway all use. Reads come
// from an in-memory copy (so the gateway never waits on the database); every write validates, runs in one
// database transaction with its audit entry, and only then changes the in-memory copy, so a change applies to the
// very next request and a refused write leaves nothing behind.
class Service final
{
public:
    struct Options
    {
        bool seedCatalog = true; // add the built-in providers and models to an empty catalog
        QString organizationName = QStringLiteral("My Organization");
        QString timezone = QStringLiteral("UTC");
        // Becomes the owner admin key when the database has none yet (TOLLGATE_ADMIN_KEY); empty: one is made up
        // and handed out once by takeInitialAdminSecret().
        QString initialAdminKey;
    };

    static Result<std::unique_ptr<Service>> open(const DatabaseLocation& location, const Clock& clock,
                                                 const Options& options);
    static Result<std::unique_ptr<Service>> open(const DatabaseLocation& location, const Clock& clock)
    {
        return open(location, clock, Options {});
    }
    ~Service();
    Q_DISABLE_COPY_MOVE(Service)

    Database& database() const { return *m_db; }
    const Clock& clock() const { return m_clock; }
    Ledger& ledger() const { return *m_ledger; }

    // Organization
    Organization organization() const;
    Result<Organization> updateOrganization(const Organization& changed, const QString& actor);

    // Users
    qint64 userCount() const;
    QList<User> users() const;
    std::optional<User> user(Id id) const;
    std::optional<User> userByEmail(const QString& email) const;
    Result<User> createUser(const NewUser& u, const QString& actor);
    // All or nothing: one bad row refuses the whole batch, naming its index.
    Result<QList<User>> createUsers(const QList<NewUser>& users, const QString& actor);
    // Updates email, name and status. When changed.updatedAt is set it must match the stored one (else Conflict).
    Result<User> updateUser(const User& changed, const QString& actor);
    Status deleteUser(Id id, const QString& actor);
    // expectedUpdatedAt, when set, must match the user's updatedAt (else Conflict): a read-modify-write guard.
    Status setUserPolicy(Id id, const std::optional<PolicySettings>& policy, const QString& actor,
                         Instant expectedUpdatedAt = 0);
    Status setUsersStatus(const QList<Id>& ids, UserStatus status, const QString& actor);
    Status setUsersMonthlyLimit(const QList<Id>& ids, const std::optional<Money>& limit, const QString& actor);
    Status addUsersToGroup(const QList<Id>& ids, Id groupId, const QString& actor);
    Status removeUsersFromGroup(const QList<Id>& ids, Id groupId, const QString& actor);
    // Out of one group into another, in one transaction.
    Status moveUsers(const QList<Id>& ids, Id fromGroupId, Id toGroupId, const QString& actor);

    // Groups
    QList<Group> groups() const;
    std::optional<Group> group(Id id) const;
    QList<Id> groupMembers(Id groupId) const;
    // The groups a user is in, directly or through a subgroup, ascending: what a request of the user counts for.
    QList<Id> groupsOfUser(Id userId) const;
    Result<Group> createGroup(const QString& name, Id parentId, const QString& actor);
    // With its settings and budget, in one transaction (id and updatedAt are assigned).
    Result<Group> createGroup(const Group& group, const QString& actor);
    // Rename, reparent (a cycle is refused), settings, aggregate budget.
    Result<Group> updateGroup(const Group& changed, const QString& actor);
    Status deleteGroup(Id id, const QString& actor);

    // Projects
    QList<Project> projects() const;
    std::optional<Project> project(Id id) const;
    Result<Project> createProject(const QString& name, const std::optional<Money>& monthlyLimit, const QString& actor);
    Result<Project> updateProject(const Project& changed, const QString& actor);
    Status deleteProject(Id id, const QString& actor);

    // API keys
    QList<ApiKey> keys() const;
    std::optional<ApiKey> key(Id id) const;
    Result<CreatedKey> createKey(const NewKey& k, const QString& actor);
    Result<ApiKey> updateKey(const ApiKey& changed, const QString& actor);
    Status revokeKey(Id id, const QString& actor);
    Status deleteKey(Id id, const QString& actor);
    // The key a secret belongs to, if it is active and unexpired; otherwise an error saying which (never which
    // part of the secret was wrong). Compares hashes in constant time.
    Result<ApiKey> authenticate(const QString& secret) const;
    static QByteArray hashSecret(const QString& secret);

    // Catalog
    QList<Provider> providers() const;
    std::optional<Provider> provider(Id id) const;
    Result<Provider> saveProvider(const Provider& p, const QString& actor); // id 0: create
    Status deleteProvider(Id id, const QString& actor); // refused (Conflict) while models use it
    QList<ModelInfo> models() const;
    std::optional<ModelInfo> model(const QString& id) const;
    Result<ModelInfo> saveModel(const ModelInfo& m, const QString& actor); // create or update by id
    Status deleteModel(const QString& id, const QString& actor);

    // Customers (customer_params)
    QList<Customer> customers() const;
    std::optional<Customer> customer(Id id) const;
    std::optional<Customer> customerByIdentifier(const QString& identifier) const;
    Result<Customer> saveCustomer(const Customer& c, const QString& actor); // id 0: create or update by identifier
    Status deleteCustomer(Id id, const QString& actor);

    // Policy and enforcement
    EffectivePolicy effectivePolicy(Id userId) const;
    // Every user's effective limit in one dimension, for the users it limits: resolved once per set of groups for
    // users without an override of their own, so it stays fast with many users.
    QHash<Id, qint64> effectiveLimits(Dimension dimension) const;
    // The effective policy if `edit` were saved: for the user edited; for a member of just the group edited (no
    // override of their own); for the organisation, a member of no group.
    EffectivePolicy previewPolicy(const PolicyEdit& edit) const;
    // Resolves the policy and model access, and lists every limit in force for the request.
    Preflight preflight(const RequestScope& scope) const;
    // Preflight, then reserve on every counter: the gateway's admission.
    Decision admit(const RequestScope& scope, const AdmissionAmounts& amounts, Preflight* preflightOut = nullptr);
    // What admit() would decide now, reserving nothing.
    Decision explain(const RequestScope& scope, const AdmissionAmounts& amounts, Preflight* preflightOut = nullptr);
    // Settles a reservation with the real usage and writes the usage record durably before returning.
    Status settle(Decision& decision, UsageRecord record);
    // Writes usage records in one transaction (durable when this returns).
    // With a mark, also records in the same transaction that the journal `mark.name` is applied up to
    // `mark.offset` (core/metering/journal.h).
    Status recordUsage(const QList<UsageRecord>& records, const JournalMark* mark = nullptr);
    // How far a usage journal is applied; nothing when the database has never seen it.
    Result<std::optional<qint64>> journalApplied(const QString& name) const;
    Status setJournalApplied(const JournalMark& mark);
    Status forgetJournal(const QString& name);
    qint64 usageRecordCount() const;
    // Spend this calendar month (organisation time zone) by user, group, key, project or customer id, from the
    // rollups; group spend includes the group's subgroups.
    Result<QHash<Id, Money>> monthToDateSpend(UsageDimension by) const;
    // Distinct users with at least one admitted request, per local day in [from, to) (both at local midnight).
    Result<QList<std::pair<Instant, qint64>>> dailyActiveUsers(Instant from, Instant to) const;
    // The request log, newest first.
    Result<QList<UsageRecord>> usageLog(const UsageLogFilter& filter) const;
    // Recomputes the daily rollups from the usage records (done on open when they were made in another time zone).
    Status rebuildRollups();
    // Totals or series over usage records (over the daily rollups when the range starts and ends at local
    // midnight); refuses a range with more than kMaxUsageBuckets buckets.
    Result<UsageReport> usageReport(const UsageQuery& query) const;

    // Admin keys (the admin API's credentials). Read from the database on every call, so a revocation made by
    // another instance on the same database applies at once.
    Result<QList<AdminKey>> adminKeys() const;
    Result<CreatedAdminKey> createAdminKey(const QString& name, AdminRole role, const QString& actor);
    Status revokeAdminKey(Id id, const QString& actor);
    // The active admin key a secret belongs to (NotFound for an unknown secret, Invalid for a revoked one).
    Result<AdminKey> authenticateAdmin(const QString& secret) const;
    // The owner key made up when the database had no admin key: returned once, then empty.
    QString takeInitialAdminSecret();

    // Audit
    struct AuditFilter
    {
        QString actor;
        QString entity;
        QString entityId;
        Instant from = 0;
        Instant to = 0;
        Id beforeId = 0; // paging: entries older than this one
        int limit = 200;
    };
    QList<AuditEntry> auditLog(const AuditFilter& filter) const;

    // Counted up after every change to the organisation (revision) and after usage is written (usageRevision), so a
    // console can tell that what it shows is out of date without being called from the writer's thread.
    quint64 revision() const { return m_revision.load(std::memory_order_acquire); }
    quint64 usageRevision() const { return m_usageRevision.load(std::memory_order_acquire); }
    // Reads of recorded usage (reports, the log, month-to-date spend) first wait for these, so they include every
    // request answered before they were asked for: each running usage writer registers its flush().
    void addUsageBarrier(const void* owner, std::function<void()> barrier);
    void removeUsageBarrier(const void* owner);

    // Removes every organization, user, group, key and usage record (the catalog stays). For the demo reset.
    Status clearOrganizationData(const QString& actor);

private:
    struct State;
    class StateWrite;
    Service(std::unique_ptr<Database> db, const Clock& clock);
    Status load();
    Status ensureOrganization(const Options& options);
    Status ensureAdminKey(const Options& options);
    Status insertAdminKey(QSqlDatabase& tx, AdminKey& key, const QString& actor);
    Status seedCatalog();
    Status audit(QSqlDatabase& tx, const QString& actor, const QString& entity, const QString& entityId,
                 const QString& action, const QString& before, const QString& after) const;
    std::optional<qint64> loadCounter(const CounterKey& key, const Window& window) const;
    QList<LimitCheck> limitsFor(const RequestScope& scope, const EffectivePolicy& policy, const QList<Id>& groups) const;
    EffectivePolicy effectivePolicyLocked(const User& user, const PolicyEdit* edit = nullptr) const;
    struct UserInserts;
    Status checkNewUser(const NewUser& u, const QString& field) const;
    Result<User> insertUser(UserInserts& statements, const NewUser& u, const QString& actor, Instant now);
    Status writeUserPolicy(QSqlDatabase& tx, const User& before, const std::optional<PolicySettings>& policy,
                           const QString& actor);
    Status membershipChange(const QList<Id>& ids, Id removeFrom, Id addTo, const QString& actor);
    bool modelExists(const QString& id) const;
    bool wouldCycle(Id groupId, Id newParentId) const;
    QList<Id> groupTree(Id groupId) const; // the group and every group below it
    QList<Id> groupsOfUserLocked(const User& user) const; // m_stateLock held
    QTimeZone rollupZone() const;
    Status ensureRollups();
    Status fillRecordGroups(QSqlDatabase& tx); // records written before their groups were recorded
    // The sums a top N is chosen from (requests and cost per key over [from, to)), read once for every caller that
    // asks while it is being read: the dashboard's charts and lists rank users over the same range side by side.
    using SharedSums = Result<std::shared_ptr<const RollupSums>>;
    SharedSums rankingSums(UsageDimension dimension, Instant from, Instant to) const;
    struct RankingKey
    {
        UsageDimension dimension;
        Instant from;
        Instant to;
        friend bool operator==(const RankingKey&, const RankingKey&) = default;
        friend size_t qHash(const RankingKey& k, size_t seed = 0)
        {
            return qHashMulti(seed, int(k.dimension), k.from, k.to);
        }
    };
    mutable std::mutex m_rankingLock;
    mutable QHash<RankingKey, std::shared_future<SharedSums>> m_rankings; // being read

    std::unique_ptr<Database> m_db;
    const Clock& m_clock;
    std::unique_ptr<Ledger> m_ledger;
    std::unique_ptr<State> m_state;
    QString m_initialAdminSecret;
    void awaitRecordedUsage() const;
    Preflight resolvePreflight(const RequestScope& scope) const;

    struct PreflightKey
    {
        Id keyId = 0;
        Id userId = 0;
        Id customerId = 0;
        QString model;
        friend bool operator==(const PreflightKey&, const PreflightKey&) = default;
        friend size_t qHash(const PreflightKey& k, size_t seed = 0)
        {
            return qHashMulti(seed, k.keyId, k.userId, k.customerId, k.model);
        }
    };
    struct CachedPreflight
    {
        quint64 revision = 0;
        Instant validFrom = 0;
        Instant validUntil = 0;
        Preflight preflight;
    };
    mutable std::shared_mutex m_preflightLock;
    mutable QHash<PreflightKey, CachedPreflight> m_preflights;

    mutable std::shared_mutex m_stateLock;
    mutable std::shared_mutex m_barrierLock;
    std::vector<std::pair<const void*, std::function<void()>>> m_usageBarriers;
    mutable std::atomic<quint64> m_revision {0};
    std::atomic<quint64> m_usageRevision {0};
};

} // namespace tollgate
