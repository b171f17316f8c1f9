// Service: users, groups and membership.

#include "service/service.h"
#include "service/state.h"
#include "service/validation.h"
#include "storage/codec.h"

#include <QCoreApplication>

#include <algorithm>

namespace tollgate {

namespace {

QString tr(const char* s) { return QCoreApplication::translate("tollgate::Service", s); }

QList<Id> sortedUnique(QList<Id> ids)
{
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

} // namespace

qint64 Service::userCount() const
{
    std::shared_lock lock(m_stateLock);
    return m_state->users.size();
}

QList<User> Service::users() const
{
    std::shared_lock lock(m_stateLock);
    QList<User> out = m_state->users.values();
    std::sort(out.begin(), out.end(), [](const User& a, const User& b) { return a.id < b.id; });
    return out;
}

std::optional<User> Service::user(Id id) const
{
    std::shared_lock lock(m_stateLock);
    auto it = m_state->users.constFind(id);
    if (it == m_state->users.cend())
        return std::nullopt;
    return *it;
}

std::optional<User> Service::userByEmail(const QString& email) const
{
    std::shared_lock lock(m_stateLock);
    const Id id = m_state->usersByEmail.value(emailKey(email));
    if (!id)
        return std::nullopt;
    return m_state->users.value(id);
}

// The statements of a user insert, prepared once per batch.
struct Service::UserInserts
{
    explicit UserInserts(const QSqlDatabase& tx)
        : user(tx, QStringLiteral("INSERT INTO users (org_id, email, email_key, name, status, policy, created_at,"
                                  " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"))
        , project(tx, QStringLiteral("INSERT INTO projects (org_id, name, kind, owner_user_id, updated_at)"
                                     " VALUES (?, ?, 'private', ?, ?) RETURNING id"))
        , link(tx, QStringLiteral("UPDATE users SET private_project_id = ? WHERE id = ?"))
        , member(tx, QStringLiteral("INSERT INTO group_members (group_id, user_id) VALUES (?, ?)"))
        , audit(tx, QStringLiteral("INSERT INTO audit_log (ts, actor, entity, entity_id, action, before_json,"
                                   " after_json) VALUES (?, ?, 'user', ?, 'create', NULL, ?)"))
    {
    }
    Statement user, project, link, member, audit;
};

// Checks one new user; the caller holds the write lock. `field` names it in a batch ("[3]").
Status Service::checkNewUser(const NewUser& nu, const QString& field) const
{
    const QString prefix = field.isEmpty() ? QString() : field + u'.';
    if (auto s = validate::email(nu.email.trimmed(), prefix + QStringLiteral("email")); !s.ok())
        return s;
    if (auto s = validate::name(nu.name, prefix + QStringLiteral("name")); !s.ok())
        return s;
    if (auto s = validate::moneyLimit(nu.monthlyLimit, prefix + QStringLiteral("monthlyLimit")); !s.ok())
        return s;
    std::shared_lock lock(m_stateLock);
    for (Id gid : nu.groupIds)
        if (!m_state->groups.contains(gid))
            return Error::notFound(prefix + QStringLiteral("groupIds"), tr("group %1 does not exist").arg(gid));
    return {};
}

// Inserts one checked user, its private project and its audit entry; the caller holds the write lock and a
// transaction, and has checked that the email is free. Does not touch the in-memory state.
Result<User> Service::insertUser(UserInserts& st, const NewUser& nu, const QString& actor, Instant now)
{
    User u;
    u.orgId = m_state->org.id;
    u.email = nu.email.trimmed();
    u.name = nu.name.trimmed();
    u.status = nu.status;
    u.groupIds = sortedUnique(nu.groupIds);
    const std::optional<Money> limit = nu.monthlyLimit ? nu.monthlyLimit : m_state->org.defaultUserMonthlyLimit;
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
    if (auto r = st.audit.run({now, actor.isEmpty() ? QStringLiteral("system") : actor, idText(u.id),
                               codec::compact(codec::toJson(u))});
        !r.ok())
        return r.error();
    return u;
}

Result<User> Service::createUser(const NewUser& nu, const QString& actor)
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

Result<QList<User>> Service::createUsers(const QList<NewUser>& batch, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    const Instant now = m_clock.now();
    QSet<QString> seen;
    for (qsizetype i = 0; i < batch.size(); ++i) {
        const QString key = emailKey(batch[i].email);
        const QString field = QStringLiteral("[%1].email").arg(i);
        if (seen.contains(key))
            return Error::conflict(field, tr("%1 appears twice in the batch").arg(batch[i].email));
        seen.insert(key);
        std::shared_lock lock(m_stateLock);
        if (m_state->usersByEmail.contains(key))
            return Error::conflict(field, tr("%1 is already used by another user").arg(batch[i].email.trimmed()));
    }
    // Every row is checked before the transaction starts: a bad row refuses the batch without writing.
    for (qsizetype i = 0; i < batch.size(); ++i)
        if (auto s = checkNewUser(batch[i], QStringLiteral("[%1]").arg(i)); !s.ok())
            return s.error();
    QList<User> created;
    created.reserve(batch.size());
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        UserInserts statements(tx);
        for (const NewUser& nu : batch) {
            auto u = insertUser(statements, nu, actor, now);
            if (!u.ok())
                return u.error();
            created.append(std::move(u.value()));
        }
        return {};
    });
    if (!s.ok())
        return s.error();
    StateWrite lock(*this);
    for (const User& u : std::as_const(created)) {
        m_state->users.insert(u.id, u);
        m_state->usersByEmail.insert(emailKey(u.email), u.id);
        for (Id gid : u.groupIds)
            m_state->members[gid].insert(u.id);
        Project p;
        p.id = u.privateProjectId;
        p.orgId = u.orgId;
        p.name = tr("%1 (private)").arg(u.name);
        p.kind = ProjectKind::Private;
        p.ownerUserId = u.id;
        p.updatedAt = now;
        m_state->projects.insert(p.id, p);
    }
    return created;
}

Result<User> Service::updateUser(const User& changed, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
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
        std::shared_lock lock(m_stateLock);
        const Id owner = m_state->usersByEmail.value(newKey);
        if (owner && owner != changed.id)
            return Error::conflict(QStringLiteral("email"),
                                   tr("%1 is already used by another user").arg(changed.email.trimmed()));
    }
    User after = *current;
    after.email = changed.email.trimmed();
    after.name = changed.name.trimmed();
    after.status = changed.status;
    after.updatedAt = std::max(m_clock.now(), current->updatedAt + 1);
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        auto r = runSql(tx,
                        QStringLiteral("UPDATE users SET email = ?, email_key = ?, name = ?, status = ?, updated_at = ?"
                                       " WHERE id = ?"),
                        {after.email, newKey, after.name, userStatusName(after.status), after.updatedAt, after.id});
        if (!r.ok())
            return r.error();
        return audit(tx, actor, QStringLiteral("user"), idText(after.id), QStringLiteral("update"),
                     codec::compact(codec::toJson(*current)), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    StateWrite lock(*this);
    m_state->usersByEmail.remove(emailKey(current->email));
    m_state->usersByEmail.insert(newKey, after.id);
    m_state->users.insert(after.id, after);
    return after;
}

Status Service::deleteUser(Id id, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    auto current = user(id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("user %1 does not exist").arg(id));
    QList<Id> removedKeys;
    {
        std::shared_lock lock(m_stateLock);
        for (const ApiKey& k : std::as_const(m_state->keys))
            if (k.holderUserId == id || k.projectId == current->privateProjectId)
                removedKeys.append(k.id);
    }
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        // Keys held by the user and the private project go with it (foreign keys cascade).
        for (const char* sql : {"DELETE FROM api_keys WHERE holder_user_id = ? OR project_id = ?",
                                "DELETE FROM projects WHERE id = ?"}) {
            const bool keys = QByteArray(sql).contains("api_keys");
            auto r = keys ? runSql(tx, QString::fromLatin1(sql), {id, current->privateProjectId})
                          : runSql(tx, QString::fromLatin1(sql), {current->privateProjectId});
            if (!r.ok())
                return r.error();
        }
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM users WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return audit(tx, actor, QStringLiteral("user"), idText(id), QStringLiteral("delete"),
                     codec::compact(codec::toJson(*current)), {});
    });
    if (!s.ok())
        return s;
    StateWrite lock(*this);
    m_state->users.remove(id);
    m_state->usersByEmail.remove(emailKey(current->email));
    for (Id gid : current->groupIds)
        m_state->members[gid].remove(id);
    m_state->projects.remove(current->privateProjectId);
    for (Id kid : std::as_const(removedKeys)) {
        m_state->keysByHash.remove(m_state->keys.value(kid).hash);
        m_state->keys.remove(kid);
    }
    return {};
}

Status Service::writeUserPolicy(QSqlDatabase& tx, const User& before, const std::optional<PolicySettings>& policy,
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
    return audit(tx, actor, QStringLiteral("user_policy"), idText(before.id), QStringLiteral("update"), text(before),
                 text(after));
}

Status Service::setUserPolicy(Id id, const std::optional<PolicySettings>& policy, const QString& actor,
                              Instant expectedUpdatedAt)
{
    std::lock_guard writeLock(m_db->writeLock());
    auto current = user(id);
    if (!current)
        return Error::notFound(QStringLiteral("userId"), tr("user %1 does not exist").arg(id));
    if (expectedUpdatedAt && expectedUpdatedAt != current->updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the user was changed by someone else; reload"));
    if (policy) {
        if (auto s = validate::policy(
                *policy, QStringLiteral("policy"), [this](const QString& m) { return modelExists(m); }, true);
            !s.ok())
            return s;
    }
    Status s = m_db->transaction([&](QSqlDatabase& tx) { return writeUserPolicy(tx, *current, policy, actor); });
    if (!s.ok())
        return s;
    StateWrite lock(*this);
    User& u = m_state->users[id];
    u.policyOverride = policy && !policy->isEmpty() ? policy : std::nullopt;
    u.updatedAt = std::max(m_clock.now(), current->updatedAt + 1);
    return {};
}

Status Service::setUsersMonthlyLimit(const QList<Id>& ids, const std::optional<Money>& limit, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
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
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        for (qsizetype i = 0; i < targets.size(); ++i)
            if (auto w = writeUserPolicy(tx, targets[i], policies[i], actor); !w.ok())
                return w;
        return {};
    });
    if (!s.ok())
        return s;
    StateWrite lock(*this);
    const Instant now = m_clock.now();
    for (qsizetype i = 0; i < targets.size(); ++i) {
        User& u = m_state->users[targets[i].id];
        u.policyOverride = policies[i] && !policies[i]->isEmpty() ? policies[i] : std::nullopt;
        u.updatedAt = std::max(now, targets[i].updatedAt + 1);
    }
    return {};
}

Status Service::setUsersStatus(const QList<Id>& ids, UserStatus status, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    QList<User> targets;
    for (Id id : sortedUnique(ids)) {
        auto u = user(id);
        if (!u)
            return Error::notFound(QStringLiteral("userIds"), tr("user %1 does not exist").arg(id));
        targets.append(*u);
    }
    const Instant now = m_clock.now();
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        for (const User& u : std::as_const(targets)) {
            User after = u;
            after.status = status;
            after.updatedAt = std::max(now, u.updatedAt + 1);
            if (auto r = runSql(tx, QStringLiteral("UPDATE users SET status = ?, updated_at = ? WHERE id = ?"),
                                {userStatusName(status), after.updatedAt, u.id});
                !r.ok())
                return r.error();
            if (auto a = audit(tx, actor, QStringLiteral("user"), idText(u.id), QStringLiteral("update"),
                               codec::compact(codec::toJson(u)), codec::compact(codec::toJson(after)));
                !a.ok())
                return a;
        }
        return {};
    });
    if (!s.ok())
        return s;
    StateWrite lock(*this);
    for (const User& u : std::as_const(targets)) {
        User& stored = m_state->users[u.id];
        stored.status = status;
        stored.updatedAt = std::max(now, u.updatedAt + 1);
    }
    return {};
}

Status Service::addUsersToGroup(const QList<Id>& ids, Id groupId, const QString& actor)
{
    return membershipChange(ids, 0, groupId, actor);
}

Status Service::removeUsersFromGroup(const QList<Id>& ids, Id groupId, const QString& actor)
{
    return membershipChange(ids, groupId, 0, actor);
}

Status Service::moveUsers(const QList<Id>& ids, Id fromGroupId, Id toGroupId, const QString& actor)
{
    if (!fromGroupId)
        return Error::invalid(QStringLiteral("fromGroupId"), tr("is required"));
    if (!toGroupId)
        return Error::invalid(QStringLiteral("toGroupId"), tr("is required"));
    return membershipChange(ids, fromGroupId, toGroupId, actor);
}

Status Service::membershipChange(const QList<Id>& ids, Id removeFrom, Id addTo, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    QList<Id> removed;
    QList<Id> added;
    {
        std::shared_lock lock(m_stateLock);
        for (Id g : {removeFrom, addTo})
            if (g && !m_state->groups.contains(g))
                return Error::notFound(g == addTo ? QStringLiteral("groupId") : QStringLiteral("fromGroupId"),
                                       tr("group %1 does not exist").arg(g));
        const QSet<Id> fromMembers = m_state->members.value(removeFrom);
        const QSet<Id> toMembers = m_state->members.value(addTo);
        for (Id id : sortedUnique(ids)) {
            if (!m_state->users.contains(id))
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
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
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
            if (auto a = audit(tx, actor, QStringLiteral("group_members"), idText(removeFrom), QStringLiteral("remove"),
                               membersText(removed), QString());
                !a.ok())
                return a;
        if (!added.isEmpty())
            return audit(tx, actor, QStringLiteral("group_members"), idText(addTo), QStringLiteral("add"), QString(),
                         membersText(added));
        return {};
    });
    if (!s.ok())
        return s;
    StateWrite lock(*this);
    for (Id uid : std::as_const(removed)) {
        m_state->members[removeFrom].remove(uid);
        m_state->users[uid].groupIds.removeOne(removeFrom);
    }
    for (Id uid : std::as_const(added)) {
        m_state->members[addTo].insert(uid);
        QList<Id>& groupIds = m_state->users[uid].groupIds;
        groupIds.insert(std::lower_bound(groupIds.begin(), groupIds.end(), addTo), addTo);
    }
    return {};
}

QList<Group> Service::groups() const
{
    std::shared_lock lock(m_stateLock);
    QList<Group> out = m_state->groups.values();
    std::sort(out.begin(), out.end(), [](const Group& a, const Group& b) { return a.id < b.id; });
    return out;
}

std::optional<Group> Service::group(Id id) const
{
    std::shared_lock lock(m_stateLock);
    auto it = m_state->groups.constFind(id);
    if (it == m_state->groups.cend())
        return std::nullopt;
    return *it;
}

QList<Id> Service::groupMembers(Id groupId) const
{
    std::shared_lock lock(m_stateLock);
    const QSet<Id> members = m_state->members.value(groupId);
    QList<Id> out(members.begin(), members.end());
    std::sort(out.begin(), out.end());
    return out;
}

bool Service::wouldCycle(Id groupId, Id newParentId) const
{
    std::shared_lock lock(m_stateLock);
    for (Id p = newParentId; p; p = m_state->groups.value(p).parentId)
        if (p == groupId)
            return true;
    return false;
}

Result<Group> Service::createGroup(const QString& name, Id parentId, const QString& actor)
{
    Group g;
    g.name = name;
    g.parentId = parentId;
    return createGroup(g, actor);
}

Result<Group> Service::createGroup(const Group& wanted, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    if (auto s = validate::name(wanted.name, QStringLiteral("name")); !s.ok())
        return s.error();
    if (wanted.parentId && !group(wanted.parentId))
        return Error::notFound(QStringLiteral("parentId"), tr("group %1 does not exist").arg(wanted.parentId));
    if (auto s = validate::moneyLimit(wanted.monthlyBudget, QStringLiteral("monthlyBudget")); !s.ok())
        return s.error();
    if (wanted.settings) {
        if (auto s = validate::policy(
                *wanted.settings, QStringLiteral("settings"), [this](const QString& m) { return modelExists(m); },
                false);
            !s.ok())
            return s.error();
    }
    Group g = wanted;
    g.orgId = organization().id;
    g.name = wanted.name.trimmed();
    if (g.settings && g.settings->isEmpty())
        g.settings.reset();
    g.updatedAt = m_clock.now();
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        auto r = runSql(tx,
                        QStringLiteral("INSERT INTO org_groups (org_id, name, parent_id, settings, monthly_budget,"
                                       " budget_action, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                        {g.orgId, g.name, nullableId(g.parentId), codec::policyText(g.settings),
                         nullable(g.monthlyBudget),
                         g.budgetAction == BudgetAction::Warn ? QStringLiteral("warn") : QStringLiteral("block"),
                         g.updatedAt});
        if (!r.ok())
            return r.error();
        r->next();
        g.id = r->value(0).toLongLong();
        return audit(tx, actor, QStringLiteral("group"), idText(g.id), QStringLiteral("create"), {},
                     codec::compact(codec::toJson(g)));
    });
    if (!s.ok())
        return s.error();
    StateWrite lock(*this);
    m_state->groups.insert(g.id, g);
    return g;
}

Result<Group> Service::updateGroup(const Group& changed, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    auto current = group(changed.id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("group %1 does not exist").arg(changed.id));
    if (changed.updatedAt && changed.updatedAt != current->updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the group was changed by someone else; reload"));
    if (auto s = validate::name(changed.name, QStringLiteral("name")); !s.ok())
        return s.error();
    if (changed.parentId) {
        if (!group(changed.parentId))
            return Error::notFound(QStringLiteral("parentId"), tr("group %1 does not exist").arg(changed.parentId));
        if (wouldCycle(changed.id, changed.parentId))
            return Error::conflict(QStringLiteral("parentId"),
                                   tr("group %1 cannot be moved under %2: %2 is %1 itself or one of its subgroups")
                                       .arg(current->name, group(changed.parentId)->name));
    }
    if (auto s = validate::moneyLimit(changed.monthlyBudget, QStringLiteral("monthlyBudget")); !s.ok())
        return s.error();
    if (changed.settings) {
        if (auto s = validate::policy(
                *changed.settings, QStringLiteral("settings"), [this](const QString& m) { return modelExists(m); },
                false);
            !s.ok())
            return s.error();
    }
    Group after = changed;
    after.orgId = current->orgId;
    after.name = changed.name.trimmed();
    if (after.settings && after.settings->isEmpty())
        after.settings.reset();
    after.updatedAt = std::max(m_clock.now(), current->updatedAt + 1);
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        auto r = runSql(tx,
                        QStringLiteral("UPDATE org_groups SET name = ?, parent_id = ?, settings = ?, monthly_budget = ?,"
                                       " budget_action = ?, updated_at = ? WHERE id = ?"),
                        {after.name, nullableId(after.parentId), codec::policyText(after.settings),
                         nullable(after.monthlyBudget),
                         after.budgetAction == BudgetAction::Warn ? QStringLiteral("warn") : QStringLiteral("block"),
                         after.updatedAt, after.id});
        if (!r.ok())
            return r.error();
        return audit(tx, actor, QStringLiteral("group"), idText(after.id), QStringLiteral("update"),
                     codec::compact(codec::toJson(*current)), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    StateWrite lock(*this);
    m_state->groups.insert(after.id, after);
    return after;
}

Status Service::deleteGroup(Id id, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    auto current = group(id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("group %1 does not exist").arg(id));
    // Subgroups move up to the deleted group's parent rather than vanishing with it.
    QList<Id> children;
    {
        std::shared_lock lock(m_stateLock);
        for (const Group& g : std::as_const(m_state->groups))
            if (g.parentId == id)
                children.append(g.id);
    }
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("UPDATE org_groups SET parent_id = ? WHERE parent_id = ?"),
                            {nullableId(current->parentId), id});
            !r.ok())
            return r.error();
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM org_groups WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return audit(tx, actor, QStringLiteral("group"), idText(id), QStringLiteral("delete"),
                     codec::compact(codec::toJson(*current)), {});
    });
    if (!s.ok())
        return s;
    StateWrite lock(*this);
    for (Id c : std::as_const(children))
        m_state->groups[c].parentId = current->parentId;
    for (Id uid : m_state->members.value(id))
        m_state->users[uid].groupIds.removeOne(id);
    m_state->members.remove(id);
    for (ApiKey& k : m_state->keys)
        k.groupIds.removeOne(id);
    m_state->groups.remove(id);
    return {};
}

} // namespace tollgate
