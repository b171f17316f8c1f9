#pragma once

#include "ui/dashboard/dashboarddata.h"
#include "ui/page.h"

class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QTableWidget;

namespace tollgate {

// Spend at a glance: this period's totals, spend per day stacked by model, user or group, the top users, daily
// active users and who is close to a monthly limit. Reads the daily rollups off the GUI thread, so it stays fast
// with millions of usage records. Clicking a bar opens the request log for that day (and model or user).
class DashboardPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DashboardPage)

public:
    explicit DashboardPage(Console& console, QWidget* parent = nullptr);
    void reload() override;
    // Draws loaded data (public for the benchmark).
    void draw(const DashboardData& data);

signals:
    void chartsDrawn();
    void loaded(); // charts, top users and limit use
    // The request log, filtered: a day and a model or user.
    void drillDown(const UsageLogFilter& filter, const QString& description);

private:
    void drawStacked(const DashboardData& d);
    void drawTopUsers(const DashboardData& d);
    void drawActiveUsers(const DashboardData& d);
    void fillLimits(const DashboardData& d);

    QComboBox* m_range = nullptr;
    QComboBox* m_stackBy = nullptr;
    QLabel* m_summary = nullptr;
    QChartView* m_stacked = nullptr;
    QChartView* m_topUsers = nullptr;
    QChartView* m_activeUsers = nullptr;
    QTableWidget* m_limits = nullptr;
    quint64 m_generation = 0; // of the latest reload; older results are dropped
    int m_pending = 0; // parts of the latest reload still being read
};

} // namespace tollgate
