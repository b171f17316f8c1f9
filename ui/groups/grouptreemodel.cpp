#include "ui/groups/grouptreemodel.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/dragdrop.h"
#include "ui/format.h"
#include "ui/groups/membership.h"

#include <QApplication>
#include <QCollator>
#include <QMimeData>
#include <QUndoStack>

namespace tollgate {

GroupTreeModel::GroupTreeModel(Console& console, QObject* parent)
    : QAbstractItemModel(parent)
    , m_console(console)
{
}

GroupTree GroupTreeModel::load(const Service& service)
{
    GroupTree t;
    const QHash<Id, Money> spend = service.usage().monthToDateSpend(UsageDimension::Group).valueOr({});
    for (const Group& g : service.directory().groups()) {
        GroupRow r;
        r.group = g;
        r.members = service.directory().groupMembers(g.id).size();
        r.spend = spend.value(g.id);
        t.rows.insert(g.id, r);
    }
    for (auto it = t.rows.begin(); it != t.rows.end(); ++it) {
        const Id parent = it->group.parentId;
        if (parent && t.rows.contains(parent))
            t.rows[parent].children.append(it.key());
        else
            t.top.append(it.key());
    }
    QCollator collator;
    collator.setNumericMode(true);
    const auto byName = [&](Id a, Id b) {
        const int c = collator.compare(t.rows[a].group.name, t.rows[b].group.name);
        return c != 0 ? c < 0 : a < b;
    };
    std::sort(t.top.begin(), t.top.end(), byName);
    for (GroupRow& r : t.rows)
        std::sort(r.children.begin(), r.children.end(), byName);
    return t;
}

void GroupTreeModel::setTree(GroupTree tree)
{
    beginResetModel();
    m_tree = std::move(tree);
    endResetModel();
}

const QList<Id>& GroupTreeModel::siblingsOf(Id parentId) const
{
    if (!parentId)
        return m_tree.top;
    return m_tree.rows.find(parentId)->children;
}

QModelIndex GroupTreeModel::indexOf(Id id, int column) const
{
    const auto it = m_tree.rows.constFind(id);
    if (it == m_tree.rows.cend())
        return {};
    const Id parent = m_tree.rows.contains(it->group.parentId) ? it->group.parentId : 0;
    return createIndex(int(siblingsOf(parent).indexOf(id)), column, quintptr(id));
}

QModelIndex GroupTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    const Id parentId = parent.isValid() ? Id(parent.internalId()) : 0;
    return createIndex(row, column, quintptr(siblingsOf(parentId)[row]));
}

QModelIndex GroupTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    const Id parent = m_tree.rows.value(Id(child.internalId())).group.parentId;
    if (!parent || !m_tree.rows.contains(parent))
        return {};
    return indexOf(parent);
}

int GroupTreeModel::rowCount(const QModelIndex& parent) const
{
    if (parent.column() > 0)
        return 0;
    return int(siblingsOf(parent.isValid() ? Id(parent.internalId()) : 0).size());
}

int GroupTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant GroupTreeModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const GroupRow& r = *m_tree.rows.constFind(Id(index.internalId()));
    if (role == IdRole)
        return r.group.id;
    if (role == Qt::TextAlignmentRole && index.column() != Name)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name: return r.group.name;
    case Members: return format::count(r.members);
    case Spend: return format::money(r.spend);
    case Budget:
        if (!r.group.monthlyBudget)
            return tr("no budget");
        return r.group.budgetAction == BudgetAction::Warn ? tr("%1 (warn)").arg(format::money(*r.group.monthlyBudget))
                                                          : format::money(*r.group.monthlyBudget);
    }
    return {};
}

QVariant GroupTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractItemModel::headerData(section, orientation, role);
    switch (section) {
    case Name: return tr("Group");
    case Members: return tr("Members");
    case Spend: return tr("This month");
    case Budget: return tr("Monthly budget");
    }
    return {};
}

Qt::ItemFlags GroupTreeModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::ItemIsDropEnabled; // the empty area: a group dropped there becomes top-level
    return QAbstractItemModel::flags(index) | Qt::ItemIsDragEnabled | Qt::ItemIsDropEnabled;
}

QStringList GroupTreeModel::mimeTypes() const { return {QString(dragdrop::kUsersMime), QString(dragdrop::kGroupMime)}; }

QMimeData* GroupTreeModel::mimeData(const QModelIndexList& indexes) const
{
    for (const QModelIndex& i : indexes)
        if (i.isValid())
            return dragdrop::encodeGroup(Id(i.internalId()));
    return nullptr;
}

bool GroupTreeModel::isInside(Id group, Id ancestor) const
{
    for (Id g = group; g; g = m_tree.rows.value(g).group.parentId) {
        if (g == ancestor)
            return true;
        if (!m_tree.rows.contains(g))
            break;
    }
    return false;
}

bool GroupTreeModel::canDropMimeData(const QMimeData* data, Qt::DropAction, int, int, const QModelIndex& parent) const
{
    if (data->hasFormat(dragdrop::kUsersMime))
        return parent.isValid();
    return data->hasFormat(dragdrop::kGroupMime);
}

bool GroupTreeModel::dropMimeData(const QMimeData* data, Qt::DropAction action, int, int, const QModelIndex& parent)
{
    const Service& service = m_console.service();
    const Id target = parent.isValid() ? Id(parent.internalId()) : 0;
    if (auto users = dragdrop::decodeUsers(data)) {
        if (!target)
            return false;
        QList<Id> ids;
        for (Id u : std::as_const(users->ids))
            if (service.directory().user(u))
                ids << u;
        if (ids.isEmpty()) {
            emit dropRefused(tr("These users no longer exist."));
            return false;
        }
        const bool move = users->fromGroup && action == Qt::MoveAction;
        QString why;
        auto* command =
            MembershipCommand::make(m_console, move ? MembershipCommand::Kind::Move : MembershipCommand::Kind::Add, ids,
                                    users->fromGroup, target, &why);
        if (!command) {
            emit dropRefused(why);
            return false;
        }
        // What else it changes (the members' limits) is said first, and asked.
        MembershipCommand::confirmAndPush(QApplication::activeWindow(), m_console, command);
        return false; // the command did the work: the views must not remove anything themselves
    }
    if (auto group = dragdrop::decodeGroup(data)) {
        const auto g = service.directory().group(*group);
        if (!g)
            return false;
        if (g->parentId == target)
            return false;
        if (target && isInside(target, *group)) {
            emit dropRefused(tr("%1 cannot go under %2: %2 is inside %1, and a group cannot contain itself.")
                                 .arg(g->name, m_tree.rows.value(target).group.name));
            return false;
        }
        const QString text = target ? tr("Move group %1 under %2").arg(g->name, m_tree.rows.value(target).group.name)
                                    : tr("Make %1 a top-level group").arg(g->name);
        m_console.undoStack()->push(new ReparentCommand(m_console, g->id, g->parentId, target, text));
        return false;
    }
    return false;
}

} // namespace tollgate
