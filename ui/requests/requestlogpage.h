#pragma once

#include "core/ledger/ledger.h"
#include "core/usage/usagetypes.h"
#include "ui/page.h"
#include "ui/widgets/listmodel.h"

#include <QTimeZone>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QTableView;
class QTextBrowser;

namespace tollgate {

// Every request the gateway answered, newest first, filtered by user, key, model, customer, status and time. A
// request's details say why it was refused (or had max_tokens lowered) and explain what would be decided for the
// same caller now.
class RequestLogPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestLogPage)

public:
    explicit RequestLogPage(Console& console, QWidget* parent = nullptr);
    void reload() override;
    // Shows the records matching `filter` (from the dashboard or the keys page).
    void applyFilter(const UsageLogFilter& filter, const QString& description);
    ListModel<UsageRecord>* model() const { return m_model; }
    bool showSampleDetail() override;

signals:
    void loaded();

private:
    UsageLogFilter filterFromFields() const;
    QTimeZone zone() const; // the organisation's: the range and the rows are in it
    Instant editTime(const QDateTimeEdit* edit) const;
    void setEditTime(QDateTimeEdit* edit, Instant t) const;
    void showDetails();
    // The limits in force for a decision, the binding one in bold.
    QString limitsTable(const Decision& decision, const QString& timezone) const;

    ListModel<UsageRecord>* m_model = nullptr;
    QTableView* m_table = nullptr;
    QTextBrowser* m_details = nullptr;
    QLineEdit* m_user = nullptr;
    QComboBox* m_key = nullptr;
    QComboBox* m_model_ = nullptr;
    QComboBox* m_customer = nullptr;
    QComboBox* m_status = nullptr;
    QDateTimeEdit* m_from = nullptr;
    QDateTimeEdit* m_to = nullptr;
    QCheckBox* m_live = nullptr;
    QLabel* m_zone = nullptr;
    QWidget* m_drillDown = nullptr;
    QLabel* m_drillDownText = nullptr;
    quint64 m_loads = 0;
    UsageLogFilter m_fixed; // from a drill-down; cleared by editing the fields
    QString m_fixedDescription;
};

} // namespace tollgate
