#pragma once

#include "core/domain/domain.h"
#include "ui/page.h"
#include "ui/widgets/listmodel.h"

class QTableView;

namespace tollgate {

struct CustomerRow
{
    Customer customer;
    Money spend = 0; // this month
};

// A SaaS builder's own customers (customer_params): rate limit, period and lifetime budgets, markup.
class CustomersPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CustomersPage)

public:
    explicit CustomersPage(Console& console, QWidget* parent = nullptr);
    void reload() override;

private:
    void edit(std::optional<Customer> customer);
    void remove();
    std::optional<Customer> selected() const;

    ListModel<CustomerRow>* m_model = nullptr;
    QTableView* m_table = nullptr;
};

} // namespace tollgate
