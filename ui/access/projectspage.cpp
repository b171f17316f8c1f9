#include "ui/access/projectspage.h"

#include "core/service/service.h"
#include "ui/console.h"
#include "ui/format.h"
#include "ui/widgets/dialogs.h"
#include "ui/widgets/editdialog.h"
#include "ui/widgets/messagebanner.h"
#include "ui/widgets/tables.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QTableView>
#include <QToolBar>

namespace tollgate {

ProjectsPage::ProjectsPage(Console& console, QWidget* parent)
    : Page(console, tr("Projects"), parent)
{
    using C = ListModel<ProjectRow>::Column;
    const auto right = Qt::AlignRight | Qt::AlignVCenter;
    m_model = new ListModel<ProjectRow>(
        {
            C {tr("Name"), [](const ProjectRow& r) { return r.project.name; }},
            C {tr("Kind"),
               [](const ProjectRow& r) {
                   return r.project.kind == ProjectKind::Shared ? tr("shared") : tr("private to %1").arg(r.owner);
               }},
            C {tr("This month"), [](const ProjectRow& r) { return format::money(r.spend); },
               [](const ProjectRow& r) { return r.spend; }, right},
            C {tr("Monthly limit"), [](const ProjectRow& r) { return format::moneyOrNone(r.project.monthlyLimit); },
               [](const ProjectRow& r) { return r.project.monthlyLimit.value_or(-1); }, right},
        },
        this);
    auto* bar = new QToolBar(this);
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    connect(bar->addAction(tr("New project\u2026")), &QAction::triggered, this, [this] { edit(std::nullopt); });
    connect(bar->addAction(tr("Edit\u2026")), &QAction::triggered, this, [this] {
        if (auto p = selected())
            edit(p);
    });
    connect(bar->addAction(tr("Delete\u2026")), &QAction::triggered, this, &ProjectsPage::remove);
    m_table = addFilteredTable(this, content(), bar, m_model, tr("Filter projects"));
    setEmptyText(m_table, tr("No projects yet: New project\u2026 makes one."), tr("No project matches the filter."));
    m_table->horizontalHeader()->resizeSection(0, 240);
    m_table->horizontalHeader()->resizeSection(1, 300);
    connect(m_table, &QTableView::doubleClicked, this, [this] {
        if (auto p = selected())
            edit(p);
    });
}

void ProjectsPage::reload()
{
    const Service& s = console().service();
    console().run<QList<ProjectRow>>(
        this,
        [&s] {
            const QHash<Id, Money> spend = s.usage().monthToDateSpend(UsageDimension::Project).valueOr({});
            QList<ProjectRow> rows;
            for (const Project& p : s.access().projects())
                rows << ProjectRow {
                    p, p.ownerUserId ? s.directory().user(p.ownerUserId).value_or(User {}).email : QString(),
                    spend.value(p.id)};
            return rows;
        },
        [this](QList<ProjectRow> rows) { m_model->setItems(std::move(rows)); });
}

std::optional<Project> ProjectsPage::selected() const
{
    const QList<int> rows = selectedSourceRows(m_table);
    if (rows.size() != 1)
        return std::nullopt;
    return m_model->item(rows.first()).project;
}

void ProjectsPage::edit(std::optional<Project> project)
{
    EditDialog dialog(project ? tr("Edit project") : tr("New project"), this);
    QLineEdit* name = dialog.addLine(QStringLiteral("name"), tr("Name:"), project ? project->name : QString());
    name->setEnabled(!project || project->kind == ProjectKind::Shared);
    QLineEdit* limit = dialog.addMoney(QStringLiteral("monthlyLimit"), tr("Monthly limit ($):"),
                                       project ? project->monthlyLimit : std::nullopt, tr("empty: no limit"));
    dialog.addNote(tr("Every request made with a key of the project counts against its limit."));
    Service& s = console().service();
    dialog.setSave([&]() -> Status {
        auto l = format::optionalDollars(limit->text(), QStringLiteral("monthlyLimit"));
        if (!l.ok())
            return l.error();
        if (!project) {
            auto r = s.access().createProject(name->text().trimmed(), l.value(), Console::actor());
            return r.ok() ? Status() : Status(r.error());
        }
        Project p = *project;
        p.name = name->text().trimmed();
        p.monthlyLimit = l.value();
        auto r = s.access().updateProject(p, Console::actor());
        return r.ok() ? Status() : Status(r.error());
    });
    if (dialog.exec() == QDialog::Accepted)
        banner()->showInfo(tr("Project saved."));
}

void ProjectsPage::remove()
{
    const auto p = selected();
    if (!p)
        return banner()->showError(tr("Select one project."));
    if (dialogs::confirm(this, tr("Delete project"), tr("Delete the project %1?").arg(p->name)) != dialogs::Answer::Yes)
        return;
    if (Status st = console().service().access().deleteProject(p->id, Console::actor()); !st.ok())
        return banner()->showError(st.error().message);
    banner()->showInfo(tr("Project %1 deleted.").arg(p->name));
}

} // namespace tollgate
