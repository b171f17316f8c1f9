// Directory: groups.

#include "core/audit/audit.h"
#include "core/directory/directory.h"
#include "core/domain/validation.h"
#include "core/org/orgstate.h"
#include "core/storage/codec.h"
#include "core/storage/database.h"
#include "core/storage/store.h"

#include <QCoreApplication>

#include <algorithm>

namespace tollgate {

QList<Group> Directory::groups() const { return sortedById(m_org.current()->groups); }

std::optional<Group> Directory::group(Id id) const
{
    const SnapshotPtr snap = m_org.current();
    if (const Group* g = snap->group(id))
        return *g;
    return std::nullopt;
}

QList<Id> Directory::groupMembers(Id groupId) const { return m_org.current()->membersOf(groupId); }

QList<Id> Directory::groupsOfUser(Id userId) const
{
    const SnapshotPtr snap = m_org.current();
    const User* u = snap->user(userId);
    return u ? snap->groupsOf(*u) : QList<Id>();
}

Result<Group> Directory::createGroup(const QString& name, Id parentId, const QString& actor)
{
    Group g;
    g.name = name;
    g.parentId = parentId;
    return createGroup(g, actor);
}

Result<Group> Directory::createGroup(const Group& wanted, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    if (auto s = validate::name(wanted.name, QStringLiteral("name")); !s.ok())
        return s.error();
    if (wanted.parentId && !group(wanted.parentId))
        return Error::notFound(QStringLiteral("parentId"), tr("group %1 does not exist").arg(wanted.parentId));
    if (auto s = validate::moneyLimit(wanted.monthlyBudget, QStringLiteral("monthlyBudget")); !s.ok())
        return s.error();
    if (wanted.settings) {
        if (auto s = validate::policy(
                *wanted.settings, QStringLiteral("settings"),
                [&base](const QString& m) { return base.models.contains(m); }, false);
            !s.ok())
            return s.error();
    }
    Group g = wanted;
    g.orgId = organization().id;
    g.name = wanted.name.trimmed();
    if (g.settings && g.settings->isEmpty())
        g.settings.reset();
    g.updatedAt = m_clock.now();
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = Store::insertGroup(tx, g); !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("group"), idText(g.id), QStringLiteral("create"), {},
                              codec::compact(codec::toJson(g)));
    });
    if (!s.ok())
        return s.error();
    edit->groups.insert(g.id, g);
    edit.publish();
    return g;
}

Result<Group> Directory::updateGroup(const Group& changed, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
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
        if (base.wouldCycle(changed.id, changed.parentId))
            return Error::conflict(QStringLiteral("parentId"),
                                   tr("group %1 cannot be moved under %2: %2 is %1 itself or one of its subgroups")
                                       .arg(current->name, group(changed.parentId)->name));
    }
    if (auto s = validate::moneyLimit(changed.monthlyBudget, QStringLiteral("monthlyBudget")); !s.ok())
        return s.error();
    if (changed.settings) {
        if (auto s = validate::policy(
                *changed.settings, QStringLiteral("settings"),
                [&base](const QString& m) { return base.models.contains(m); }, false);
            !s.ok())
            return s.error();
    }
    Group after = changed;
    after.orgId = current->orgId;
    after.name = changed.name.trimmed();
    if (after.settings && after.settings->isEmpty())
        after.settings.reset();
    after.updatedAt = std::max(m_clock.now(), current->updatedAt + 1);
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = Store::updateGroup(tx, after); !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("group"), idText(after.id), QStringLiteral("update"),
                              codec::compact(codec::toJson(*current)), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    edit->groups.insert(after.id, after);
    edit.publish();
    return after;
}

Status Directory::deleteGroup(Id id, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    auto current = group(id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("group %1 does not exist").arg(id));
    // Subgroups move up to the deleted group's parent rather than vanishing with it.
    QList<Id> children;
    {
        for (const Group& g : std::as_const(base.groups))
            if (g.parentId == id)
                children.append(g.id);
    }
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("UPDATE org_groups SET parent_id = ? WHERE parent_id = ?"),
                            {nullableId(current->parentId), id});
            !r.ok())
            return r.error();
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM org_groups WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return m_audit.record(tx, actor, QStringLiteral("group"), idText(id), QStringLiteral("delete"),
                              codec::compact(codec::toJson(*current)), {});
    });
    if (!s.ok())
        return s;
    for (Id c : std::as_const(children))
        edit->groups[c].parentId = current->parentId;
    for (Id uid : edit->members.value(id))
        edit->users[uid].groupIds.removeOne(id);
    edit->members.remove(id);
    for (const ApiKey& k : std::as_const(base.keys)) // only the keys it touches: their shards alone are copied
        if (k.groupIds.contains(id))
            edit->keys.getMutable(k.id)->groupIds.removeOne(id);
    edit->groups.remove(id);
    edit.publish();
    return {};
}

} // namespace tollgate
