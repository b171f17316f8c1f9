#include "core/org/snapshot.h"

#include <algorithm>

namespace tollgate {

const User* Snapshot::userByEmail(const QString& email) const
{
    const Id id = usersByEmail.value(emailKey(email));
    return id ? user(id) : nullptr;
}

const Customer* Snapshot::customerByIdentifier(const QString& identifier) const
{
    const Id id = customersByIdentifier.value(identifier);
    return id ? customer(id) : nullptr;
}

QList<Id> Snapshot::groupsOf(const User& user) const
{
    QList<Id> out;
    for (Id gid : user.groupIds)
        for (Id g = gid; g && !out.contains(g); g = groups.value(g).parentId)
            out.append(g);
    std::sort(out.begin(), out.end());
    return out;
}

QList<Id> Snapshot::subtree(Id groupId) const
{
    QHash<Id, QList<Id>> children;
    for (const Group& g : groups)
        if (g.parentId)
            children[g.parentId].append(g.id);
    QList<Id> tree {groupId};
    for (qsizetype i = 0; i < tree.size(); ++i)
        for (Id child : children.value(tree[i]))
            if (!tree.contains(child))
                tree.append(child);
    return tree;
}

bool Snapshot::wouldCycle(Id groupId, Id newParentId) const
{
    for (Id p = newParentId; p; p = groups.value(p).parentId)
        if (p == groupId)
            return true;
    return false;
}

QList<Id> Snapshot::membersOf(Id groupId) const
{
    const QSet<Id> set = members.value(groupId);
    QList<Id> out(set.begin(), set.end());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace tollgate
