// Admin API: gateway keys, admin keys, projects and customers.

#include "gateway/admin/api.h"
#include "gateway/admin/entities.h"

#include <QCoreApplication>

namespace tollgate::admin {

namespace {

constexpr auto kOwner = AdminRole::Owner;
constexpr auto kAdmin = AdminRole::Admin;
constexpr auto kViewer = AdminRole::Viewer;
constexpr qint64 kMaxId = std::numeric_limits<qint64>::max();

// The key's cap is "limit" in the API (as LLM routers' key APIs name it).
Error keyError(Error e)
{
    if (e.field == u"monthlyCap")
        e.field = QStringLiteral("limit");
    return atApiPath(std::move(e));
}

// This month's spend by key, in one query: of every key, or of one.
QHash<Id, Money> monthSpendByKey(const Service& s, Id onlyKey = 0)
{
    const Window month = Calendar::compute(WindowKind::Month, s.clock().now(), organizationZone(s));
    UsageQuery q;
    q.from = month.start;
    q.to = month.end;
    q.groupBy = UsageDimension::Key;
    q.keyId = onlyKey;
    QHash<Id, Money> out;
    if (auto r = s.usage().usageReport(q); r.ok())
        for (const UsageRow& row : std::as_const(r->rows))
            out[row.key.toLongLong()] += row.totals.cost;
    return out;
}

QJsonObject keyWithUsage(const ApiKey& k, Money usage)
{
    QJsonObject o = keyJson(k);
    o.insert(QStringLiteral("usage"), moneyJson(usage));
    o.insert(QStringLiteral("limit_remaining"),
             k.monthlyCap ? moneyJson(std::max<Money>(0, *k.monthlyCap - usage)) : QJsonValue(QJsonValue::Null));
    return o;
}

// --- gateway keys ----------------------------------------------------------------------------------------------

void readKeyFields(Fields& f, const Service& s, QString& name, std::optional<Money>& cap, ModelRule& models,
                   QStringList& features, QList<Id>& groups, Instant& expires, bool create)
{
    if (auto v = f.string(QLatin1StringView("name"), create, 200))
        name = *v;
    if (auto m = f.nullableMoney(QLatin1StringView("limit")))
        cap = *m;
    if (f.has(QLatin1StringView("allowed_models"))) {
        const QJsonValue v = f.value(QLatin1StringView("allowed_models"));
        if (v.isNull())
            models = ModelRule::unset();
        else if (v.isString() && v.toString() == u"*")
            models = ModelRule::any();
        else if (v.isArray()) {
            QSet<QString> list;
            for (const QJsonValue& m : v.toArray()) {
                if (!m.isString())
                    return f.fail(QLatin1StringView("allowed_models"), tr("must hold model ids (strings)"));
                list.insert(m.toString());
            }
            models = ModelRule::list(list);
        } else {
            f.fail(QLatin1StringView("allowed_models"), tr("must be an array of model ids, \"*\" or null"));
        }
    }
    if (auto v = f.strings(QLatin1StringView("features"), 10))
        features = *v;
    if (auto v = f.ids(QLatin1StringView("group_ids"), 1000))
        groups = *v;
    if (f.isNull(QLatin1StringView("expires_at"))) {
        f.value(QLatin1StringView("expires_at"));
        expires = 0;
    } else if (auto t = f.time(QLatin1StringView("expires_at"), organizationZone(s))) {
        expires = *t;
    }
}

Reply listKeys(Call& c)
{
    auto projectId = c.intQuery("project_id", 1, kMaxId, 0);
    auto holder = c.intQuery("holder_user_id", 1, kMaxId, 0);
    for (const auto* r : {&projectId, &holder})
        if (!r->ok())
            return errorReply(r->error());
    const QString status = c.queryValue("status");
    if (!status.isEmpty() && status != u"active" && status != u"revoked")
        return errorReply(Error::invalid(QStringLiteral("status"), tr("must be active or revoked")));
    const QHash<Id, Money> spend = monthSpendByKey(c.service);
    QJsonArray data;
    for (const ApiKey& k : c.service.access().keys()) {
        if ((*projectId && k.projectId != *projectId) || (*holder && k.holderUserId != *holder))
            continue;
        if (!status.isEmpty() && (k.status == KeyStatus::Active) != (status == u"active"))
            continue;
        data.append(keyWithUsage(k, spend.value(k.id)));
    }
    return json(200, {{QStringLiteral("data"), data}, {QStringLiteral("total"), data.size()}});
}

Reply getKey(Call& c)
{
    auto k = find(c, tr("API key"), [&c](Id id) { return c.service.access().key(id); });
    if (!k.ok())
        return errorReply(k.error());
    return withVersion(json(200, keyWithUsage(*k, monthSpendByKey(c.service, k->id).value(k->id))), k->updatedAt);
}

Reply createKey(Call& c)
{
    NewKey nk;
    if (auto r = readBody(c, [&](Fields& f) {
            if (auto p = f.integer(QLatin1StringView("project_id"), 1, kMaxId))
                nk.projectId = *p;
            if (auto h = f.integer(QLatin1StringView("holder_user_id"), 1, kMaxId))
                nk.holderUserId = *h;
            readKeyFields(f, c.service, nk.name, nk.monthlyCap, nk.allowedModels, nk.features, nk.groupIds,
                          nk.expiresAt, true);
        }))
        return *r;
    auto created = c.service.access().createKey(nk, c.actor);
    if (!created.ok())
        return errorReply(keyError(created.error()));
    return withVersion(
        json(201, {{QStringLiteral("data"), keyWithUsage(created->key, 0)}, {QStringLiteral("key"), created->secret}}),
        created->key.updatedAt);
}

Reply patchKey(Call& c)
{
    auto k = find(c, tr("API key"), [&c](Id id) { return c.service.access().key(id); });
    if (!k.ok())
        return errorReply(k.error());
    if (auto r = readBody(c, [&](Fields& f) {
            readKeyFields(f, c.service, k->name, k->monthlyCap, k->allowedModels, k->features, k->groupIds,
                          k->expiresAt, false);
            if (auto d = f.boolean(QLatin1StringView("disabled")))
                k->status = *d ? KeyStatus::Revoked : KeyStatus::Active;
            k->updatedAt = expectedVersion(f, c.ifMatch());
        }))
        return *r;
    auto saved = c.service.access().updateKey(*k, c.actor);
    if (!saved.ok())
        return errorReply(keyError(saved.error()));
    return withVersion(json(200, keyWithUsage(*saved, monthSpendByKey(c.service, saved->id).value(saved->id))),
                       saved->updatedAt);
}

Reply deleteKey(Call& c)
{
    return deleteById(c, tr("API key"), [&c](Id id) { return c.service.access().deleteKey(id, c.actor); });
}

// --- admin keys (owner only) ---------------------------------------------------------------------------------

Reply listAdminKeys(Call& c)
{
    auto keys = c.service.access().adminKeys();
    if (!keys.ok())
        return errorReply(keys.error());
    QJsonArray data;
    for (const AdminKey& k : std::as_const(*keys))
        data.append(adminKeyJson(k));
    return json(200, {{QStringLiteral("data"), data}, {QStringLiteral("total"), data.size()}});
}

Reply createAdminKey(Call& c)
{
    QString name;
    AdminRole role = AdminRole::Viewer;
    if (auto r = readBody(c, [&](Fields& f) {
            name = f.string(QLatin1StringView("name"), true, 200).value_or(QString());
            const auto roleName = f.string(QLatin1StringView("role"), true, 20);
            if (!roleName)
                return;
            if (auto parsed = adminRoleFromName(*roleName))
                role = *parsed;
            else
                f.fail(QLatin1StringView("role"), tr("must be owner, admin or viewer"));
        }))
        return *r;
    auto created = c.service.access().createAdminKey(name, role, c.actor);
    if (!created.ok())
        return errorReply(atApiPath(created.error()));
    return json(201, {{QStringLiteral("data"), adminKeyJson(created->key)}, {QStringLiteral("key"), created->secret}});
}

Reply revokeAdminKey(Call& c)
{
    return deleteById(c, tr("admin key"), [&c](Id id) { return c.service.access().revokeAdminKey(id, c.actor); });
}

// --- projects ------------------------------------------------------------------------------------------------

Reply listProjects(Call& c)
{
    const QString kind = c.queryValue("kind");
    if (!kind.isEmpty() && kind != u"shared" && kind != u"private")
        return errorReply(Error::invalid(QStringLiteral("kind"), tr("must be shared or private")));
    QJsonArray data;
    for (const Project& p : c.service.access().projects())
        if (kind.isEmpty() || (p.kind == ProjectKind::Shared) == (kind == u"shared"))
            data.append(projectJson(p));
    return json(200, {{QStringLiteral("data"), data}, {QStringLiteral("total"), data.size()}});
}

Reply getProject(Call& c)
{
    auto p = find(c, tr("project"), [&c](Id id) { return c.service.access().project(id); });
    if (!p.ok())
        return errorReply(p.error());
    return withVersion(json(200, projectJson(*p)), p->updatedAt);
}

Reply createProject(Call& c)
{
    QString name;
    std::optional<Money> limit;
    if (auto r = readBody(c, [&](Fields& f) {
            name = f.string(QLatin1StringView("name"), true, 200).value_or(QString());
            limit = f.money(QLatin1StringView("monthly_limit"));
        }))
        return *r;
    auto created = c.service.access().createProject(name, limit, c.actor);
    if (!created.ok())
        return errorReply(atApiPath(created.error()));
    return withVersion(json(201, projectJson(*created)), created->updatedAt);
}

Reply patchProject(Call& c)
{
    auto p = find(c, tr("project"), [&c](Id id) { return c.service.access().project(id); });
    if (!p.ok())
        return errorReply(p.error());
    if (auto r = readBody(c, [&](Fields& f) {
            if (auto v = f.string(QLatin1StringView("name"), false, 200))
                p->name = *v;
            if (auto m = f.nullableMoney(QLatin1StringView("monthly_limit")))
                p->monthlyLimit = *m;
            p->updatedAt = expectedVersion(f, c.ifMatch());
        }))
        return *r;
    auto saved = c.service.access().updateProject(*p, c.actor);
    if (!saved.ok())
        return errorReply(atApiPath(saved.error()));
    return withVersion(json(200, projectJson(*saved)), saved->updatedAt);
}

Reply deleteProject(Call& c)
{
    return deleteById(c, tr("project"), [&c](Id id) { return c.service.access().deleteProject(id, c.actor); });
}

// --- customers -----------------------------------------------------------------------------------------------

Reply listCustomers(Call& c)
{
    const auto page = c.page();
    if (!page.ok())
        return errorReply(page.error());
    const QString q = c.queryValue("q");
    QList<Customer> all = c.service.customers().all();
    if (!q.isEmpty())
        all.removeIf([&](const Customer& x) {
            return !x.identifier.contains(q, Qt::CaseInsensitive) && !x.name.contains(q, Qt::CaseInsensitive)
                && !x.email.contains(q, Qt::CaseInsensitive);
        });
    return pageReply(*page, all.size(), [&](qsizetype i) { return customerJson(all[i]); });
}

Reply getCustomer(Call& c)
{
    auto x = find(c, tr("customer"), [&c](Id id) { return c.service.customers().customer(id); });
    if (!x.ok())
        return errorReply(x.error());
    return withVersion(json(200, customerJson(*x)), x->updatedAt);
}

// An admin's own field, never read from customer_params: whether requests may change the customer's limits.
void readLimitsLock(Fields& f, Customer& x)
{
    if (auto v = f.boolean(QLatin1StringView("limits_locked")))
        x.limitsLocked = *v;
}

// POST: create, or update the customer with that customer_identifier (as customer_params does).
Reply upsertCustomer(Call& c)
{
    QJsonObject body;
    if (auto b = c.body(); b.ok())
        body = *b;
    else
        return errorReply(b.error());
    if (!body.value(QLatin1String("customer_identifier")).isString())
        return errorReply(Error::invalid(QStringLiteral("$.customer_identifier"), tr("is required (a string)")));
    Customer x = c.service.customers()
                     .customerByIdentifier(body.value(QLatin1String("customer_identifier")).toString())
                     .value_or(Customer {});
    const bool existed = x.id != 0;
    Fields f(body);
    readCustomer(f, x, organizationZone(c.service));
    readLimitsLock(f, x);
    x.updatedAt = expectedVersion(f, c.ifMatch());
    if (auto s = f.finish(); !s.ok())
        return errorReply(s.error());
    auto saved = c.service.customers().saveCustomer(x, c.actor);
    if (!saved.ok())
        return errorReply(atApiPath(saved.error()));
    return withVersion(json(existed ? 200 : 201, customerJson(*saved)), saved->updatedAt);
}

Reply patchCustomer(Call& c)
{
    auto x = find(c, tr("customer"), [&c](Id id) { return c.service.customers().customer(id); });
    if (!x.ok())
        return errorReply(x.error());
    if (auto r = readBody(c, [&](Fields& f) {
            readCustomer(f, *x, organizationZone(c.service));
            readLimitsLock(f, *x);
            x->updatedAt = expectedVersion(f, c.ifMatch());
        }))
        return *r;
    auto saved = c.service.customers().saveCustomer(*x, c.actor);
    if (!saved.ok())
        return errorReply(atApiPath(saved.error()));
    return withVersion(json(200, customerJson(*saved)), saved->updatedAt);
}

Reply deleteCustomer(Call& c)
{
    return deleteById(c, tr("customer"), [&c](Id id) { return c.service.customers().deleteCustomer(id, c.actor); });
}

} // namespace

void addAccessRoutes(Routes& r)
{
    r.add("GET", "/keys", kViewer, listKeys,
          {QStringLiteral("project_id"), QStringLiteral("holder_user_id"), QStringLiteral("status")});
    r.add("POST", "/keys", kAdmin, createKey);
    r.add("GET", "/keys/{}", kViewer, getKey);
    r.add("PATCH", "/keys/{}", kAdmin, patchKey);
    r.add("DELETE", "/keys/{}", kAdmin, deleteKey);

    r.add("GET", "/admin-keys", kOwner, listAdminKeys);
    r.add("POST", "/admin-keys", kOwner, createAdminKey);
    r.add("DELETE", "/admin-keys/{}", kOwner, revokeAdminKey);

    r.add("GET", "/projects", kViewer, listProjects, {QStringLiteral("kind")});
    r.add("POST", "/projects", kAdmin, createProject);
    r.add("GET", "/projects/{}", kViewer, getProject);
    r.add("PATCH", "/projects/{}", kAdmin, patchProject);
    r.add("DELETE", "/projects/{}", kAdmin, deleteProject);

    r.add("GET", "/customers", kViewer, listCustomers,
          {QStringLiteral("limit"), QStringLiteral("offset"), QStringLiteral("q")});
    r.add("POST", "/customers", kAdmin, upsertCustomer);
    r.add("GET", "/customers/{}", kViewer, getCustomer);
    r.add("PATCH", "/customers/{}", kAdmin, patchCustomer);
    r.add("DELETE", "/customers/{}", kAdmin, deleteCustomer);
}

} // namespace tollgate::admin
