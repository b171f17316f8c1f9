// Directory: the policy each user resolves to (core/policy does the resolving).

#include "core/directory/directory.h"
#include "core/org/orgstate.h"

#include <unordered_map>

namespace tollgate {

EffectivePolicy resolveUserPolicy(const Snapshot& s, const User& user, const PolicyEdit* edit)
{
    using Level = PolicyEdit::Level;
    PolicyInputs in;
    in.orgId = s.org.id;
    in.orgName = s.org.name;
    in.orgDefault = edit && edit->level == Level::Organization ? &edit->settings : &s.org.defaultPolicy;
    in.userId = user.id;
    in.userName = user.name;
    in.userOverride = edit && edit->level == Level::User ? &edit->settings
        : user.policyOverride                            ? &*user.policyOverride
                                                         : nullptr;
    in.groupIds = std::span<const qint64>(user.groupIds.constData(), size_t(user.groupIds.size()));
    // The node lives in a small per-call cache so the pointers stay valid while the resolver walks parents.
    std::unordered_map<Id, GroupPolicyNode> nodes; // node-based: pointers stay valid
    in.group = [&s, &nodes, edit](qint64 id) -> const GroupPolicyNode* {
        auto cached = nodes.find(id);
        if (cached != nodes.end())
            return &cached->second;
        const Group* it = s.group(id);
        if (!it)
            return nullptr;
        const PolicySettings* settings = edit && edit->level == Level::Group && edit->id == id ? &edit->settings
            : it->settings                                                                     ? &*it->settings
                                                                                               : nullptr;
        return &nodes.try_emplace(id, GroupPolicyNode {it->id, it->parentId, it->name, settings}).first->second;
    };
    return resolvePolicy(in);
}

EffectivePolicy Directory::previewPolicy(const PolicyEdit& edit) const
{
    const SnapshotPtr snap = m_org.current();
    User subject;
    if (edit.level == PolicyEdit::Level::User) {
        subject = snap->users.value(edit.id);
    } else if (edit.level == PolicyEdit::Level::Group) {
        subject.name = snap->groups.value(edit.id).name;
        subject.groupIds = {edit.id};
    }
    return resolveUserPolicy(*snap, subject, &edit);
}

EffectivePolicy Directory::effectivePolicy(Id userId) const
{
    const SnapshotPtr snap = m_org.current();
    const User* u = snap->user(userId);
    return u ? resolveUserPolicy(*snap, *u) : EffectivePolicy {};
}

QHash<Id, qint64> Directory::effectiveLimits(Dimension dimension) const
{
    const SnapshotPtr snap = m_org.current();
    QHash<Id, qint64> out;
    QHash<QList<Id>, Limit> byGroups; // users without an override resolve alike when their groups are alike
    std::optional<Limit> inNoGroup; // apart: Qt 6.4 compares two empty lists with memcmp(nullptr, ..., 0)
    for (const User& u : std::as_const(snap->users)) {
        Limit limit;
        if (u.policyOverride) {
            limit = resolveUserPolicy(*snap, u)[dimension].value;
        } else if (u.groupIds.isEmpty()) {
            if (!inNoGroup)
                inNoGroup = resolveUserPolicy(*snap, u)[dimension].value;
            limit = *inNoGroup;
        } else {
            auto it = byGroups.constFind(u.groupIds);
            if (it == byGroups.cend())
                it = byGroups.insert(u.groupIds, resolveUserPolicy(*snap, u)[dimension].value);
            limit = *it;
        }
        if (limit.isLimited())
            out.insert(u.id, limit.value);
    }
    return out;
}

} // namespace tollgate
