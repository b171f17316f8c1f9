#include "ui/users/usersmodel.h"

#include "core/service/service.h"
#include "ui/dragdrop.h"
#include "ui/format.h"
#include "ui/widgets/tables.h"

#include <QColor>

namespace tollgate {

UsersModel::UsersModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

QList<UserRow> UsersModel::load(const Service& service, Id membersOf)
{
    QHash<Id, QString> groupNames;
    QHash<Id, Id> parents;
    for (const Group& g : service.directory().groups()) {
        groupNames.insert(g.id, g.name);
        parents.insert(g.id, g.parentId);
    }
    const QHash<Id, Money> spend = service.usage().monthToDateSpend(UsageDimension::User).valueOr({});
    QList<User> users;
    if (membersOf) {
        for (Id id : service.directory().groupMembers(membersOf))
            if (auto u = service.directory().user(id))
                users.append(*u);
    } else {
        users = service.directory().users();
    }
    QList<UserRow> rows;
    rows.reserve(users.size());
    for (const User& u : users) {
        UserRow r;
        r.id = u.id;
        r.name = u.name;
        r.email = u.email;
        r.status = u.status;
        r.groupIds = u.groupIds;
        for (Id g : u.groupIds)
            r.groupNames << groupNames.value(g);
        r.groupNames.sort(Qt::CaseInsensitive);
        r.spend = spend.value(u.id);
        const ResolvedLimit monthly = service.directory().effectivePolicy(u.id)[Dimension::MonthlyCost];
        if (monthly.value.isLimited())
            r.limit = monthly.value.value;
        // Filtering by a group finds its subgroups' members too: the groups above each one are in the text searched.
        QStringList above;
        for (Id g : u.groupIds)
            for (Id p = parents.value(g), hops = 0; p && hops < 64; p = parents.value(p), ++hops)
                above << groupNames.value(p);
        r.haystack =
            (u.name + u'\n' + u.email + u'\n' + r.groupNames.join(u'\n') + u'\n' + above.join(u'\n')).toLower();
        rows.append(std::move(r));
    }
    std::sort(rows.begin(), rows.end(), [](const UserRow& a, const UserRow& b) { return a.id < b.id; });
    const auto rank = [&rows](int UserRow::*place, const auto& textOf) {
        QList<std::pair<QString, qsizetype>> order;
        order.reserve(rows.size());
        for (qsizetype i = 0; i < rows.size(); ++i)
            order.append({textOf(rows[i]).toLower(), i});
        std::sort(order.begin(), order.end());
        int n = 0;
        for (qsizetype i = 0; i < order.size(); ++i) {
            if (i > 0 && order[i].first != order[i - 1].first)
                ++n;
            rows[order[i].second].*place = n;
        }
    };
    rank(&UserRow::nameRank, [](const UserRow& r) { return r.name; });
    rank(&UserRow::emailRank, [](const UserRow& r) { return r.email; });
    rank(&UserRow::groupsRank, [](const UserRow& r) { return r.groupNames.join(u','); });
    return rows;
}

void UsersModel::setRows(QList<UserRow> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    m_index.clear();
    m_index.reserve(m_rows.size());
    for (int i = 0; i < m_rows.size(); ++i)
        m_index.insert(m_rows[i].id, i);
    endResetModel();
}

int UsersModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

int UsersModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant UsersModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const UserRow& r = m_rows[index.row()];
    switch (role) {
    case IdRole: return r.id;
    case BadgesRole: return r.groupNames;
    case SpendRole: return r.spend;
    case LimitRole: return r.limit ? QVariant(*r.limit) : QVariant();
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
    case SortRole:
        switch (index.column()) {
        case Name: return r.name;
        case Email: return r.email;
        case Status:
            if (role == SortRole)
                return int(r.status);
            return r.status == UserStatus::Active ? tr("Active") : tr("Inactive");
        case Groups: return role == SortRole ? QVariant(r.groupNames.join(u',')) : QVariant(r.groupNames.join(u", "));
        case Spend:
            if (role == SortRole)
                return r.spend;
            return r.limit ? tr("%1 of %2").arg(format::money(r.spend), format::money(*r.limit))
                           : tr("%1 (no limit)").arg(format::money(r.spend));
        }
        break;
    case Qt::ForegroundRole:
        if (r.status == UserStatus::Inactive)
            return QColor(Qt::gray);
        break;
    }
    return {};
}

QVariant UsersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name: return tr("Name");
    case Email: return tr("Email");
    case Status: return tr("Status");
    case Groups: return tr("Groups");
    case Spend: return tr("Spend this month");
    }
    return {};
}

Qt::ItemFlags UsersModel::flags(const QModelIndex& index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid())
        f |= Qt::ItemIsDragEnabled;
    return f;
}

QStringList UsersModel::mimeTypes() const { return {QString(dragdrop::kUsersMime)}; }

QMimeData* UsersModel::mimeData(const QModelIndexList& indexes) const
{
    QList<Id> ids;
    for (const QModelIndex& i : indexes)
        if (i.isValid() && !ids.contains(m_rows[i.row()].id))
            ids.append(m_rows[i.row()].id);
    return dragdrop::encodeUsers(ids, m_sourceGroup);
}

UsersFilter::UsersFilter(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(UsersModel::SortRole);
}

void UsersFilter::setSourceModel(QAbstractItemModel* model)
{
    m_users = qobject_cast<UsersModel*>(model);
    Q_ASSERT(m_users);
    QSortFilterProxyModel::setSourceModel(model);
}

void UsersFilter::setText(const QString& text)
{
    const QStringList words = text.toLower().split(u' ', Qt::SkipEmptyParts);
    if (words == m_words)
        return;
    m_words = words;
    // One layout change instead of a signal per removed range: with 100,000 rows, the incremental way costs
    // seconds when a keystroke drops tens of thousands of scattered rows.
    invalidate();
}

void UsersFilter::setStatus(std::optional<UserStatus> status)
{
    if (status == m_status)
        return;
    m_status = status;
    invalidate();
}

QList<Id> UsersFilter::idsOf(const QModelIndexList& proxyRows) const
{
    QList<Id> ids;
    ids.reserve(proxyRows.size());
    for (const QModelIndex& i : proxyRows)
        ids.append(m_users->row(mapToSource(i).row()).id);
    return ids;
}

bool UsersFilter::filterAcceptsRow(int sourceRow, const QModelIndex&) const
{
    const UserRow& r = m_users->row(sourceRow);
    if (m_status && r.status != *m_status)
        return false;
    for (const QString& w : m_words)
        if (!r.haystack.contains(w))
            return false;
    return true;
}

bool UsersFilter::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    const UserRow& a = m_users->row(left.row());
    const UserRow& b = m_users->row(right.row());
    switch (left.column()) {
    case UsersModel::Name: return a.nameRank < b.nameRank;
    case UsersModel::Email: return a.emailRank < b.emailRank;
    case UsersModel::Status: return a.status < b.status;
    case UsersModel::Groups: return a.groupsRank < b.groupsRank;
    case UsersModel::Spend: return a.spend < b.spend;
    }
    return a.id < b.id;
}

} // namespace tollgate
