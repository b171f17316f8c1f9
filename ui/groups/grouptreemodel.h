#pragma once

#include "core/domain/domain.h"

#include <QAbstractItemModel>

namespace tollgate {

class Console;

// One group as the tree shows it.
struct GroupRow
{
    Group group;
    qint64 members = 0; // direct members
    Money spend = 0; // this month, the group and its subgroups
    QList<Id> children; // sorted by name
};

struct GroupTree
{
    QHash<Id, GroupRow> rows;
    QList<Id> top; // top-level groups, sorted by name
};

// The nested groups with member counts and this month's spend. A drop target: users dropped on a group are added
// to it (or moved, when dragged out of another group's member list); a group dropped on another becomes its
// subgroup, on the empty area a top-level group. Drops become undoable commands; a cycle is refused with a message.
class GroupTreeModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GroupTreeModel)

public:
    enum Column { Name, Members, Spend, Budget, ColumnCount };
    enum Role { IdRole = Qt::UserRole };

    explicit GroupTreeModel(Console& console, QObject* parent = nullptr);

    static GroupTree load(const class Service& service);
    void setTree(GroupTree tree);
    QModelIndex indexOf(Id id, int column = 0) const;
    const GroupTree& tree() const { return m_tree; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QModelIndexList& indexes) const override;
    Qt::DropActions supportedDropActions() const override { return Qt::CopyAction | Qt::MoveAction; }
    Qt::DropActions supportedDragActions() const override { return Qt::MoveAction; }
    bool canDropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                         const QModelIndex& parent) const override;
    bool dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                      const QModelIndex& parent) override;

    // Whether `group` is `ancestor` or below it.
    bool isInside(Id group, Id ancestor) const;

signals:
    // A drop that was not done, and why (a cycle, users that no longer exist).
    void dropRefused(const QString& why);

private:
    const QList<Id>& siblingsOf(Id parentId) const;

    Console& m_console;
    GroupTree m_tree;
};

} // namespace tollgate
