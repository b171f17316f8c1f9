#pragma once

#include "core/domain/domain.h"

#include <QUndoCommand>

class QWidget;

namespace tollgate {

class Console;
class Service;

// A change of group membership that can be undone: users added to a group, removed from one, or moved between two.
// Made from what the users are a member of now, so that undo puts back exactly what was there (users already in
// the target group are not taken out of it on undo). The work runs off the GUI thread, in order.
class MembershipCommand final : public QUndoCommand
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::MembershipCommand)

public:
    enum class Kind { Add, Remove, Move };
    // nullptr when the change would do nothing (every user already there); `why` then says so.
    static MembershipCommand* make(Console& console, Kind kind, const QList<Id>& users, Id fromGroup, Id toGroup,
                                   QString* why);

    void redo() override;
    void undo() override;

    // What the change does besides membership: the limits it changes for its users ("Ann Lee: monthly cost $800.00
    // -> $150.00"), empty when none changes.
    const QString& sideEffects() const { return m_sideEffects; }
    // Pushes `command` onto the console's undo stack, after saying what else it changes and asking (when it changes
    // anything else); false, and `command` deleted, when the admin says no.
    static bool confirmAndPush(QWidget* parent, Console& console, MembershipCommand* command);

private:
    struct Change
    {
        QList<Id> add;
        Id addTo = 0;
        QList<Id> remove;
        Id removeFrom = 0;
    };
    MembershipCommand(Console& console, Change forward, Change backward, const QString& text);
    static QString limitChanges(const Service& s, const Change& c);
    void apply(const Change& change);

    Console& m_console;
    Change m_forward;
    Change m_backward;
    QString m_sideEffects;
};

// A group moved under another (or to the top level), undoably. A cycle is refused before the command is made.
class ReparentCommand final : public QUndoCommand
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::ReparentCommand)

public:
    ReparentCommand(Console& console, Id group, Id oldParent, Id newParent, const QString& text);
    void redo() override { apply(m_newParent); }
    void undo() override { apply(m_oldParent); }

private:
    void apply(Id parent);
    Console& m_console;
    Id m_group;
    Id m_oldParent;
    Id m_newParent;
};

} // namespace tollgate
