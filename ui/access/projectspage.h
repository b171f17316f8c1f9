#pragma once

#include "core/domain/domain.h"
#include "ui/page.h"
#include "ui/widgets/listmodel.h"

class QTableView;

namespace tollgate {

struct ProjectRow
{
    Project project;
    QString owner;
    Money spend = 0; // this month
};

// Shared projects (and each user's private one) with their monthly limits and this month's spend.
class ProjectsPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProjectsPage)

public:
    explicit ProjectsPage(Console& console, QWidget* parent = nullptr);
    void reload() override;

private:
    void edit(std::optional<Project> project);
    void remove();
    std::optional<Project> selected() const;

    ListModel<ProjectRow>* m_model = nullptr;
    QTableView* m_table = nullptr;
};

} // namespace tollgate
