#pragma once

#include "core/domain/domain.h"
#include "ui/page.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTreeView;

namespace tollgate {

class GroupTreeModel;
class UsersFilter;
class UsersModel;
class UsersView;

// The nested groups, with member counts and this month's spend. Users dropped on a group join it; groups dragged
// onto another become its subgroups. The selected group's members (drag them to another group to move them) and
// its aggregate budget are shown beside the tree. Every membership change can be undone.
class GroupsPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GroupsPage)

public:
    explicit GroupsPage(Console& console, QWidget* parent = nullptr);
    void reload() override;

    QTreeView* tree() const { return m_tree; }
    GroupTreeModel* model() const { return m_model; }
    UsersView* members() const { return m_members; }
    Id currentGroup() const;

signals:
    void loaded();

private:
    void showGroup();
    void loadMembers();
    void newGroup(bool subgroup);
    void renameGroup();
    void deleteGroup();
    void saveBudget();
    void removeMembers();

    GroupTreeModel* m_model = nullptr;
    QTreeView* m_tree = nullptr;
    QLabel* m_name = nullptr;
    QLabel* m_path = nullptr;
    QLabel* m_spend = nullptr;
    QProgressBar* m_budgetBar = nullptr;
    QLineEdit* m_budget = nullptr;
    QComboBox* m_budgetAction = nullptr;
    QPushButton* m_saveBudget = nullptr;
    UsersModel* m_memberModel = nullptr;
    UsersFilter* m_memberFilter = nullptr;
    UsersView* m_members = nullptr;
    QPushButton* m_remove = nullptr;
    Id m_pendingSelection = 0;
};

} // namespace tollgate
