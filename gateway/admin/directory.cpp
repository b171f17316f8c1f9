// Admin API: the organisation, its policy levels, users, groups and memberships.

#include "gateway/admin/api.h"
#include "gateway/admin/entities.h"

#include <QCoreApplication>

namespace tollgate::admin {

namespace {

constexpr auto kAdmin = AdminRole::Admin;
constexpr auto kViewer = AdminRole::Viewer;

// Policy errors from the service name "policy.x" or "settings.x"; in the API they sit at `base`.
Error policyError(Error e, const QString& base)
{
    for (QLatin1StringView prefix :
         {QLatin1StringView("policy."), QLatin1StringView("settings."), QLatin1StringView("defaultPolicy.")})
        if (e.field.startsWith(prefix))
            e.field = e.field.mid(prefix.size());
    return atApiPath(std::move(e), base);
}

Error groupError(Error e)
{
    if (e.field.startsWith(QLatin1String("settings.")))
        return policyError(std::move(e), QStringLiteral("$.settings"));
    return atApiPath(std::move(e));
}

std::optional<Reply> checkOrganization(const Call& c)
{
    bool ok = false;
    const Id id = c.params.value(0).toLongLong(&ok);
    if (!ok || id != c.service.directory().organization().id)
        return errorReply(Error::notFound(QString(),
                                          tr("there is no organization '%1' here (this one is %2)")
                                              .arg(c.params.value(0))
                                              .arg(c.service.directory().organization().id)));
    return std::nullopt;
}

// --- organization and its default policy ---------------------------------------------------------------------

Reply getOrganization(Call& c)
{
    if (auto r = checkOrganization(c))
        return *r;
    const Organization o = c.service.directory().organization();
    QJsonObject body = organizationJson(o);
    body.insert(QStringLiteral("user_count"), c.service.directory().userCount());
    body.insert(QStringLiteral("group_count"), c.service.directory().groups().size());
    return withVersion(json(200, body), o.updatedAt);
}

Reply patchOrganization(Call& c)
{
    if (auto r = checkOrganization(c))
        return *r;
    Organization o = c.service.directory().organization();
    o.updatedAt = 0;
    if (auto r = readBody(c, [&](Fields& f) {
            if (auto v = f.string(QLatin1StringView("name"), false, 200))
                o.name = *v;
            if (auto v = f.string(QLatin1StringView("timezone"), false, 100))
                o.timezone = *v;
            if (auto v = f.nullableMoney(QLatin1StringView("monthly_budget")))
                o.monthlyBudget = *v;
            if (auto v = f.nullableMoney(QLatin1StringView("default_user_monthly_limit")))
                o.defaultUserMonthlyLimit = *v;
            if (auto v = f.boolean(QLatin1StringView("allow_max_tokens_reduction")))
                o.allowMaxTokensReduction = *v;
            readNestedPolicy(f, QLatin1StringView("default_policy"), o.defaultPolicy);
            o.updatedAt = expectedVersion(f, c.ifMatch());
        }))
        return *r;
    auto saved = c.service.directory().updateOrganization(o, c.actor);
    if (!saved.ok())
        return errorReply(atApiPath(saved.error()));
    return withVersion(json(200, organizationJson(*saved)), saved->updatedAt);
}

Reply getOrganizationPolicy(Call& c)
{
    if (auto r = checkOrganization(c))
        return *r;
    const Organization o = c.service.directory().organization();
    return withVersion(json(200, policyJson(o.defaultPolicy)), o.updatedAt);
}

Reply patchOrganizationPolicy(Call& c)
{
    if (auto r = checkOrganization(c))
        return *r;
    Organization o = c.service.directory().organization();
    if (auto r = readBody(c, [&](Fields& f) {
            readPolicy(f, o.defaultPolicy, false);
            o.updatedAt = expectedVersion(f, c.ifMatch());
        }))
        return *r;
    auto saved = c.service.directory().updateOrganization(o, c.actor);
    if (!saved.ok())
        return errorReply(policyError(saved.error(), QStringLiteral("$")));
    return withVersion(json(200, policyJson(saved->defaultPolicy)), saved->updatedAt);
}

// --- user policies (the two fixed paths) ---------------------------------------------------------------------

QJsonObject userPolicyJson(const User& u, const Service& s, bool effective)
{
    QJsonObject o {{QStringLiteral("user_id"), u.id},
                   {QStringLiteral("email"), u.email},
                   {QStringLiteral("name"), u.name},
                   {QStringLiteral("override"),
                    u.policyOverride ? QJsonValue(policyJson(*u.policyOverride)) : QJsonValue(QJsonValue::Null)},
                   {QStringLiteral("updated_at"), timeJson(u.updatedAt)},
                   {QStringLiteral("version"), u.updatedAt}};
    if (effective)
        o.insert(QStringLiteral("effective"), effectivePolicyJson(s.directory().effectivePolicy(u.id)));
    return o;
}

Reply listUserPolicies(Call& c)
{
    if (auto r = checkOrganization(c))
        return *r;
    const auto page = c.page(10'000, 1000);
    const auto userId = c.intQuery("user_id", 1, std::numeric_limits<qint64>::max(), 0);
    const auto overridesOnly = c.boolQuery("overrides_only");
    const auto effective = c.boolQuery("effective");
    if (!page.ok() || !userId.ok() || !overridesOnly.ok() || !effective.ok())
        return errorReply(!page.ok()                ? page.error()
                              : !userId.ok()        ? userId.error()
                              : !overridesOnly.ok() ? overridesOnly.error()
                                                    : effective.error());
    const QString email = c.queryValue("email");
    QList<User> users = c.service.directory().users();
    users.removeIf([&](const User& u) {
        return (*overridesOnly && !u.policyOverride) || (*userId && u.id != *userId)
            || (!email.isEmpty() && !u.email.contains(email, Qt::CaseInsensitive));
    });
    std::sort(users.begin(), users.end(), [](const User& a, const User& b) { return a.id < b.id; });
    return pageReply(*page, users.size(), [&](qsizetype i) { return userPolicyJson(users[i], c.service, *effective); });
}

Reply postUserPolicy(Call& c)
{
    if (auto r = checkOrganization(c))
        return *r;
    std::optional<User> user;
    PolicySettings policy;
    bool replace = false;
    Instant version = 0;
    if (auto r = readBody(c, [&](Fields& f) {
            const auto id = f.integer(QLatin1StringView("user_id"), 1, std::numeric_limits<qint64>::max());
            const auto email = f.string(QLatin1StringView("email"), false, 254);
            if (!f.ok())
                return;
            if (id)
                user = c.service.directory().user(*id);
            else if (email)
                user = c.service.directory().userByEmail(*email);
            else
                return f.fail(QLatin1StringView("user_id"), tr("is required (or give the user's email)"));
            if (!user)
                return f.fail(
                    Error::notFound(id ? f.path(QLatin1StringView("user_id")) : f.path(QLatin1StringView("email")),
                                    tr("there is no user %1").arg(id ? QString::number(*id) : *email)));
            replace = f.boolean(QLatin1StringView("replace")).value_or(false);
            policy = replace ? PolicySettings {} : user->policyOverride.value_or(PolicySettings {});
            readPolicy(f, policy, true);
            version = expectedVersion(f, c.ifMatch());
        }))
        return *r;
    const bool existed = user->policyOverride.has_value();
    if (auto s = c.service.directory().setUserPolicy(user->id, policy, c.actor, version); !s.ok())
        return errorReply(policyError(s.error(), QStringLiteral("$")));
    const auto after = c.service.directory().user(user->id);
    return withVersion(json(existed ? 200 : 201, userPolicyJson(*after, c.service, true)), after->updatedAt);
}

Reply deleteUserPolicy(Call& c)
{
    if (auto r = checkOrganization(c))
        return *r;
    const auto found = find(
        c, tr("user"), [&c](Id id) { return c.service.directory().user(id); }, 1);
    if (!found.ok())
        return errorReply(found.error());
    const Id id = found->id;
    if (auto s = c.service.directory().setUserPolicy(id, std::nullopt, c.actor, c.ifMatch()); !s.ok())
        return errorReply(atApiPath(s.error()));
    return noContent();
}

// --- users ---------------------------------------------------------------------------------------------------

Reply listUsers(Call& c)
{
    const auto page = c.page();
    if (!page.ok())
        return errorReply(page.error());
    const auto groupId = c.intQuery("group_id", 1, std::numeric_limits<qint64>::max(), 0);
    if (!groupId.ok())
        return errorReply(groupId.error());
    const QString sort = c.hasQuery("sort") ? c.queryValue("sort") : QStringLiteral("id");
    const QString order = c.hasQuery("order") ? c.queryValue("order") : QStringLiteral("asc");
    static const QStringList sorts {QStringLiteral("id"),         QStringLiteral("name"),
                                    QStringLiteral("email"),      QStringLiteral("status"),
                                    QStringLiteral("created_at"), QStringLiteral("updated_at")};
    if (!sorts.contains(sort))
        return errorReply(Error::invalid(QStringLiteral("sort"), tr("must be one of %1").arg(sorts.join(u", "))));
    if (order != u"asc" && order != u"desc")
        return errorReply(Error::invalid(QStringLiteral("order"), tr("must be asc or desc")));
    const QString status = c.queryValue("status");
    if (!status.isEmpty() && status != u"active" && status != u"inactive")
        return errorReply(Error::invalid(QStringLiteral("status"), tr("must be active or inactive")));
    if (*groupId && !c.service.directory().group(*groupId))
        return errorReply(Error::notFound(QStringLiteral("group_id"), tr("there is no group %1").arg(*groupId)));
    const QString q = c.queryValue("q");
    const QString name = c.queryValue("name");
    const QString email = c.queryValue("email");

    QList<User> users = c.service.directory().users();
    users.removeIf([&](const User& u) {
        if (!q.isEmpty() && !u.name.contains(q, Qt::CaseInsensitive) && !u.email.contains(q, Qt::CaseInsensitive))
            return true;
        if (!name.isEmpty() && !u.name.contains(name, Qt::CaseInsensitive))
            return true;
        if (!email.isEmpty() && !u.email.contains(email, Qt::CaseInsensitive))
            return true;
        if (!status.isEmpty() && (u.status == UserStatus::Active) != (status == u"active"))
            return true;
        return *groupId && !u.groupIds.contains(*groupId);
    });
    // Text columns compare case-folded, the others as numbers; ties by id.
    const bool byText = sort == u"name" || sort == u"email";
    const auto number = [&](const User& u) -> qint64 {
        if (sort == u"status")
            return qint64(u.status);
        if (sort == u"created_at")
            return u.createdAt;
        if (sort == u"updated_at")
            return u.updatedAt;
        return u.id;
    };
    QHash<Id, QString> folded;
    if (byText)
        for (const User& u : std::as_const(users))
            folded.insert(u.id, (sort == u"name" ? u.name : u.email).toCaseFolded());
    const bool descending = order == u"desc";
    std::sort(users.begin(), users.end(), [&](const User& a, const User& b) {
        const int cmp = byText ? folded.value(a.id).compare(folded.value(b.id))
                               : (number(a) < number(b)       ? -1
                                      : number(a) > number(b) ? 1
                                                              : 0);
        if (cmp != 0)
            return descending ? cmp > 0 : cmp < 0;
        return a.id < b.id;
    });
    return pageReply(*page, users.size(), [&](qsizetype i) { return userJson(users[i], c.service); });
}

void readNewUser(Fields& f, NewUser& u)
{
    if (auto v = f.string(QLatin1StringView("email"), true, 254))
        u.email = *v;
    if (auto v = f.string(QLatin1StringView("name"), true, 200))
        u.name = *v;
    if (auto v = f.string(QLatin1StringView("status"), false, 20)) {
        if (*v == u"active" || *v == u"inactive")
            u.status = *v == u"active" ? UserStatus::Active : UserStatus::Inactive;
        else
            f.fail(QLatin1StringView("status"), tr("must be active or inactive"));
    }
    if (auto ids = f.ids(QLatin1StringView("group_ids"), 1000))
        u.groupIds = *ids;
    if (auto m = f.money(QLatin1StringView("monthly_limit")))
        u.monthlyLimit = *m;
}

Reply getUser(Call& c)
{
    auto u = find(c, tr("user"), [&c](Id id) { return c.service.directory().user(id); });
    if (!u.ok())
        return errorReply(u.error());
    QJsonObject body = userJson(*u, c.service);
    // This month's spend, from the usage records.
    const Instant now = c.service.clock().now();
    const Window month = Calendar::compute(WindowKind::Month, now, organizationZone(c.service));
    UsageQuery q;
    q.from = month.start;
    q.to = month.end;
    q.userId = u->id;
    if (auto report = c.service.usage().usageReport(q); report.ok())
        body.insert(QStringLiteral("month_to_date"), usageTotalsJson(report->total));
    return withVersion(json(200, body), u->updatedAt);
}

Reply createUser(Call& c)
{
    NewUser nu;
    if (auto r = readBody(c, [&](Fields& f) { readNewUser(f, nu); }))
        return *r;
    auto created = c.service.directory().createUser(nu, c.actor);
    if (!created.ok())
        return errorReply(atApiPath(created.error()));
    return withVersion(json(201, userJson(*created, c.service)), created->updatedAt);
}

Reply patchUser(Call& c)
{
    auto u = find(c, tr("user"), [&c](Id id) { return c.service.directory().user(id); });
    if (!u.ok())
        return errorReply(u.error());
    if (auto r = readBody(c, [&](Fields& f) {
            if (auto v = f.string(QLatin1StringView("email"), false, 254))
                u->email = *v;
            if (auto v = f.string(QLatin1StringView("name"), false, 200))
                u->name = *v;
            if (auto v = f.string(QLatin1StringView("status"), false, 20)) {
                if (*v == u"active" || *v == u"inactive")
                    u->status = *v == u"active" ? UserStatus::Active : UserStatus::Inactive;
                else
                    f.fail(QLatin1StringView("status"), tr("must be active or inactive"));
            }
            u->updatedAt = expectedVersion(f, c.ifMatch());
        }))
        return *r;
    auto saved = c.service.directory().updateUser(*u, c.actor);
    if (!saved.ok())
        return errorReply(atApiPath(saved.error()));
    return withVersion(json(200, userJson(*saved, c.service)), saved->updatedAt);
}

Reply setStatus(Call& c, UserStatus status)
{
    const auto found = find(c, tr("user"), [&c](Id id) { return c.service.directory().user(id); });
    if (!found.ok())
        return errorReply(found.error());
    const Id id = found->id;
    if (auto s = c.service.directory().setUsersStatus({id}, status, c.actor); !s.ok())
        return errorReply(atApiPath(s.error()));
    const auto u = c.service.directory().user(id);
    return withVersion(json(200, userJson(*u, c.service)), u->updatedAt);
}

Reply deleteUser(Call& c)
{
    return deleteById(c, tr("user"), [&c](Id id) { return c.service.directory().deleteUser(id, c.actor); });
}

Reply bulkCreateUsers(Call& c)
{
    QList<NewUser> batch;
    if (auto r = readBody(c, [&](Fields& f) {
            const auto users = f.array(QLatin1StringView("users"), kMaxBulkItems, true);
            if (!users)
                return;
            batch.reserve(users->size());
            for (qsizetype i = 0; i < users->size() && f.ok(); ++i) {
                const QString path = f.path(QLatin1StringView("users")) + QStringLiteral("[%1]").arg(i);
                if (!users->at(i).isObject())
                    return f.fail(Error::invalid(path, tr("must be an object")));
                Fields item(users->at(i).toObject(), path);
                NewUser nu;
                readNewUser(item, nu);
                if (auto s = item.finish(); !s.ok())
                    return f.fail(s.error());
                batch.append(std::move(nu));
            }
        }))
        return *r;
    auto created = c.service.directory().createUsers(batch, c.actor);
    if (!created.ok())
        return errorReply(atApiPath(created.error(), QStringLiteral("$.users")));
    QJsonArray data;
    for (const User& u : std::as_const(*created))
        data.append(QJsonObject {{QStringLiteral("id"), u.id}, {QStringLiteral("email"), u.email}});
    return json(201, {{QStringLiteral("data"), data}, {QStringLiteral("created"), created->size()}});
}

Reply bulkMonthlyLimit(Call& c)
{
    QList<Id> ids;
    std::optional<Money> limit;
    if (auto r = readBody(c, [&](Fields& f) {
            ids = f.ids(QLatin1StringView("user_ids"), kMaxBulkItems, true).value_or(QList<Id> {});
            if (!f.has(QLatin1StringView("monthly_limit")))
                return f.fail(QLatin1StringView("monthly_limit"),
                              tr("is required (null removes the override's limit)"));
            if (auto m = f.nullableMoney(QLatin1StringView("monthly_limit")))
                limit = *m;
        }))
        return *r;
    if (auto s = c.service.directory().setUsersMonthlyLimit(ids, limit, c.actor); !s.ok())
        return errorReply(atApiPath(s.error()));
    return json(200, {{QStringLiteral("updated"), ids.size()}, {QStringLiteral("monthly_limit"), moneyJson(limit)}});
}

Reply bulkStatus(Call& c)
{
    QList<Id> ids;
    UserStatus status = UserStatus::Active;
    if (auto r = readBody(c, [&](Fields& f) {
            ids = f.ids(QLatin1StringView("user_ids"), kMaxBulkItems, true).value_or(QList<Id> {});
            const auto s = f.string(QLatin1StringView("status"), true, 20);
            if (s && *s != u"active" && *s != u"inactive")
                f.fail(QLatin1StringView("status"), tr("must be active or inactive"));
            status = s == u"inactive" ? UserStatus::Inactive : UserStatus::Active;
        }))
        return *r;
    if (auto s = c.service.directory().setUsersStatus(ids, status, c.actor); !s.ok())
        return errorReply(atApiPath(s.error()));
    return json(200, {{QStringLiteral("updated"), ids.size()}});
}

// --- groups --------------------------------------------------------------------------------------------------

void readGroup(Fields& f, Group& g, bool create)
{
    if (auto v = f.string(QLatin1StringView("name"), create, 200))
        g.name = *v;
    if (f.isNull(QLatin1StringView("parent_id"))) {
        f.value(QLatin1StringView("parent_id"));
        g.parentId = 0;
    } else if (auto p = f.integer(QLatin1StringView("parent_id"), 1, std::numeric_limits<qint64>::max())) {
        g.parentId = *p;
    }
    if (f.isNull(QLatin1StringView("settings"))) {
        f.value(QLatin1StringView("settings"));
        g.settings.reset();
    } else if (f.has(QLatin1StringView("settings"))) {
        PolicySettings settings = g.settings.value_or(PolicySettings {});
        readNestedPolicy(f, QLatin1StringView("settings"), settings);
        g.settings = settings;
    }
    if (auto m = f.nullableMoney(QLatin1StringView("monthly_budget")))
        g.monthlyBudget = *m;
    if (auto a = f.string(QLatin1StringView("budget_action"), false, 10)) {
        if (*a == u"warn" || *a == u"block")
            g.budgetAction = *a == u"warn" ? BudgetAction::Warn : BudgetAction::Block;
        else
            f.fail(QLatin1StringView("budget_action"), tr("must be warn or block"));
    }
}

Reply listGroups(Call& c)
{
    QJsonArray data;
    for (const Group& g : c.service.directory().groups())
        data.append(groupJson(g, c.service));
    return json(200, {{QStringLiteral("data"), data}, {QStringLiteral("total"), data.size()}});
}

Reply getGroup(Call& c)
{
    auto g = find(c, tr("group"), [&c](Id id) { return c.service.directory().group(id); });
    if (!g.ok())
        return errorReply(g.error());
    return withVersion(json(200, groupJson(*g, c.service)), g->updatedAt);
}

Reply createGroup(Call& c)
{
    Group g;
    if (auto r = readBody(c, [&](Fields& f) { readGroup(f, g, true); }))
        return *r;
    auto created = c.service.directory().createGroup(g, c.actor);
    if (!created.ok())
        return errorReply(groupError(created.error()));
    return withVersion(json(201, groupJson(*created, c.service)), created->updatedAt);
}

Reply patchGroup(Call& c)
{
    auto g = find(c, tr("group"), [&c](Id id) { return c.service.directory().group(id); });
    if (!g.ok())
        return errorReply(g.error());
    if (auto r = readBody(c, [&](Fields& f) {
            readGroup(f, *g, false);
            g->updatedAt = expectedVersion(f, c.ifMatch());
        }))
        return *r;
    auto saved = c.service.directory().updateGroup(*g, c.actor);
    if (!saved.ok())
        return errorReply(groupError(saved.error()));
    return withVersion(json(200, groupJson(*saved, c.service)), saved->updatedAt);
}

Reply deleteGroup(Call& c)
{
    return deleteById(c, tr("group"), [&c](Id id) { return c.service.directory().deleteGroup(id, c.actor); });
}

Reply listMembers(Call& c)
{
    const auto found = find(c, tr("group"), [&c](Id id) { return c.service.directory().group(id); });
    if (!found.ok())
        return errorReply(found.error());
    const Id id = found->id;
    const auto page = c.page();
    if (!page.ok())
        return errorReply(page.error());
    const QList<Id> members = c.service.directory().groupMembers(id);
    return pageReply(*page, members.size(), [&](qsizetype i) {
        const auto u = c.service.directory().user(members[i]);
        return u ? userJson(*u, c.service) : QJsonObject {{QStringLiteral("id"), members[i]}};
    });
}

enum class MemberChange { Add, Remove, Move };

Reply changeMembers(Call& c, MemberChange change)
{
    const auto found = find(c, tr("group"), [&c](Id id) { return c.service.directory().group(id); });
    if (!found.ok())
        return errorReply(found.error());
    const Id id = found->id;
    QList<Id> ids;
    Id target = 0;
    if (auto r = readBody(c, [&](Fields& f) {
            ids = f.ids(QLatin1StringView("user_ids"), kMaxBulkItems, true).value_or(QList<Id> {});
            if (change == MemberChange::Move)
                target = f.integer(QLatin1StringView("to_group_id"), 1, std::numeric_limits<qint64>::max(), true)
                             .value_or(0);
        }))
        return *r;
    if (change == MemberChange::Move && !c.service.directory().group(target))
        return errorReply(Error::notFound(QStringLiteral("$.to_group_id"), tr("there is no group %1").arg(target)));
    Status s = change == MemberChange::Add ? c.service.directory().addUsersToGroup(ids, id, c.actor)
        : change == MemberChange::Remove   ? c.service.directory().removeUsersFromGroup(ids, id, c.actor)
                                           : c.service.directory().moveUsers(ids, id, target, c.actor);
    if (!s.ok())
        return errorReply(atApiPath(s.error()));
    const auto g = c.service.directory().group(change == MemberChange::Move ? target : id);
    return json(200, groupJson(*g, c.service));
}

Reply me(Call& c) { return json(200, adminKeyJson(c.caller)); }

} // namespace

void addDirectoryRoutes(Routes& r)
{
    const QStringList paging {QStringLiteral("limit"), QStringLiteral("offset")};
    r.add("GET", "/me", kViewer, me);
    r.add("GET", "/organizations/{}", kViewer, getOrganization);
    r.add("PATCH", "/organizations/{}", kAdmin, patchOrganization);
    r.add("GET", "/organizations/{}/policy", kViewer, getOrganizationPolicy);
    r.add("PATCH", "/organizations/{}/policy", kAdmin, patchOrganizationPolicy);
    r.add("GET", "/organizations/{}/user-policies", kViewer, listUserPolicies,
          paging
              + QStringList {QStringLiteral("overrides_only"), QStringLiteral("effective"), QStringLiteral("user_id"),
                             QStringLiteral("email")});
    r.add("POST", "/organizations/{}/user-policies", kAdmin, postUserPolicy);
    r.add("DELETE", "/organizations/{}/user-policies/{}", kAdmin, deleteUserPolicy);

    r.add("GET", "/users", kViewer, listUsers,
          paging
              + QStringList {QStringLiteral("sort"), QStringLiteral("order"), QStringLiteral("q"),
                             QStringLiteral("name"), QStringLiteral("email"), QStringLiteral("status"),
                             QStringLiteral("group_id")});
    r.add("POST", "/users", kAdmin, createUser);
    r.add("POST", "/users/bulk", kAdmin, bulkCreateUsers);
    r.add("POST", "/users/bulk/monthly-limit", kAdmin, bulkMonthlyLimit);
    r.add("POST", "/users/bulk/status", kAdmin, bulkStatus);
    r.add("GET", "/users/{}", kViewer, getUser);
    r.add("PATCH", "/users/{}", kAdmin, patchUser);
    r.add("DELETE", "/users/{}", kAdmin, deleteUser);
    r.add("POST", "/users/{}/deactivate", kAdmin, [](Call& c) { return setStatus(c, UserStatus::Inactive); });
    r.add("POST", "/users/{}/activate", kAdmin, [](Call& c) { return setStatus(c, UserStatus::Active); });

    r.add("GET", "/groups", kViewer, listGroups);
    r.add("POST", "/groups", kAdmin, createGroup);
    r.add("GET", "/groups/{}", kViewer, getGroup);
    r.add("PATCH", "/groups/{}", kAdmin, patchGroup);
    r.add("DELETE", "/groups/{}", kAdmin, deleteGroup);
    r.add("GET", "/groups/{}/members", kViewer, listMembers, paging);
    r.add("POST", "/groups/{}/members", kAdmin, [](Call& c) { return changeMembers(c, MemberChange::Add); });
    r.add("POST", "/groups/{}/members/remove", kAdmin, [](Call& c) { return changeMembers(c, MemberChange::Remove); });
    r.add("POST", "/groups/{}/members/move", kAdmin, [](Call& c) { return changeMembers(c, MemberChange::Move); });
}

} // namespace tollgate::admin
