// Directory: users and membership.

#include "core/audit/audit.h"
#include "core/directory/directory.h"
#include "core/domain/validation.h"
#include "core/org/orgstate.h"
#include "core/org/orgsync.h"
#include "core/storage/codec.h"
#include "core/storage/database.h"

#include <QCoreApplication>

#include <algorithm>

namespace tollgate {

namespace {

QList<Id> sortedUnique(QList<Id> ids)
{
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

} // namespace

qint64 Directory::userCount() const { return m_org.current()->users.size(); }

QList<User> Directory::users() const { return sortedById(m_org.current()->users); }

std::optional<User> Directory::user(Id id) const
{
    const SnapshotPtr snap = m_org.current();
    if (const User* u = snap->user(id))
        return *u;
    return std::nullopt;
}

std::optional<User> Directory::userByEmail(const QString& email) const
{
    const SnapshotPtr snap = m_org.current();
    if (const User* u = snap->userByEmail(email))
        return *u;
    return std::nullopt;
}

// The statements of a user insert, prepared once per batch.
struct Directory::UserInserts
{
    explicit UserInserts(const QSqlDatabase& tx)
        : user(tx,
               QStringLiteral("INSERT INTO users (org_id, email, email_key, name, status, policy, created_at,"
                              " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"))
        , project(tx,
                  QStringLiteral("INSERT INTO projects (org_id, name, kind, owner_user_id, updated_at)"
                                 " VALUES (?, ?, 'private', ?, ?) RETURNING id"))
        , link(tx, QStringLiteral("UPDATE users SET private_project_id = ? WHERE id = ?"))
        , member(tx, QStringLiteral("INSERT INTO group_members (group_id, user_id) VALUES (?, ?)"))
        , audit(tx,
                QStringLiteral("INSERT INTO audit_log (ts, actor, entity, entity_id, action, before_json,"
                               " after_json) VALUES (?, ?, 'user', ?, 'create', NULL, ?)"))
    {
    }
    Statement user, project, link, member, audit;
};

// Checks one new user; the caller holds the write lock. `field` names it in a batch ("[3]").
Status Directory::checkNewUser(const Snapshot& base, const NewUser& nu, const QString& field) const
{
    const QString prefix = field.isEmpty() ? QString() : field + u'.';
    if (auto s = validate::email(nu.email.trimmed(), prefix + QStringLiteral("email")); !s.ok())
        return s;
    if (auto s = validate::name(nu.name, prefix + QStringLiteral("name")); !s.ok())
        return s;
    if (auto s = validate::moneyLimit(nu.monthlyLimit, prefix + QStringLiteral("monthlyLimit")); !s.ok())
        return s;
    for (Id gid : nu.groupIds)
        if (!base.groups.contains(gid))
            return Error::notFound(prefix + QStringLiteral("groupIds"), tr("group %1 does not exist").arg(gid));
    return {};
}

// Inserts one checked user, its private project and its audit entry; the caller holds the write lock and a
// transaction, and has checked that the email is free. Does not touch the snapshot.
Result<User> Directory::insertUser(UserInserts& st, const Snapshot& base, const NewUser& nu, const QString& actor,
                                   Instant now)
{
    User u;
    u.orgId = base.org.id;
    u.email = nu.email.trimmed();
    u.name = nu.name.trimmed();
    u.status = nu.status;
    u.groupIds = sortedUnique(nu.groupIds);
    const std::optional<Money> limit = nu.monthlyLimit ? nu.monthlyLimit : base.org.defaultUserMonthlyLimit;
    if (limit) {
        PolicySettings p;
        p[Dimension::MonthlyCost] = Limit::of(*limit);
        u.policyOverride = p;
    }
    u.createdAt = now;
    u.updatedAt = now;
    auto ins = st.user.run({u.orgId, u.email, emailKey(u.email), u.name, userStatusName(u.status),
                            codec::policyText(u.policyOverride), now, now});
    if (!ins.ok())
        return ins.error();
    (*ins)->next();
    u.id = (*ins)->value(0).toLongLong();
    (*ins)->finish();
    auto proj = st.project.run({u.orgId, tr("%1 (private)").arg(u.name), u.id, now});
    if (!proj.ok())
        return proj.error();
    (*proj)->next();
    u.privateProjectId = (*proj)->value(0).toLongLong();
    (*proj)->finish();
    if (auto r = st.link.run({u.privateProjectId, u.id}); !r.ok())
        return r.error();
    for (Id gid : std::as_const(u.groupIds))
        if (auto r = st.member.run({gid, u.id}); !r.ok())
            return r.error();
    if (auto r = st.audit.run(
            {now, actor.isEmpty() ? QStringLiteral("system") : actor, idText(u.id), codec::compact(codec::toJson(u))});
        !r.ok())
        return r.error();
    return u;
}

Result<User> Directory::createUser(const NewUser& nu, const QString& actor)
{
    auto r = createUsers({nu}, actor);
    if (!r.ok()) {
        Error e = r.error();
        if (e.field.startsWith(QLatin1String("[0].")))
            e.field = e.field.mid(4);
        return e;
    }
    return r->first();
}

Result<QList<User>> Directory::createUsers(const QList<NewUser>& batch, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    const Instant now = m_clock.now();
    QSet<QString> seen;
    for (qsizetype i = 0; i < batch.size(); ++i) {
        const QString key = emailKey(batch[i].email);
        const QString field = QStringLiteral("[%1].email").arg(i);
        if (seen.contains(key))
            return Error::conflict(field, tr("%1 appears twice in the batch").arg(batch[i].email));
        seen.insert(key);
        if (base.usersByEmail.contains(key))
            return Error::conflict(field, tr("%1 is already used by another user").arg(batch[i].email.trimmed()));
    }
    // Every row is checked before the transaction starts: a bad row refuses the batch without writing.
    for (qsizetype i = 0; i < batch.size(); ++i)
        if (auto s = checkNewUser(base, batch[i], QStringLiteral("[%1]").arg(i)); !s.ok())
            return s.error();
    QList<User> created;
    created.reserve(batch.size());
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        UserInserts statements(tx);
        for (const NewUser& nu : batch) {
            auto u = insertUser(statements, base, nu, actor, now);
            if (!u.ok())
                return u.error();
            created.append(std::move(u.value()));
        }
        return OrgSync::markChanged(tx, m_db.dialect(), OrgSync::Part::Directory);
    });
    if (!s.ok())
        return s.error();
    for (const User& u : std::as_const(created)) {
        edit->users.insert(u.id, u);
        edit->usersByEmail.insert(emailKey(u.email), u.id);
        for (Id gid : u.groupIds)
            edit->members[gid].insert(u.id);
        Project p;
        p.id = u.privateProjectId;
        p.orgId = u.orgId;
        p.name = tr("%1 (private)").arg(u.name);
        p.kind = ProjectKind::Private;
        p.ownerUserId = u.id;
        p.updatedAt = now;
        edit->projects.insert(p.id, p);
    }
    edit.publish();
    return created;
}

Result<User> Directory::updateUser(const User& changed, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    auto current = user(changed.id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("user %1 does not exist").arg(changed.id));
    if (changed.updatedAt && changed.updatedAt != current->updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the user was changed by someone else; reload"));
    if (auto s = validate::email(changed.email.trimmed(), QStringLiteral("email")); !s.ok())
        return s.error();
    if (auto s = validate::name(changed.name, QStringLiteral("name")); !s.ok())
        return s.error();
    const QString newKey = emailKey(changed.email);
    {
        const Id owner = base.usersByEmail.value(newKey);
        if (owner && owner != changed.id)
            return Error::conflict(QStringLiteral("email"),
                                   tr("%1 is already used by another user").arg(changed.email.trimmed()));
    }
    User after = *current;
    after.email = changed.email.trimmed();
    after.name = changed.name.trimmed();
    after.status = changed.status;
    after.updatedAt = std::max(m_clock.now(), current->updatedAt + 1);
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        auto r = runSql(tx,
                        QStringLiteral("UPDATE users SET email = ?, email_key = ?, name = ?, status = ?, updated_at = ?"
                                       " WHERE id = ?"),
                        {after.email, newKey, after.name, userStatusName(after.status), after.updatedAt, after.id});
        if (!r.ok())
            return r.error();
        return m_audit.record(tx, actor, QStringLiteral("user"), idText(after.id), QStringLiteral("update"),
                              codec::compact(codec::toJson(*current)), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    edit->usersByEmail.remove(emailKey(current->email));
    edit->usersByEmail.insert(newKey, after.id);
    edit->users.insert(after.id, after);
    edit.publish();
    return after;
}

Status Directory::deleteUser(Id id, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    auto current = user(id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("user %1 does not exist").arg(id));
    QList<Id> removedKeys;
    {
        for (const ApiKey& k : std::as_const(base.keys))
            if (k.holderUserId == id || k.projectId == current->privateProjectId)
                removedKeys.append(k.id);
    }
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        // Keys held by the user and the private project go with it (foreign keys cascade).
        for (const char* sql :
             {"DELETE FROM api_keys WHERE holder_user_id = ? OR project_id = ?", "DELETE FROM projects WHERE id = ?"}) {
            const bool keys = QByteArray(sql).contains("api_keys");
            auto r = keys ? runSql(tx, QString::fromLatin1(sql), {id, current->privateProjectId})
                          : runSql(tx, QString::fromLatin1(sql), {current->privateProjectId});
            if (!r.ok())
                return r.error();
        }
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM users WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return m_audit.record(tx, actor, QStringLiteral("user"), idText(id), QStringLiteral("delete"),
                              codec::compact(codec::toJson(*current)), {});
    });
    if (!s.ok())
        return s;
    edit->users.remove(id);
    edit->usersByEmail.remove(emailKey(current->email));
    for (Id gid : current->groupIds)
        edit->members[gid].remove(id);
    edit->projects.remove(current->privateProjectId);
    for (Id kid : std::as_const(removedKeys)) {
        edit->keysByHash.remove(edit->keys.value(kid).hash);
        edit->keys.remove(kid);
    }
    edit.publish();
    return {};
}

Status Directory::writeUserPolicy(QSqlDatabase& tx, const User& before, const std::optional<PolicySettings>& policy,
                                  const QString& actor)
{
    User after = before;
    after.policyOverride = policy && !policy->isEmpty() ? policy : std::nullopt;
    after.updatedAt = std::max(m_clock.now(), before.updatedAt + 1);
    auto r = runSql(tx, QStringLiteral("UPDATE users SET policy = ?, updated_at = ? WHERE id = ?"),
                    {codec::policyText(after.policyOverride), after.updatedAt, after.id});
    if (!r.ok())
        return r.error();
    const auto text = [](const User& u) {
        return u.policyOverride ? codec::compact(codec::policyToJson(*u.policyOverride)) : QString();
    };
    return m_audit.record(tx, actor, QStringLiteral("user_policy"), idText(before.id), QStringLiteral("update"),
                          text(before), text(after));
}

Status Directory::setUserPolicy(Id id, const std::optional<PolicySettings>& policy, const QString& actor,
                                Instant expectedUpdatedAt)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    auto current = user(id);
    if (!current)
        return Error::notFound(QStringLiteral("userId"), tr("user %1 does not exist").arg(id));
    if (expectedUpdatedAt && expectedUpdatedAt != current->updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the user was changed by someone else; reload"));
    if (policy) {
        if (auto s = validate::policy(
                *policy, QStringLiteral("policy"), [&base](const QString& m) { return base.models.contains(m); }, true);
            !s.ok())
            return s;
    }
    Status s = m_db.transaction([&](QSqlDatabase& tx) { return writeUserPolicy(tx, *current, policy, actor); });
    if (!s.ok())
        return s;
    User& u = edit->users[id];
    u.policyOverride = policy && !policy->isEmpty() ? policy : std::nullopt;
    u.updatedAt = std::max(m_clock.now(), current->updatedAt + 1);
    edit.publish();
    return {};
}

Status Directory::setUsersMonthlyLimit(const QList<Id>& ids, const std::optional<Money>& limit, const QString& actor)
{
    auto edit = m_org.edit();
    if (auto s = validate::moneyLimit(limit, QStringLiteral("monthlyLimit")); !s.ok())
        return s;
    QList<User> targets;
    for (Id id : sortedUnique(ids)) {
        auto u = user(id);
        if (!u)
            return Error::notFound(QStringLiteral("userIds"), tr("user %1 does not exist").arg(id));
        targets.append(*u);
    }
    QList<std::optional<PolicySettings>> policies;
    for (const User& u : std::as_const(targets)) {
        PolicySettings p = u.policyOverride.value_or(PolicySettings {});
        p[Dimension::MonthlyCost] = limit ? Limit::of(*limit) : Limit::unset();
        policies.append(p);
    }
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        for (qsizetype i = 0; i < targets.size(); ++i)
            if (auto w = writeUserPolicy(tx, targets[i], policies[i], actor); !w.ok())
                return w;
        return {};
    });
    if (!s.ok())
        return s;
    const Instant now = m_clock.now();
    for (qsizetype i = 0; i < targets.size(); ++i) {
        User& u = edit->users[targets[i].id];
        u.policyOverride = policies[i] && !policies[i]->isEmpty() ? policies[i] : std::nullopt;
        u.updatedAt = std::max(now, targets[i].updatedAt + 1);
    }
    edit.publish();
    return {};
}

Status Directory::setUsersStatus(const QList<Id>& ids, UserStatus status, const QString& actor)
{
    auto edit = m_org.edit();
    QList<User> targets;
    for (Id id : sortedUnique(ids)) {
        auto u = user(id);
        if (!u)
            return Error::notFound(QStringLiteral("userIds"), tr("user %1 does not exist").arg(id));
        targets.append(*u);
    }
    const Instant now = m_clock.now();
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        for (const User& u : std::as_const(targets)) {
            User after = u;
            after.status = status;
            after.updatedAt = std::max(now, u.updatedAt + 1);
            if (auto r = runSql(tx, QStringLiteral("UPDATE users SET status = ?, updated_at = ? WHERE id = ?"),
                                {userStatusName(status), after.updatedAt, u.id});
                !r.ok())
                return r.error();
            if (auto a = m_audit.record(tx, actor, QStringLiteral("user"), idText(u.id), QStringLiteral("update"),
                                        codec::compact(codec::toJson(u)), codec::compact(codec::toJson(after)));
                !a.ok())
                return a;
        }
        return {};
    });
    if (!s.ok())
        return s;
    for (const User& u : std::as_const(targets)) {
        User& stored = edit->users[u.id];
        stored.status = status;
        stored.updatedAt = std::max(now, u.updatedAt + 1);
    }
    edit.publish();
    return {};
}

Status Directory::addUsersToGroup(const QList<Id>& ids, Id groupId, const QString& actor)
{
    return membershipChange(ids, 0, groupId, actor);
}

Status Directory::removeUsersFromGroup(const QList<Id>& ids, Id groupId, const QString& actor)
{
    return membershipChange(ids, groupId, 0, actor);
}

Status Directory::moveUsers(const QList<Id>& ids, Id fromGroupId, Id toGroupId, const QString& actor)
{
    if (!fromGroupId)
        return Error::invalid(QStringLiteral("fromGroupId"), tr("is required"));
    if (!toGroupId)
        return Error::invalid(QStringLiteral("toGroupId"), tr("is required"));
    return membershipChange(ids, fromGroupId, toGroupId, actor);
}

Status Directory::membershipChange(const QList<Id>& ids, Id removeFrom, Id addTo, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    QList<Id> removed;
    QList<Id> added;
    {
        for (Id g : {removeFrom, addTo})
            if (g && !base.groups.contains(g))
                return Error::notFound(g == addTo ? QStringLiteral("groupId") : QStringLiteral("fromGroupId"),
                                       tr("group %1 does not exist").arg(g));
        const QSet<Id> fromMembers = base.members.value(removeFrom);
        const QSet<Id> toMembers = base.members.value(addTo);
        for (Id id : sortedUnique(ids)) {
            if (!base.users.contains(id))
                return Error::notFound(QStringLiteral("userIds"), tr("user %1 does not exist").arg(id));
            if (removeFrom && fromMembers.contains(id))
                removed.append(id);
            if (addTo && !toMembers.contains(id))
                added.append(id);
        }
    }
    if (removed.isEmpty() && added.isEmpty())
        return {};
    const auto membersText = [](const QList<Id>& list) {
        QStringList idsText;
        for (Id uid : list)
            idsText.append(idText(uid));
        return QStringLiteral("{\"userIds\":[%1]}").arg(idsText.join(u','));
    };
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        for (Id uid : std::as_const(removed))
            if (auto r = runSql(tx, QStringLiteral("DELETE FROM group_members WHERE group_id = ? AND user_id = ?"),
                                {removeFrom, uid});
                !r.ok())
                return r.error();
        for (Id uid : std::as_const(added))
            if (auto r = runSql(tx, QStringLiteral("INSERT INTO group_members (group_id, user_id) VALUES (?, ?)"),
                                {addTo, uid});
                !r.ok())
                return r.error();
        if (!removed.isEmpty())
            if (auto a = m_audit.record(tx, actor, QStringLiteral("group_members"), idText(removeFrom),
                                        QStringLiteral("remove"), membersText(removed), QString());
                !a.ok())
                return a;
        if (!added.isEmpty())
            return m_audit.record(tx, actor, QStringLiteral("group_members"), idText(addTo), QStringLiteral("add"),
                                  QString(), membersText(added));
        return {};
    });
    if (!s.ok())
        return s;
    for (Id uid : std::as_const(removed)) {
        edit->members[removeFrom].remove(uid);
        edit->users[uid].groupIds.removeOne(removeFrom);
    }
    for (Id uid : std::as_const(added)) {
        edit->members[addTo].insert(uid);
        QList<Id>& groupIds = edit->users[uid].groupIds;
        groupIds.insert(std::lower_bound(groupIds.begin(), groupIds.end(), addTo), addTo);
    }
    edit.publish();
    return {};
}

} // namespace tollgate
