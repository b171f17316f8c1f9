#pragma once

#include <QWidget>

class QFormLayout;
class QLabel;

namespace tollgate {

class Service;

// What the console knows about the organisation at a glance: where its data lives and how much there is.
class OverviewPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OverviewPage)

public:
    explicit OverviewPage(Service& service, QWidget* parent = nullptr);

public slots:
    void refresh();

private:
    QLabel* addRow(const QString& label);

    Service& m_service;
    QFormLayout* m_form = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_database = nullptr;
    QLabel* m_timezone = nullptr;
    QLabel* m_users = nullptr;
    QLabel* m_groups = nullptr;
    QLabel* m_projects = nullptr;
    QLabel* m_keys = nullptr;
    QLabel* m_customers = nullptr;
    QLabel* m_models = nullptr;
    QLabel* m_usage = nullptr;
    QLabel* m_budget = nullptr;
};

} // namespace tollgate
