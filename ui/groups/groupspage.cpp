#include "ui/groups/groupspage.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/dragdrop.h"
#include "ui/format.h"
#include "ui/groups/grouptreemodel.h"
#include "ui/groups/membership.h"
#include "ui/users/userdelegates.h"
#include "ui/users/usersmodel.h"
#include "ui/widgets/dialogs.h"
#include "ui/widgets/messagebanner.h"
#include "ui/widgets/moneyedit.h"
#include "ui/widgets/tables.h"

#include <QComboBox>
#include <QDropEvent>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QToolBar>
#include <QTreeView>
#include <QUndoStack>

namespace tollgate {

namespace {

// The group tree. Qt's views silently ignore a drop of an item onto its own descendants; this one lets the model
// refuse it and say why (a group cannot contain itself).
class GroupTreeView final : public QTreeView
{
public:
    using QTreeView::QTreeView;

protected:
    void dragMoveEvent(QDragMoveEvent* event) override
    {
        QTreeView::dragMoveEvent(event);
        if (ontoItsOwnSubgroup(event))
            event->accept();
    }
    void dropEvent(QDropEvent* event) override
    {
        if (!ontoItsOwnSubgroup(event))
            return QTreeView::dropEvent(event);
        model()->dropMimeData(event->mimeData(), Qt::MoveAction, -1, -1, indexAt(event->position().toPoint()));
        event->setDropAction(Qt::IgnoreAction);
        event->accept();
    }

private:
    bool ontoItsOwnSubgroup(const QDropEvent* event) const
    {
        const auto group = dragdrop::decodeGroup(event->mimeData());
        const QModelIndex target = indexAt(event->position().toPoint());
        const auto* groups = qobject_cast<const GroupTreeModel*>(model());
        return group && groups && target.isValid() && Id(target.internalId()) != *group
            && groups->isInside(Id(target.internalId()), *group);
    }
};

} // namespace

GroupsPage::GroupsPage(Console& console, QWidget* parent)
    : Page(console, tr("Groups"), parent)
    , m_model(new GroupTreeModel(console, this))
    , m_memberModel(new UsersModel(this))
    , m_memberFilter(new UsersFilter(this))
{
    auto* bar = new QToolBar(this);
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    connect(bar->addAction(tr("New group\u2026")), &QAction::triggered, this, [this] { newGroup(false); });
    connect(bar->addAction(tr("New subgroup\u2026")), &QAction::triggered, this, [this] { newGroup(true); });
    connect(bar->addAction(tr("Rename\u2026")), &QAction::triggered, this, &GroupsPage::renameGroup);
    connect(bar->addAction(tr("Delete\u2026")), &QAction::triggered, this, &GroupsPage::deleteGroup);
    bar->addSeparator();
    bar->addAction(console.undoStack()->createUndoAction(this, tr("Undo")));
    bar->addAction(console.undoStack()->createRedoAction(this, tr("Redo")));
    content()->addWidget(bar);

    auto* splitter = new QSplitter(this);
    m_tree = new GroupTreeView(splitter);
    m_tree->setObjectName(QStringLiteral("groupTree"));
    m_tree->setModel(m_model);
    m_tree->setDragDropMode(QAbstractItemView::DragDrop);
    m_tree->setDefaultDropAction(Qt::MoveAction);
    m_tree->setDropIndicatorShown(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->resizeSection(GroupTreeModel::Name, 170);
    m_tree->header()->resizeSection(GroupTreeModel::Members, 70);
    m_tree->header()->resizeSection(GroupTreeModel::Spend, 90);
    m_tree->header()->resizeSection(GroupTreeModel::Budget, 110);
    m_tree->setMinimumWidth(450);
    m_tree->setToolTip(tr("Drag a group onto another to make it a subgroup, onto the empty area to make it "
                          "top-level; drop users on a group to add them"));

    auto* detail = new QWidget(splitter);
    auto* detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    m_name = new QLabel(detail);
    QFont f = m_name->font();
    f.setPointSizeF(f.pointSizeF() * 1.2);
    f.setBold(true);
    m_name->setFont(f);
    m_path = new QLabel(detail);
    m_path->setStyleSheet(QStringLiteral("color: palette(mid)"));
    detailLayout->addWidget(m_name);
    detailLayout->addWidget(m_path);
    auto* budgetBox = new QGroupBox(
        tr("Aggregate monthly budget: what members spend while in the group, subgroups included"), detail);
    auto* budgetForm = new QFormLayout(budgetBox);
    m_spend = new QLabel(budgetBox);
    m_budgetBar = new QProgressBar(budgetBox);
    m_budgetBar->setTextVisible(false);
    m_budgetBar->setMaximumHeight(10);
    budgetForm->addRow(tr("This month:"), m_spend);
    budgetForm->addRow(QString(), m_budgetBar);
    auto* budgetRow = new QHBoxLayout;
    auto* budget = new MoneyEdit(QStringLiteral("groupBudget"), std::nullopt, budgetBox);
    budget->setPlaceholderText(tr("no budget"));
    m_budget = budget->lineEdit();
    m_budgetAction = new QComboBox(budgetBox);
    m_budgetAction->addItem(tr("Refuse requests over it"), int(BudgetAction::Block));
    m_budgetAction->addItem(tr("Only warn"), int(BudgetAction::Warn));
    m_saveBudget = new QPushButton(tr("Save"), budgetBox);
    budgetRow->addWidget(budget, 1);
    budgetRow->addWidget(m_budgetAction);
    budgetRow->addWidget(m_saveBudget);
    budgetForm->addRow(tr("Budget ($):"), budgetRow);
    detailLayout->addWidget(budgetBox);
    auto* membersHeader = new QHBoxLayout;
    membersHeader->addWidget(new QLabel(tr("Members (drag them onto another group to move them):"), detail), 1);
    m_remove = new QPushButton(tr("Remove from group"), detail);
    membersHeader->addWidget(m_remove);
    detailLayout->addLayout(membersHeader);
    m_memberFilter->setSourceModel(m_memberModel);
    m_members = new UsersView(detail);
    m_members->setObjectName(QStringLiteral("groupMembers"));
    m_members->setModel(m_memberFilter);
    setEmptyText(m_members, tr("No direct members: drag users here from the Users page or from another group."),
                 tr("No member matches the filter."));
    m_members->setItemDelegateForColumn(UsersModel::Groups, new BadgeDelegate(m_members));
    m_members->setItemDelegateForColumn(UsersModel::Spend, new SpendBarDelegate(m_members));
    m_members->setColumnHidden(UsersModel::Status, true);
    m_members->sortByColumn(UsersModel::Name, Qt::AscendingOrder);
    m_members->horizontalHeader()->resizeSection(UsersModel::Name, 140);
    m_members->horizontalHeader()->resizeSection(UsersModel::Email, 190);
    m_members->setDefaultDropAction(Qt::MoveAction);
    detailLayout->addWidget(m_members, 1);
    splitter->addWidget(m_tree);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    content()->addWidget(splitter, 1);

    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, &GroupsPage::showGroup);
    connect(m_model, &GroupTreeModel::dropRefused, this, [this](const QString& why) { banner()->showError(why); });
    connect(m_saveBudget, &QPushButton::clicked, this, &GroupsPage::saveBudget);
    connect(m_remove, &QPushButton::clicked, this, &GroupsPage::removeMembers);
    connect(&console, &Console::usageChanged, this, [this] {
        if (isVisible())
            reload();
    });
    showGroup();
}

Id GroupsPage::currentGroup() const
{
    const QModelIndex i = m_tree->currentIndex();
    return i.isValid() ? i.data(GroupTreeModel::IdRole).toLongLong() : 0;
}

void GroupsPage::reload()
{
    const Service& service = console().service();
    console().run<GroupTree>(
        this, [&service] { return GroupTreeModel::load(service); },
        [this](GroupTree tree) {
            const Id current = m_pendingSelection ? std::exchange(m_pendingSelection, 0) : currentGroup();
            m_model->setTree(std::move(tree));
            m_tree->expandAll();
            QModelIndex i = m_model->indexOf(current);
            if (!i.isValid() && m_model->rowCount() > 0)
                i = m_model->index(0, 0);
            m_tree->setCurrentIndex(i);
            showGroup();
            emit loaded();
        });
}

void GroupsPage::showGroup()
{
    const Id id = currentGroup();
    const GroupRow row = m_model->tree().rows.value(id);
    const bool has = id != 0;
    m_saveBudget->setEnabled(has);
    m_budget->setEnabled(has);
    m_budgetAction->setEnabled(has);
    m_remove->setEnabled(has);
    if (!has) {
        m_name->setText(tr("No group selected"));
        m_path->clear();
        m_spend->clear();
        m_budget->clear();
        m_memberModel->setRows({});
        return;
    }
    const Group& g = row.group;
    m_name->setText(g.name);
    QStringList path;
    for (Id p = g.parentId; p && m_model->tree().rows.contains(p); p = m_model->tree().rows.value(p).group.parentId)
        path.prepend(m_model->tree().rows.value(p).group.name);
    m_path->setText(
        path.isEmpty()
            ? tr("Top-level group, %n direct member(s)", nullptr, int(row.members))
            : tr("In %1, %n direct member(s)", nullptr, int(row.members)).arg(path.join(QStringLiteral(" \u203a "))));
    if (g.monthlyBudget) {
        m_spend->setText(tr("%1 of %2").arg(format::money(row.spend), format::money(*g.monthlyBudget)));
        m_budgetBar->setRange(0, 1000);
        m_budgetBar->setValue(*g.monthlyBudget > 0 ? int(std::min<qint64>(1000, row.spend * 1000 / *g.monthlyBudget))
                                                   : 1000);
        m_budgetBar->show();
    } else {
        m_spend->setText(tr("%1 (no budget)").arg(format::money(row.spend)));
        m_budgetBar->hide();
    }
    if (!m_budget->hasFocus())
        m_budget->setText(g.monthlyBudget ? format::moneyInput(*g.monthlyBudget) : QString());
    m_budgetAction->setCurrentIndex(g.budgetAction == BudgetAction::Block ? 0 : 1);
    format::markInvalid(m_budget, {});
    m_memberModel->setSourceGroup(id);
    loadMembers();
}

void GroupsPage::loadMembers()
{
    const Service& service = console().service();
    const Id id = currentGroup();
    console().run<QList<UserRow>>(
        this, [&service, id] { return UsersModel::load(service, id); },
        [this, id](QList<UserRow> rows) {
            if (id == currentGroup())
                m_memberModel->setRows(std::move(rows));
        });
}

void GroupsPage::newGroup(bool subgroup)
{
    const Id parent = subgroup ? currentGroup() : 0;
    if (subgroup && !parent)
        return banner()->showError(tr("Select the group to create a subgroup in."));
    const auto name = dialogs::askText(this, subgroup ? tr("New subgroup") : tr("New group"), tr("Name:"));
    if (!name)
        return;
    auto r = console().service().directory().createGroup(name->trimmed(), parent, Console::actor());
    if (!r.ok())
        return banner()->showError(tr("The group was not created: %1").arg(r.error().message));
    m_pendingSelection = r->id;
    banner()->showInfo(tr("Group %1 created.").arg(r->name));
}

void GroupsPage::renameGroup()
{
    auto g = console().service().directory().group(currentGroup());
    if (!g)
        return;
    const auto name = dialogs::askText(this, tr("Rename group"), tr("Name:"), g->name);
    if (!name || *name == g->name)
        return;
    g->name = name->trimmed();
    auto r = console().service().directory().updateGroup(*g, Console::actor());
    if (!r.ok())
        return banner()->showError(tr("The group was not renamed: %1").arg(r.error().message));
}

void GroupsPage::deleteGroup()
{
    const auto g = console().service().directory().group(currentGroup());
    if (!g)
        return;
    if (dialogs::confirm(
            this, tr("Delete group"),
            tr("Delete %1? Its members stay in the organisation; its subgroups move up a level.").arg(g->name))
        != dialogs::Answer::Yes)
        return;
    if (Status s = console().service().directory().deleteGroup(g->id, Console::actor()); !s.ok())
        return banner()->showError(s.error().message);
    // Commands in the history may name the group that is gone.
    console().undoStack()->clear();
    banner()->showInfo(tr("Group %1 deleted.").arg(g->name));
}

void GroupsPage::saveBudget()
{
    auto g = console().service().directory().group(currentGroup());
    if (!g)
        return;
    auto budget = format::optionalDollars(m_budget->text(), tr("budget"));
    if (!budget.ok()) {
        format::markInvalid(m_budget, budget.error().message);
        return banner()->showError(tr("Not saved: %1").arg(budget.error().message));
    }
    g->monthlyBudget = budget.value();
    g->budgetAction = BudgetAction(m_budgetAction->currentData().toInt());
    auto r = console().service().directory().updateGroup(*g, Console::actor());
    if (!r.ok())
        return banner()->showError(tr("Not saved: %1").arg(r.error().message));
    format::markInvalid(m_budget, {});
    banner()->showInfo(tr("Budget of %1 saved.").arg(g->name));
}

void GroupsPage::removeMembers()
{
    const QList<Id> ids = m_memberFilter->idsOf(m_members->selectionModel()->selectedRows());
    if (ids.isEmpty())
        return banner()->showError(tr("Select the members to remove."));
    QString why;
    if (auto* c = MembershipCommand::make(console(), MembershipCommand::Kind::Remove, ids, currentGroup(), 0, &why))
        MembershipCommand::confirmAndPush(this, console(), c);
    else
        banner()->showError(why);
}

} // namespace tollgate
