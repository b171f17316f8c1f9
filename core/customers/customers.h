#pragma once

#include "core/org/context.h"
#include "core/org/snapshot.h"

#include <QCoreApplication>

namespace tollgate {

// The end customers of the organisation's own product, named by requests (customer_params) or made by an admin,
// with their rate limit, period and total budgets and markup.
class Customers final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Customers)

public:
    explicit Customers(const ModuleContext& context);
    Q_DISABLE_COPY_MOVE(Customers)

    // Reads the customers from the database into a new snapshot.
    Status reload();

    QList<Customer> all() const;
    std::optional<Customer> customer(Id id) const;
    std::optional<Customer> customerByIdentifier(const QString& identifier) const;
    Result<Customer> saveCustomer(const Customer& c, const QString& actor); // id 0: create or update by identifier
    Status deleteCustomer(Id id, const QString& actor);

private:
    // Sets *raced when the insert failed because another instance created the customer meanwhile.
    Result<Customer> saveOnce(const Customer& c, const QString& actor, bool* raced);

    Database& m_db;
    const Clock& m_clock;
    OrgState& m_org;
    const Audit& m_audit;
};

} // namespace tollgate
