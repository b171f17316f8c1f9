#include "ui/groups/membership.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/format.h"
#include "ui/widgets/dialogs.h"

#include <QCoreApplication>
#include <QSet>
#include <QUndoStack>

namespace tollgate {

namespace {
} // namespace

namespace {

// The limits that change for each user of `c`: its effective policy now and with the membership changed. At most six
// users are named; the rest are counted.
QString limitChangesOf(const Service& s, const QList<Id>& users, Id removeFrom, Id addTo)
{
    const SnapshotPtr snap = s.snapshot();
    QStringList lines;
    int more = 0;
    for (Id id : users) {
        const User* user = snap->user(id);
        if (!user)
            continue;
        User after = *user;
        after.groupIds.removeAll(removeFrom);
        if (addTo && !after.groupIds.contains(addTo))
            after.groupIds.append(addTo);
        std::sort(after.groupIds.begin(), after.groupIds.end());
        const EffectivePolicy was = resolveUserPolicy(*snap, *user);
        const EffectivePolicy will = resolveUserPolicy(*snap, after);
        QStringList changes;
        for (Dimension d : kAllDimensions)
            if (!(was[d].value == will[d].value))
                changes << QCoreApplication::translate("tollgate::MembershipCommand", "%1 %2 \u2192 %3")
                               .arg(dimensionLabel(d).toLower(), format::limit(d, was[d].value),
                                    format::limit(d, will[d].value));
        if (changes.isEmpty())
            continue;
        if (lines.size() >= 6) {
            ++more;
            continue;
        }
        lines << QStringLiteral("%1: %2").arg(user->name.isEmpty() ? user->email : user->name,
                                              changes.join(QStringLiteral("; ")));
    }
    if (more)
        lines << QCoreApplication::translate("tollgate::MembershipCommand", "and %n more user(s)", nullptr, more);
    return lines.join(u'\n');
}

} // namespace

QString MembershipCommand::limitChanges(const Service& s, const Change& c)
{
    QList<Id> users = c.add;
    for (Id u : c.remove)
        if (!users.contains(u))
            users << u;
    // A move takes each user out of one group and into the other at once.
    return limitChangesOf(s, users, c.removeFrom, c.addTo);
}

bool MembershipCommand::confirmAndPush(QWidget* parent, Console& console, MembershipCommand* command)
{
    if (!command->sideEffects().isEmpty()
        && dialogs::confirm(parent, command->text(),
                            tr("This changes limits in force:\n\n%1\n\nGo ahead?").arg(command->sideEffects()))
            != dialogs::Answer::Yes) {
        delete command;
        return false;
    }
    console.undoStack()->push(command);
    return true;
}

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
    auto* command = new MembershipCommand(console, forward, std::move(backward), text);
    command->m_sideEffects = limitChanges(s, forward);
    return command;
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
