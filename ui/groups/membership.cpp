#include "ui/groups/membership.h"

#include "core/service/service.h"
#include "ui/console.h"

#include <QCoreApplication>
#include <QSet>

namespace tollgate {

namespace {
} // namespace

MembershipCommand* MembershipCommand::make(Console& console, Kind kind, const QList<Id>& users, Id fromGroup,
                                           Id toGroup, QString* why)
{
    const Service& s = console.service();
    const QList<Id> fromMembers = fromGroup ? s.directory().groupMembers(fromGroup) : QList<Id>();
    const QList<Id> toMembers = toGroup ? s.directory().groupMembers(toGroup) : QList<Id>();
    const QSet<Id> inFrom(fromMembers.cbegin(), fromMembers.cend());
    const QSet<Id> inTo(toMembers.cbegin(), toMembers.cend());
    const QString fromName = fromGroup ? s.directory().group(fromGroup).value_or(Group {}).name : QString();
    const QString toName = toGroup ? s.directory().group(toGroup).value_or(Group {}).name : QString();
    Change forward;
    Change backward;
    QString text;
    switch (kind) {
    case Kind::Add:
        for (Id u : users)
            if (!inTo.contains(u))
                forward.add << u;
        forward.addTo = backward.removeFrom = toGroup;
        backward.remove = forward.add;
        text = QCoreApplication::translate("tollgate::MembershipCommand", "Add %n user(s) to %1", nullptr,
                                           int(forward.add.size()))
                   .arg(toName);
        if (forward.add.isEmpty() && why)
            *why = tr("Already in %1.").arg(toName);
        break;
    case Kind::Remove:
        for (Id u : users)
            if (inFrom.contains(u))
                forward.remove << u;
        forward.removeFrom = backward.addTo = fromGroup;
        backward.add = forward.remove;
        text = QCoreApplication::translate("tollgate::MembershipCommand", "Remove %n user(s) from %1", nullptr,
                                           int(forward.remove.size()))
                   .arg(fromName);
        if (forward.remove.isEmpty() && why)
            *why = tr("Not in %1.").arg(fromName);
        break;
    case Kind::Move:
        if (fromGroup == toGroup) {
            if (why)
                *why = tr("Already in %1.").arg(toName);
            return nullptr;
        }
        for (Id u : users) {
            if (!inFrom.contains(u))
                continue;
            forward.remove << u;
            if (!inTo.contains(u))
                forward.add << u;
        }
        forward.removeFrom = backward.addTo = fromGroup;
        forward.addTo = backward.removeFrom = toGroup;
        backward.add = forward.remove;
        backward.remove = forward.add;
        text = QCoreApplication::translate("tollgate::MembershipCommand", "Move %n user(s) from %1 to %2", nullptr,
                                           int(forward.remove.size()))
                   .arg(fromName, toName);
        if (forward.remove.isEmpty() && why)
            *why = tr("Not in %1.").arg(fromName);
        break;
    }
    if (forward.add.isEmpty() && forward.remove.isEmpty())
        return nullptr;
    return new MembershipCommand(console, std::move(forward), std::move(backward), text);
}

MembershipCommand::MembershipCommand(Console& console, Change forward, Change backward, const QString& text)
    : QUndoCommand(text)
    , m_console(console)
    , m_forward(std::move(forward))
    , m_backward(std::move(backward))
{
}

void MembershipCommand::redo() { apply(m_forward); }
void MembershipCommand::undo() { apply(m_backward); }

void MembershipCommand::apply(const Change& change)
{
    Service& service = m_console.service();
    const QString what = text();
    m_console.write<Status>(
        &m_console,
        [&service, change] {
            const QString actor = Console::actor();
            // The same users out of one group and into another: one transaction.
            if (change.add == change.remove && change.addTo && change.removeFrom)
                return service.directory().moveUsers(change.add, change.removeFrom, change.addTo, actor);
            if (!change.add.isEmpty())
                if (Status s = service.directory().addUsersToGroup(change.add, change.addTo, actor); !s.ok())
                    return s;
            if (!change.remove.isEmpty())
                return service.directory().removeUsersFromGroup(change.remove, change.removeFrom, actor);
            return Status();
        },
        [this, what](Status s) {
            if (!s.ok())
                m_console.tell(true, tr("%1 failed: %2").arg(what, s.error().message));
        });
}

ReparentCommand::ReparentCommand(Console& console, Id group, Id oldParent, Id newParent, const QString& text)
    : QUndoCommand(text)
    , m_console(console)
    , m_group(group)
    , m_oldParent(oldParent)
    , m_newParent(newParent)
{
}

void ReparentCommand::apply(Id parent)
{
    Service& service = m_console.service();
    const Id id = m_group;
    const QString what = text();
    m_console.write<Status>(
        &m_console,
        [&service, id, parent]() -> Status {
            auto g = service.directory().group(id);
            if (!g)
                return Error::notFound(QStringLiteral("group"), ReparentCommand::tr("the group no longer exists"));
            g->parentId = parent;
            g->updatedAt = 0;
            auto r = service.directory().updateGroup(*g, Console::actor());
            return r.ok() ? Status() : Status(r.error());
        },
        [this, what](Status s) {
            if (!s.ok())
                m_console.tell(true, ReparentCommand::tr("%1 failed: %2").arg(what, s.error().message));
        });
}

} // namespace tollgate
