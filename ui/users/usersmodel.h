#pragma once

#include "core/domain/domain.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

namespace tollgate {

class Service;

// One user as the users table shows it.
struct UserRow
{
    Id id = 0;
    QString name;
    QString email;
    UserStatus status = UserStatus::Active;
    QStringList groupNames; // sorted
    QList<Id> groupIds;
    Money spend = 0; // this month
    std::optional<Money> limit; // the effective monthly cost limit
    QString haystack; // lower-cased name, email and groups: what the filter searches
    // Places in the order of the name, email and groups columns (case-insensitive; equal texts share one), so that
    // sorting after each keystroke compares numbers, not texts.
    int nameRank = 0;
    int emailRank = 0;
    int groupsRank = 0;
};

// The organisation's users with their groups and this month's spend against their limit. Loaded off the GUI
// thread with load(), then handed over with setRows().
class UsersModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UsersModel)

public:
    enum Column { Name, Email, Status, Groups, Spend, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole, // typed value for sorting
        IdRole,
        BadgesRole, // QStringList of group names
        SpendRole, // Money
        LimitRole, // Money, or invalid when unlimited
    };

    explicit UsersModel(QObject* parent = nullptr);

    // Every user, or the direct members of one group.
    static QList<UserRow> load(const Service& service, Id membersOf = 0);
    // Drags out of this model come from this group (a drop on another group moves them); 0: the users table.
    void setSourceGroup(Id group) { m_sourceGroup = group; }
    void setRows(QList<UserRow> rows);
    const UserRow& row(int r) const { return m_rows[r]; }
    int rowOf(Id id) const { return m_index.value(id, -1); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QModelIndexList& indexes) const override;
    Qt::DropActions supportedDragActions() const override { return Qt::CopyAction | Qt::MoveAction; }

private:
    QList<UserRow> m_rows;
    QHash<Id, int> m_index;
    Id m_sourceGroup = 0;
};

// Filters as you type (every word must appear in the name, email or a group name) and sorts on typed values,
// reading the rows directly: a keystroke over 100,000 users costs no QVariant per row.
class UsersFilter final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UsersFilter)

public:
    explicit UsersFilter(QObject* parent = nullptr);
    void setSourceModel(QAbstractItemModel* model) override;
    void setText(const QString& text);
    void setStatus(std::optional<UserStatus> status);
    QList<Id> idsOf(const QModelIndexList& proxyRows) const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    UsersModel* m_users = nullptr;
    QStringList m_words;
    std::optional<UserStatus> m_status;
};

} // namespace tollgate
