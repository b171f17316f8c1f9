#pragma once

#include "core/org/context.h"
#include "core/org/snapshot.h"

#include <QCoreApplication>
#include <QSqlDatabase>

#include <functional>

namespace tollgate {

class Statement;

struct NewUser
{
    QString email;
    QString name;
    UserStatus status = UserStatus::Active;
    QList<Id> groupIds;
    std::optional<Money> monthlyLimit; // becomes the override's monthly cost limit; default: the org's default
};

// Settings typed into one level and not saved yet, for a preview of their effect.
struct PolicyEdit
{
    enum class Level : quint8 { Organization, Group, User };
    Level level = Level::Organization;
    Id id = 0; // the group or the user
    PolicySettings settings;
};

// The organisation, its users and groups, who is in which group, and the policy each of them resolves to.
// Reads come from the published snapshot; every write validates, runs in one transaction with its audit entry and
// then publishes a new snapshot, so a change applies to the very next request and a refused write leaves nothing.
class Directory final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Directory)

public:
    explicit Directory(const ModuleContext& context);
    Q_DISABLE_COPY_MOVE(Directory)

    // Reads the organisation, users, groups and memberships from the database into a new snapshot: after a change
    // made by another instance on the same database.
    Status reload();

    // Organization
    Organization organization() const;
    Result<Organization> updateOrganization(const Organization& changed, const QString& actor);
    // Run after a change of the organisation's time zone is published (Service: the rollups are recomputed).
    void onTimeZoneChanged(std::function<Status()> handler) { m_zoneChanged = std::move(handler); }

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

    // Policy
    EffectivePolicy effectivePolicy(Id userId) const;
    // Every user's effective limit in one dimension, for the users it limits: resolved once per set of groups for
    // users without an override of their own, so it stays fast with many users.
    QHash<Id, qint64> effectiveLimits(Dimension dimension) const;
    // The effective policy if `edit` were saved: for the user edited; for a member of just the group edited (no
    // override of their own); for the organisation, a member of no group.
    EffectivePolicy previewPolicy(const PolicyEdit& edit) const;

private:
    struct UserInserts;
    Status checkNewUser(const Snapshot& s, const NewUser& u, const QString& field) const;
    Result<User> insertUser(UserInserts& statements, const Snapshot& s, const NewUser& u, const QString& actor,
                            Instant now);
    Status writeUserPolicy(QSqlDatabase& tx, const User& before, const std::optional<PolicySettings>& policy,
                           const QString& actor);
    Status membershipChange(const QList<Id>& ids, Id removeFrom, Id addTo, const QString& actor);

    Database& m_db;
    const Clock& m_clock;
    OrgState& m_org;
    const Audit& m_audit;
    std::function<Status()> m_zoneChanged;
};

// The policy `user` resolves to in `s`, with `edit` applied when given (not saved).
EffectivePolicy resolveUserPolicy(const Snapshot& s, const User& user, const PolicyEdit* edit = nullptr);

} // namespace tollgate
