#include "ui/users/userspage.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/format.h"
#include "ui/groups/grouptreemodel.h"
#include "ui/groups/membership.h"
#include "ui/users/userdelegates.h"
#include "ui/users/userdialog.h"
#include "ui/users/usersmodel.h"
#include "ui/widgets/dialogs.h"
#include "ui/widgets/messagebanner.h"
#include "ui/widgets/tables.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QSplitter>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QUndoStack>

namespace tollgate {

namespace {
constexpr qsizetype kShowProgressFrom = 500;
} // namespace

UsersPage::UsersPage(Console& console, QWidget* parent)
    : Page(console, tr("Users"), parent)
    , m_model(new UsersModel(this))
    , m_filter(new UsersFilter(this))
    , m_groupModel(new GroupTreeModel(console, this))
{
    m_filter->setSourceModel(m_model);

    auto* searchRow = new QHBoxLayout;
    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("userSearch"));
    leaveUndoToTheWindow(m_search);
    m_search->setObjectName(QStringLiteral("userSearch"));
    m_search->setPlaceholderText(tr("Filter by name, email or group"));
    m_search->setClearButtonEnabled(true);
    m_statusFilter = new QComboBox(this);
    m_statusFilter->addItem(tr("All statuses"));
    m_statusFilter->addItem(tr("Active"), int(UserStatus::Active));
    m_statusFilter->addItem(tr("Inactive"), int(UserStatus::Inactive));
    m_count = new QLabel(this);
    searchRow->addWidget(m_search, 1);
    searchRow->addWidget(m_statusFilter);
    searchRow->addWidget(m_count);
    content()->addLayout(searchRow);

    auto* bar = new QToolBar(this);
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    const auto action = [&](const char* name, const QString& text, auto slot, bool needsSelection) {
        QAction* a = bar->addAction(text);
        a->setObjectName(QLatin1String(name));
        connect(a, &QAction::triggered, this, slot);
        if (needsSelection)
            m_selectionActions << a;
        return a;
    };
    action("newUser", tr("New user\u2026"), &UsersPage::newUser, false);
    const auto menuAction = [&](const char* name, const QString& text, bool add) {
        auto* menu = new QMenu(this);
        connect(menu, &QMenu::aboutToShow, this, [this, menu, add] { fillGroupMenu(menu, add); });
        QAction* a = bar->addAction(text);
        a->setObjectName(QLatin1String(name));
        a->setMenu(menu);
        qobject_cast<QToolButton*>(bar->widgetForAction(a))->setPopupMode(QToolButton::InstantPopup);
        m_selectionActions << a;
    };
    menuAction("addToGroup", tr("Add to group"), true);
    menuAction("removeFromGroup", tr("Remove from group"), false);
    action("setMonthlyLimit", tr("Set monthly limit\u2026"), &UsersPage::setMonthlyLimit, true);
    action(
        "activate", tr("Activate"), [this] { setStatus(UserStatus::Active); }, true);
    action(
        "deactivate", tr("Deactivate"), [this] { setStatus(UserStatus::Inactive); }, true);
    action("deleteUsers", tr("Delete\u2026"), &UsersPage::deleteUsers, true);
    bar->addSeparator();
    action("defaultLimit", tr("Default limit for new users\u2026"), &UsersPage::setDefaultLimit, false);
    content()->addWidget(bar);

    auto* splitter = new QSplitter(this);
    m_view = new UsersView(splitter);
    m_view->setModel(m_filter);
    setEmptyText(m_view, tr("No users yet: New user\u2026 adds one."), tr("Nobody matches the filter."));
    m_view->setItemDelegateForColumn(UsersModel::Groups, new BadgeDelegate(m_view));
    m_view->setItemDelegateForColumn(UsersModel::Spend, new SpendBarDelegate(m_view));
    m_view->sortByColumn(UsersModel::Name, Qt::AscendingOrder);
    m_view->horizontalHeader()->resizeSection(UsersModel::Name, 150);
    m_view->horizontalHeader()->resizeSection(UsersModel::Email, 200);
    m_view->horizontalHeader()->resizeSection(UsersModel::Status, 70);
    m_view->horizontalHeader()->resizeSection(UsersModel::Groups, 170);
    m_groups = new QTreeView(splitter);
    m_groups->setObjectName(QStringLiteral("dropGroups"));
    m_groups->setModel(m_groupModel);
    m_groups->setDragDropMode(QAbstractItemView::DropOnly);
    m_groups->setAcceptDrops(true);
    m_groups->setDropIndicatorShown(true);
    m_groups->setHeaderHidden(false);
    for (int c : {GroupTreeModel::Spend, GroupTreeModel::Budget})
        m_groups->setColumnHidden(c, true);
    m_groups->header()->setStretchLastSection(false);
    m_groups->header()->setSectionResizeMode(GroupTreeModel::Name, QHeaderView::Stretch);
    m_groups->header()->setSectionResizeMode(GroupTreeModel::Members, QHeaderView::ResizeToContents);
    m_groups->setMinimumWidth(230);
    m_groups->setToolTip(tr("Drop users on a group to add them to it"));
    splitter->addWidget(m_view);
    splitter->addWidget(m_groups);
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);
    content()->addWidget(splitter, 1);

    auto* progressRow = new QHBoxLayout;
    m_progressText = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 0);
    m_progress->setMaximumWidth(200);
    progressRow->addWidget(m_progressText, 1);
    progressRow->addWidget(m_progress);
    content()->addLayout(progressRow);
    m_progress->hide();
    m_progressText->hide();

    connect(m_search, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_filter->setText(text);
        updateCounts();
    });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this, [this] {
        const QVariant s = m_statusFilter->currentData();
        m_filter->setStatus(s.isValid() ? std::optional(UserStatus(s.toInt())) : std::nullopt);
        updateCounts();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &UsersPage::updateCounts);
    connect(m_view, &QAbstractItemView::doubleClicked, this, &UsersPage::editUser);
    connect(m_groupModel, &GroupTreeModel::dropRefused, this, [this](const QString& why) { banner()->showError(why); });
    connect(&console, &Console::usageChanged, this, [this] {
        if (isVisible())
            reload();
    });
    updateCounts();
}

void UsersPage::reload()
{
    if (m_loading) {
        m_reloadAgain = true;
        return;
    }
    m_loading = true;
    const Service& service = console().service();
    console().run<QList<UserRow>>(
        this, [&service] { return UsersModel::load(service); },
        [this](QList<UserRow> rows) {
            const QList<Id> selected = selectedIds();
            const Id current = m_view->currentIndex().isValid()
                ? m_model->row(m_filter->mapToSource(m_view->currentIndex()).row()).id
                : 0;
            m_model->setRows(std::move(rows));
            if (!selected.isEmpty()) {
                QItemSelection selection;
                for (Id id : selected) {
                    const int r = m_model->rowOf(id);
                    if (r < 0)
                        continue;
                    const QModelIndex p = m_filter->mapFromSource(m_model->index(r, 0));
                    if (p.isValid())
                        selection.select(p, p.siblingAtColumn(UsersModel::ColumnCount - 1));
                }
                m_view->selectionModel()->select(selection, QItemSelectionModel::Select);
            }
            if (current && m_model->rowOf(current) >= 0)
                m_view->selectionModel()->setCurrentIndex(
                    m_filter->mapFromSource(m_model->index(m_model->rowOf(current), 0)), QItemSelectionModel::NoUpdate);
            updateCounts();
            m_loading = false;
            if (std::exchange(m_reloadAgain, false))
                reload();
            else
                emit loaded();
        });
    console().run<GroupTree>(
        this, [&service] { return GroupTreeModel::load(service); },
        [this](GroupTree tree) {
            m_groupModel->setTree(std::move(tree));
            m_groups->expandAll();
        });
}

QList<Id> UsersPage::selectedIds() const { return m_filter->idsOf(m_view->selectionModel()->selectedRows()); }

void UsersPage::updateCounts()
{
    const qsizetype selected = m_view->selectionModel()->selectedRows().size();
    QString text = m_filter->rowCount() == m_model->rowCount()
        ? tr("%n user(s)", nullptr, m_model->rowCount())
        : tr("%1 of %n user(s)", nullptr, m_model->rowCount()).arg(format::count(m_filter->rowCount()));
    if (selected)
        text += tr(", %n selected", nullptr, int(selected));
    m_count->setText(text);
    for (QAction* a : std::as_const(m_selectionActions))
        a->setEnabled(selected > 0 && !m_progress->isVisible());
}

void UsersPage::fillGroupMenu(QMenu* menu, bool add)
{
    menu->clear();
    const QList<Id> ids = selectedIds();
    QList<Group> groups = console().service().directory().groups();
    std::sort(groups.begin(), groups.end(),
              [](const Group& a, const Group& b) { return a.name.compare(b.name, Qt::CaseInsensitive) < 0; });
    for (const Group& g : std::as_const(groups)) {
        QAction* a = menu->addAction(g.name);
        a->setData(g.id);
        connect(a, &QAction::triggered, this, [this, ids, add, id = g.id] {
            QString why;
            auto* c =
                MembershipCommand::make(console(), add ? MembershipCommand::Kind::Add : MembershipCommand::Kind::Remove,
                                        ids, add ? 0 : id, add ? id : 0, &why);
            if (c)
                MembershipCommand::confirmAndPush(this, console(), c);
            else
                banner()->showMessage(MessageBanner::Kind::Information, why);
        });
    }
    if (groups.isEmpty())
        menu->addAction(tr("No groups yet"))->setEnabled(false);
}

void UsersPage::runBulk(const QString& doing, const QString& done, qsizetype count, std::function<Status()> work)
{
    if (count >= kShowProgressFrom) {
        m_progressText->setText(doing);
        m_progressText->show();
        m_progress->show();
    }
    updateCounts();
    console().write<Status>(this, std::move(work), [this, done](Status s) {
        m_progress->hide();
        m_progressText->hide();
        updateCounts();
        if (s.ok())
            banner()->showInfo(done);
        else
            banner()->showError(s.error().message);
    });
}

void UsersPage::setMonthlyLimit()
{
    const QList<Id> ids = selectedIds();
    if (ids.isEmpty())
        return;
    const auto text = dialogs::askMoney(
        this, tr("Monthly limit"),
        tr("Monthly spending limit for %n user(s), in dollars (empty: no personal limit):", nullptr, int(ids.size())));
    if (!text)
        return;
    auto limit = format::optionalDollars(*text, tr("monthly limit"));
    if (!limit.ok())
        return banner()->showError(tr("Nothing changed: %1").arg(limit.error().message));
    Service& s = console().service();
    const std::optional<Money> value = limit.value();
    runBulk(tr("Setting the monthly limit of %n user(s)\u2026", nullptr, int(ids.size())),
            value ? tr("Monthly limit %1 set for %n user(s).", nullptr, int(ids.size())).arg(format::money(*value))
                  : tr("Personal monthly limit removed for %n user(s).", nullptr, int(ids.size())),
            ids.size(), [&s, ids, value] { return s.directory().setUsersMonthlyLimit(ids, value, Console::actor()); });
}

void UsersPage::setStatus(UserStatus status)
{
    const QList<Id> ids = selectedIds();
    if (ids.isEmpty())
        return;
    Service& s = console().service();
    const bool active = status == UserStatus::Active;
    runBulk(active ? tr("Activating %n user(s)\u2026", nullptr, int(ids.size()))
                   : tr("Deactivating %n user(s)\u2026", nullptr, int(ids.size())),
            active ? tr("%n user(s) activated.", nullptr, int(ids.size()))
                   : tr("%n user(s) deactivated.", nullptr, int(ids.size())),
            ids.size(), [&s, ids, status] { return s.directory().setUsersStatus(ids, status, Console::actor()); });
}

void UsersPage::setDefaultLimit()
{
    Service& s = console().service();
    const Organization org = s.directory().organization();
    const auto text = dialogs::askMoney(
        this, tr("Default monthly limit"),
        tr("Monthly limit given to users created from now on, in dollars (empty: none):"), org.defaultUserMonthlyLimit);
    if (!text)
        return;
    auto limit = format::optionalDollars(*text, tr("default monthly limit"));
    if (!limit.ok())
        return banner()->showError(tr("Nothing changed: %1").arg(limit.error().message));
    Organization changed = org;
    changed.defaultUserMonthlyLimit = limit.value();
    auto r = s.directory().updateOrganization(changed, Console::actor());
    if (!r.ok())
        return banner()->showError(r.error().message);
    banner()->showInfo(limit.value() ? tr("New users get a monthly limit of %1.").arg(format::money(*limit.value()))
                                     : tr("New users get no personal monthly limit."));
}

void UsersPage::newUser()
{
    UserDialog dialog(console().service(), std::nullopt, this);
    if (dialog.exec() == QDialog::Accepted)
        banner()->showInfo(tr("User created."));
}

void UsersPage::editUser()
{
    const QList<Id> ids = selectedIds();
    if (ids.size() != 1)
        return;
    const auto user = console().service().directory().user(ids.first());
    if (!user)
        return;
    UserDialog dialog(console().service(), user, this);
    if (dialog.exec() == QDialog::Accepted)
        banner()->showInfo(tr("Saved."));
}

void UsersPage::deleteUsers()
{
    const QList<Id> ids = selectedIds();
    if (ids.isEmpty())
        return;
    if (dialogs::confirm(
            this, tr("Delete users"),
            tr("Delete %n user(s)? Their keys stop working; their usage records stay.", nullptr, int(ids.size())))
        != dialogs::Answer::Yes)
        return;
    Service& s = console().service();
    runBulk(tr("Deleting %n user(s)\u2026", nullptr, int(ids.size())),
            tr("%n user(s) deleted.", nullptr, int(ids.size())), ids.size(), [&s, ids]() -> Status {
                for (Id id : ids)
                    if (Status st = s.directory().deleteUser(id, Console::actor()); !st.ok())
                        return st;
                return {};
            });
}

} // namespace tollgate
