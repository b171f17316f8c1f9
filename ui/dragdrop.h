#pragma once

#include "core/domain/domain.h"

#include <QList>
#include <QString>

class QMimeData;
class QPixmap;

namespace tollgate::dragdrop {

// Users dragged from the users table (fromGroup 0) or from a group's member list: stable ids under our own MIME
// type, never pointers.
inline constexpr QLatin1StringView kUsersMime {"application/x-tollgate-user-ids"};
// A group dragged onto another (reparent) or onto the top level.
inline constexpr QLatin1StringView kGroupMime {"application/x-tollgate-group-id"};

struct DraggedUsers
{
    QList<Id> ids;
    Id fromGroup = 0;
};

QMimeData* encodeUsers(const QList<Id>& ids, Id fromGroup);
std::optional<DraggedUsers> decodeUsers(const QMimeData* data);
QMimeData* encodeGroup(Id id);
std::optional<Id> decodeGroup(const QMimeData* data);

// The picture under the cursor: "Ann Lee" for one user, "+N users" for many.
QPixmap badgePixmap(const QString& text);

} // namespace tollgate::dragdrop
