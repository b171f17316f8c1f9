#pragma once

#include "core/domain/domain.h"
#include "ui/page.h"

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QProgressBar;
class QTreeView;

namespace tollgate {

class GroupTreeModel;
class UsersFilter;
class UsersModel;
class UsersView;

// Every user in a table (name, email, status, groups as badges, this month's spend against the limit), filtered as
// you type, with bulk actions on the selection and the groups beside it to drop users on.
class UsersPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UsersPage)

public:
    explicit UsersPage(Console& console, QWidget* parent = nullptr);
    void reload() override;

    UsersView* view() const { return m_view; }
    UsersModel* model() const { return m_model; }
    UsersFilter* filter() const { return m_filter; }
    QTreeView* groupsView() const { return m_groups; }
    QList<Id> selectedIds() const;

signals:
    void loaded();

private:
    void updateCounts();
    void fillGroupMenu(QMenu* menu, bool add);
    void setMonthlyLimit();
    void setStatus(UserStatus status);
    void setDefaultLimit();
    void editUser();
    void newUser();
    void deleteUsers();
    // Runs a bulk change off the GUI thread, with a busy bar for large selections.
    void runBulk(const QString& doing, const QString& done, qsizetype count, std::function<Status()> work);

    UsersModel* m_model = nullptr;
    UsersFilter* m_filter = nullptr;
    UsersView* m_view = nullptr;
    GroupTreeModel* m_groupModel = nullptr;
    QTreeView* m_groups = nullptr;
    QLineEdit* m_search = nullptr;
    QComboBox* m_statusFilter = nullptr;
    QLabel* m_count = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_progressText = nullptr;
    QList<QAction*> m_selectionActions;
    bool m_loading = false;
    bool m_reloadAgain = false;
};

} // namespace tollgate
