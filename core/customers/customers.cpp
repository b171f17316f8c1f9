// Customers: the end customers of an organisation's product (customer_params).

#include "core/customers/customers.h"

#include "core/audit/audit.h"
#include "core/domain/validation.h"
#include "core/org/orgstate.h"
#include "core/storage/codec.h"
#include "core/storage/database.h"
#include "core/storage/store.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace tollgate {

namespace {
} // namespace

Customers::Customers(const ModuleContext& context)
    : m_db(context.db)
    , m_clock(context.clock)
    , m_org(context.org)
    , m_audit(context.audit)
{
}

QList<Customer> Customers::all() const { return sortedById(m_org.current()->customers); }

std::optional<Customer> Customers::customer(Id id) const
{
    const SnapshotPtr snap = m_org.current();
    if (const Customer* c = snap->customer(id))
        return *c;
    return std::nullopt;
}

std::optional<Customer> Customers::customerByIdentifier(const QString& identifier) const
{
    const SnapshotPtr snap = m_org.current();
    if (const Customer* c = snap->customerByIdentifier(identifier))
        return *c;
    return std::nullopt;
}

Status Customers::reload()
{
    return m_org.reload([this](Snapshot& s) { return Store(m_db).loadCustomers(s); });
}

Result<Customer> Customers::saveCustomer(const Customer& c, const QString& actor)
{
    bool raced = false;
    Result<Customer> saved = saveOnce(c, actor, &raced);
    if (!raced)
        return saved;
    // Another instance on the database created the customer since this one last read them: read them again and
    // save over that one (requests naming a new customer on several instances at once all succeed).
    if (Status s = reload(); !s.ok())
        return s.error();
    return saveOnce(c, actor, nullptr);
}

Result<Customer> Customers::saveOnce(const Customer& c, const QString& actor, bool* raced)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    const QString identifier = c.identifier.trimmed();
    if (identifier.isEmpty() || identifier.size() > 256)
        return Error::invalid(QStringLiteral("customer_identifier"), tr("must be 1 to 256 characters"));
    if (!c.email.isEmpty())
        if (auto s = validate::email(c.email.trimmed(), QStringLiteral("email")); !s.ok())
            return s.error();
    if (c.name.size() > 200)
        return Error::invalid(QStringLiteral("name"), tr("is longer than 200 characters"));
    if (c.rateLimitPerMinute && (*c.rateLimitPerMinute < 0 || *c.rateLimitPerMinute > validate::kMaxRequestLimit))
        return Error::invalid(QStringLiteral("rate_limit_per_minute"),
                              tr("must be between 0 and 1,000,000,000 requests per minute"));
    if (auto s = validate::moneyLimit(c.periodBudget, QStringLiteral("period_budget")); !s.ok())
        return s.error();
    if (auto s = validate::moneyLimit(c.totalBudget, QStringLiteral("total_budget")); !s.ok())
        return s.error();
    if (c.budgetDuration == BudgetDuration::Custom && (c.periodStart <= 0 || c.periodEnd <= c.periodStart))
        return Error::invalid(QStringLiteral("period_end"), tr("must be after period_start"));
    if (c.markupBasisPoints < 0 || c.markupBasisPoints > 1'000'000)
        return Error::invalid(QStringLiteral("markup_percentage"), tr("must be between 0 and 10000 percent"));

    std::optional<Customer> before = c.id ? customer(c.id) : customerByIdentifier(identifier);
    if (c.id && !before)
        return Error::notFound(QStringLiteral("id"), tr("customer %1 does not exist").arg(c.id));
    if (before && before->identifier != identifier) {
        if (auto other = customerByIdentifier(identifier); other && other->id != before->id)
            return Error::conflict(QStringLiteral("customer_identifier"),
                                   tr("%1 is already used by another customer").arg(identifier));
    }
    Customer after = c;
    after.id = before ? before->id : 0;
    after.orgId = base.org.id;
    after.identifier = identifier;
    after.email = c.email.trimmed();
    after.updatedAt = before ? std::max(m_clock.now(), before->updatedAt + 1) : m_clock.now();
    if (c.updatedAt && before && c.updatedAt != before->updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the customer was changed by someone else; reload"));
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = before ? Store::updateCustomer(tx, after) : Store::insertCustomer(tx, after); !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("customer"), idText(after.id),
                              before ? QStringLiteral("update") : QStringLiteral("create"),
                              before ? codec::compact(codec::toJson(*before)) : QString(),
                              codec::compact(codec::toJson(after)));
    });
    if (!s.ok()) {
        if (!before && raced && s.error().code == Error::Code::Conflict)
            *raced = true;
        return s.error();
    }
    if (before)
        edit->customersByIdentifier.remove(before->identifier);
    edit->customers.insert(after.id, after);
    edit->customersByIdentifier.insert(after.identifier, after.id);
    edit.publish();
    return after;
}

Status Customers::deleteCustomer(Id id, const QString& actor)
{
    auto edit = m_org.edit();
    const auto before = customer(id);
    if (!before)
        return Error::notFound(QStringLiteral("id"), tr("customer %1 does not exist").arg(id));
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM customers WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return m_audit.record(tx, actor, QStringLiteral("customer"), idText(id), QStringLiteral("delete"),
                              codec::compact(codec::toJson(*before)), {});
    });
    if (!s.ok())
        return s;
    edit->customersByIdentifier.remove(before->identifier);
    edit->customers.remove(id);
    edit.publish();
    return {};
}

} // namespace tollgate
