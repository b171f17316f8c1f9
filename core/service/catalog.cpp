// Service: providers, models and customers.

#include "service/service.h"
#include "service/state.h"
#include "service/validation.h"
#include "storage/codec.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QUrl>

namespace tollgate {

namespace {
QString tr(const char* s) { return QCoreApplication::translate("tollgate::Service", s); }
} // namespace

QList<Provider> Service::providers() const
{
    std::shared_lock lock(m_stateLock);
    QList<Provider> out = m_state->providers.values();
    std::sort(out.begin(), out.end(), [](const Provider& a, const Provider& b) { return a.id < b.id; });
    return out;
}

std::optional<Provider> Service::provider(Id id) const
{
    std::shared_lock lock(m_stateLock);
    auto it = m_state->providers.constFind(id);
    if (it == m_state->providers.cend())
        return std::nullopt;
    return *it;
}

Result<Provider> Service::saveProvider(const Provider& p, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    if (auto s = validate::name(p.name, QStringLiteral("name"), 100); !s.ok())
        return s.error();
    if (p.kind != ProviderKind::Mock) {
        const QUrl url(p.baseUrl, QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
            || url.host().isEmpty())
            return Error::invalid(QStringLiteral("baseUrl"), tr("must be an http:// or https:// URL"));
    }
    std::optional<Provider> before = p.id ? provider(p.id) : std::nullopt;
    if (p.id && !before)
        return Error::notFound(QStringLiteral("id"), tr("provider %1 does not exist").arg(p.id));
    for (const Provider& other : providers())
        if (other.name == p.name.trimmed() && other.id != p.id)
            return Error::conflict(QStringLiteral("name"), tr("a provider named %1 exists already").arg(p.name));
    Provider after = p;
    after.name = p.name.trimmed();
    // The secret is write-only: an empty one on update keeps the stored secret.
    if (before && after.secret.isEmpty())
        after.secret = before->secret;
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        if (before) {
            auto r = runSql(tx, QStringLiteral("UPDATE providers SET name = ?, kind = ?, base_url = ?, secret = ?"
                                               " WHERE id = ?"),
                            {after.name, providerKindName(after.kind), after.baseUrl, after.secret, after.id});
            if (!r.ok())
                return r.error();
        } else {
            auto r = runSql(tx, QStringLiteral("INSERT INTO providers (name, kind, base_url, secret) VALUES (?, ?, ?, ?)"
                                               " RETURNING id"),
                            {after.name, providerKindName(after.kind), after.baseUrl,
                             after.secret.isNull() ? QStringLiteral("") : after.secret});
            if (!r.ok())
                return r.error();
            r->next();
            after.id = r->value(0).toLongLong();
        }
        return audit(tx, actor, QStringLiteral("provider"), idText(after.id),
                     before ? QStringLiteral("update") : QStringLiteral("create"),
                     before ? codec::compact(codec::toJson(*before)) : QString(), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    StateWrite lock(*this);
    m_state->providers.insert(after.id, after);
    return after;
}

Status Service::deleteProvider(Id id, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    const auto before = provider(id);
    if (!before)
        return Error::notFound(QStringLiteral("id"), tr("provider %1 does not exist").arg(id));
    QStringList users;
    for (const ModelInfo& m : models())
        if (m.providerId == id)
            users.append(m.id);
    if (!users.isEmpty())
        return Error::conflict(QStringLiteral("id"), tr("provider %1 serves the models %2; delete or move them first")
                                                        .arg(before->name, users.join(QStringLiteral(", "))));
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM providers WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return audit(tx, actor, QStringLiteral("provider"), idText(id), QStringLiteral("delete"),
                     codec::compact(codec::toJson(*before)), {});
    });
    if (!s.ok())
        return s;
    StateWrite lock(*this);
    m_state->providers.remove(id);
    return {};
}

QList<ModelInfo> Service::models() const
{
    std::shared_lock lock(m_stateLock);
    QList<ModelInfo> out = m_state->models.values();
    std::sort(out.begin(), out.end(), [](const ModelInfo& a, const ModelInfo& b) { return a.id < b.id; });
    return out;
}

std::optional<ModelInfo> Service::model(const QString& id) const
{
    std::shared_lock lock(m_stateLock);
    auto it = m_state->models.constFind(id);
    if (it == m_state->models.cend())
        return std::nullopt;
    return *it;
}

Result<ModelInfo> Service::saveModel(const ModelInfo& m, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    static const QRegularExpression idPattern(QStringLiteral(R"(^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$)"));
    if (!idPattern.match(m.id).hasMatch())
        return Error::invalid(QStringLiteral("id"),
                              tr("must be 1 to 128 letters, digits or . _ : / @ - and start with a letter or digit"));
    if (!provider(m.providerId))
        return Error::notFound(QStringLiteral("providerId"), tr("provider %1 does not exist").arg(m.providerId));
    if (m.tier < 1 || m.tier > 10)
        return Error::invalid(QStringLiteral("tier"), tr("must be between 1 and 10"));
    const struct
    {
        Money v;
        const char* f;
    } prices[] = {{m.inputPrice, "inputPrice"}, {m.cachedInputPrice, "cachedInputPrice"}, {m.outputPrice, "outputPrice"}};
    for (const auto& p : prices)
        if (p.v < 0 || p.v > 10'000'000) // $10,000 per million tokens
            return Error::invalid(QString::fromLatin1(p.f), tr("must be between $0 and $10,000 per million tokens"));
    if (m.maxOutputTokens < 0 || m.maxOutputTokens > 10'000'000)
        return Error::invalid(QStringLiteral("maxOutputTokens"), tr("must be between 0 and 10,000,000"));
    if (m.contextWindow < 1 || m.contextWindow > 100'000'000)
        return Error::invalid(QStringLiteral("contextWindow"), tr("must be between 1 and 100,000,000"));
    const std::optional<ModelInfo> before = model(m.id);
    ModelInfo after = m;
    if (after.upstreamName.isEmpty())
        after.upstreamName = after.id;
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        const QVariantList values {after.providerId,     after.upstreamName,    after.tier,
                                   after.inputPrice,     after.cachedInputPrice, after.outputPrice,
                                   after.maxOutputTokens, after.contextWindow,  after.approved ? 1 : 0,
                                   after.priceSource.isNull() ? QStringLiteral("") : after.priceSource, after.id};
        auto r = before ? runSql(tx,
                                 QStringLiteral("UPDATE models SET provider_id = ?, upstream_name = ?, tier = ?,"
                                                " input_price = ?, cached_input_price = ?, output_price = ?,"
                                                " max_output_tokens = ?, context_window = ?, approved = ?,"
                                                " price_source = ? WHERE id = ?"),
                                 values)
                        : runSql(tx,
                                 QStringLiteral("INSERT INTO models (provider_id, upstream_name, tier, input_price,"
                                                " cached_input_price, output_price, max_output_tokens, context_window,"
                                                " approved, price_source, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                                 values);
        if (!r.ok())
            return r.error();
        return audit(tx, actor, QStringLiteral("model"), after.id,
                     before ? QStringLiteral("update") : QStringLiteral("create"),
                     before ? codec::compact(codec::toJson(*before)) : QString(), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    StateWrite lock(*this);
    m_state->models.insert(after.id, after);
    return after;
}

Status Service::deleteModel(const QString& id, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    const auto before = model(id);
    if (!before)
        return Error::notFound(QStringLiteral("id"), tr("model %1 does not exist").arg(id));
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM models WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return audit(tx, actor, QStringLiteral("model"), id, QStringLiteral("delete"),
                     codec::compact(codec::toJson(*before)), {});
    });
    if (!s.ok())
        return s;
    StateWrite lock(*this);
    m_state->models.remove(id);
    return {};
}

QList<Customer> Service::customers() const
{
    std::shared_lock lock(m_stateLock);
    QList<Customer> out = m_state->customers.values();
    std::sort(out.begin(), out.end(), [](const Customer& a, const Customer& b) { return a.id < b.id; });
    return out;
}

std::optional<Customer> Service::customer(Id id) const
{
    std::shared_lock lock(m_stateLock);
    auto it = m_state->customers.constFind(id);
    if (it == m_state->customers.cend())
        return std::nullopt;
    return *it;
}

std::optional<Customer> Service::customerByIdentifier(const QString& identifier) const
{
    std::shared_lock lock(m_stateLock);
    const Id id = m_state->customersByIdentifier.value(identifier);
    if (!id)
        return std::nullopt;
    return m_state->customers.value(id);
}

Result<Customer> Service::saveCustomer(const Customer& c, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
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
    after.orgId = organization().id;
    after.identifier = identifier;
    after.email = c.email.trimmed();
    after.updatedAt = before ? std::max(m_clock.now(), before->updatedAt + 1) : m_clock.now();
    if (c.updatedAt && before && c.updatedAt != before->updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the customer was changed by someone else; reload"));
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        const QVariantList values {after.identifier,
                                   after.name.isNull() ? QStringLiteral("") : after.name,
                                   after.email.isNull() ? QStringLiteral("") : after.email,
                                   nullable(after.rateLimitPerMinute),
                                   budgetDurationName(after.budgetDuration),
                                   after.periodStart,
                                   after.periodEnd,
                                   nullable(after.periodBudget),
                                   nullable(after.totalBudget),
                                   after.markupBasisPoints,
                                   after.updatedAt};
        if (before) {
            QVariantList args = values;
            args << after.id;
            auto r = runSql(tx,
                            QStringLiteral("UPDATE customers SET identifier = ?, name = ?, email = ?, rate_limit_rpm = ?,"
                                           " budget_duration = ?, period_start = ?, period_end = ?, period_budget = ?,"
                                           " total_budget = ?, markup_bp = ?, updated_at = ? WHERE id = ?"),
                            args);
            if (!r.ok())
                return r.error();
        } else {
            QVariantList args {after.orgId};
            args += values;
            auto r = runSql(tx,
                            QStringLiteral("INSERT INTO customers (org_id, identifier, name, email, rate_limit_rpm,"
                                           " budget_duration, period_start, period_end, period_budget, total_budget,"
                                           " markup_bp, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                           " RETURNING id"),
                            args);
            if (!r.ok())
                return r.error();
            r->next();
            after.id = r->value(0).toLongLong();
        }
        return audit(tx, actor, QStringLiteral("customer"), idText(after.id),
                     before ? QStringLiteral("update") : QStringLiteral("create"),
                     before ? codec::compact(codec::toJson(*before)) : QString(), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    StateWrite lock(*this);
    if (before)
        m_state->customersByIdentifier.remove(before->identifier);
    m_state->customers.insert(after.id, after);
    m_state->customersByIdentifier.insert(after.identifier, after.id);
    return after;
}

Status Service::deleteCustomer(Id id, const QString& actor)
{
    std::lock_guard writeLock(m_db->writeLock());
    const auto before = customer(id);
    if (!before)
        return Error::notFound(QStringLiteral("id"), tr("customer %1 does not exist").arg(id));
    Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM customers WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return audit(tx, actor, QStringLiteral("customer"), idText(id), QStringLiteral("delete"),
                     codec::compact(codec::toJson(*before)), {});
    });
    if (!s.ok())
        return s;
    StateWrite lock(*this);
    m_state->customersByIdentifier.remove(before->identifier);
    m_state->customers.remove(id);
    return {};
}

} // namespace tollgate
