#pragma once

#include "core/domain/domain.h"
#include "core/domain/translate.h"
#include "gateway/http/anchor.h"
#include "gateway/http/server.h"
#include "gateway/json/fields.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QThreadPool>
#include <QThreadStorage>
#include <QUrlQuery>

#include <functional>

namespace tollgate {
class Service;
} // namespace tollgate

namespace tollgate::admin {

using namespace tollgate::json;

TOLLGATE_TRANSLATION_CONTEXT("tollgate::admin")

inline constexpr int kMaxBulkItems = 10'000;

// One admin request as a route sees it.
struct Page
{
    qsizetype offset = 0;
    qsizetype limit = 100;
};

struct Call
{
    Service& service;
    const http::Request& request;
    QStringList params; // the path's {captures}, in order
    QUrlQuery query;
    AdminKey caller;
    QString actor; // "admin:tga-abc123", for the audit log

    // The body as a JSON object (400 with the reason otherwise).
    Result<QJsonObject> body() const;
    // A path capture as an id; NotFound when it is not one.
    Result<Id> id(int index, const QString& what) const;
    // Query parameters, checked: an unknown parameter is refused by the route table (see Route::query).
    QString queryValue(const char* name) const { return query.queryItemValue(QLatin1String(name), QUrl::FullyDecoded); }
    bool hasQuery(const char* name) const { return query.hasQueryItem(QLatin1String(name)); }
    // An integer query parameter within [min, max], `fallback` when absent.
    Result<qint64> intQuery(const char* name, qint64 min, qint64 max, qint64 fallback) const;
    // limit (1..maxLimit, default defaultLimit) and offset.
    Result<Page> page(qint64 maxLimit = 1000, qint64 defaultLimit = 100) const;
    // A true/false query parameter (false when absent).
    Result<bool> boolQuery(const char* name) const;
    // The version a write expects (If-Match header or a "version" member read by the route); 0: none given.
    Instant ifMatch() const;
};

using Reply = http::Response;

Reply json(int status, const QJsonObject& o);
// The admin API's one error shape: {"error":{"type","code","message","param"}}.
Reply problem(int status, const char* type, const QString& code, const QString& message, const QString& param = {});
// A core error, mapped once: Invalid 400, NotFound 404, Conflict 409, Storage 503 (the detail goes to the log only).
Reply errorReply(const Error& e);
Reply noContent();
// {"data", "total", "offset", "limit"}: items [offset, offset + limit) of `total`, each made by `item(i)`.
template<typename F>
Reply pageReply(const Page& p, qsizetype total, F&& item)
{
    QJsonArray data;
    for (qsizetype i = p.offset; i < total && i < p.offset + p.limit; ++i)
        data.append(item(i));
    return json(200,
                {{QStringLiteral("data"), data},
                 {QStringLiteral("total"), total},
                 {QStringLiteral("offset"), p.offset},
                 {QStringLiteral("limit"), p.limit}});
}
// Adds the ETag a later write may send back as If-Match.
Reply withVersion(Reply r, Instant version);

// Runs `read` over the body's members, then refuses members nobody read; the error reply when anything was wrong.
template<typename F>
std::optional<Reply> readBody(const Call& c, F&& read)
{
    auto body = c.body();
    if (!body.ok())
        return errorReply(body.error());
    Fields f(*body);
    read(f);
    if (auto s = f.finish(); !s.ok())
        return errorReply(s.error());
    return std::nullopt;
}

QTimeZone organizationZone(const Service& s);

// "there is no user 12": the NotFound of a path capture.
Error noSuch(const QString& what, const QString& id);

// The entity that path capture `index` names, looked up with `get` (an Id -> std::optional<T>).
template<typename Get>
auto find(const Call& c, const QString& what, Get&& get, int index = 0)
    -> Result<typename std::invoke_result_t<Get, Id>::value_type>
{
    auto id = c.id(index, what);
    if (!id.ok())
        return id.error();
    auto found = get(*id);
    if (!found)
        return noSuch(what, QString::number(*id));
    return std::move(*found);
}

// DELETE /<things>/{id}: runs `remove` on the id; 204, or 404 naming `what`, or the service's refusal.
Reply deleteById(Call& c, const QString& what, const std::function<Status(Id)>& remove);

using RouteFn = std::function<Reply(Call&)>;

struct Route
{
    QByteArray method;
    QList<QByteArray> segments; // "{}" captures one segment
    AdminRole minimumRole = AdminRole::Viewer;
    QStringList queryParameters; // the query parameters the route reads; others are refused
    RouteFn run;
};

class Routes final
{
public:
    // pattern: "/users/{id}/policy" below /api/admin
    void add(const char* method, const char* pattern, AdminRole role, RouteFn run, QStringList query = {});
    const QList<Route>& all() const { return m_routes; }

private:
    QList<Route> m_routes;
};

// The routes of each resource family (directory.cpp, access.cpp, catalog.cpp, reports.cpp).
void addDirectoryRoutes(Routes& routes);
void addAccessRoutes(Routes& routes);
void addCatalogRoutes(Routes& routes);
void addReportRoutes(Routes& routes);

struct AdminApiOptions
{
    // On the gateway's own listener the admin API answers loopback clients only; on a listener of its own
    // (admin_listen) it answers whoever the operator let reach that address.
    bool loopbackOnly = true;
};

// The admin REST API under /api/admin: authenticates admin keys, checks the role, and runs each request on a small
// thread pool of its own (so a bulk change or a long report never holds up the gateway's connections), answering on
// the connection's thread.
class AdminApi final : public http::Handler
{
public:
    AdminApi(Service& service, AdminApiOptions options = {});
    ~AdminApi() override;
    Q_DISABLE_COPY_MOVE(AdminApi)

    void handle(http::Exchange& exchange) override;
    QByteArray errorBody(int status, const QString& message) const override;
    static bool isAdminPath(const QByteArray& path) { return path == "/api/admin" || path.startsWith("/api/admin/"); }

private:
    // The connection thread's anchor, for answers from the pool.
    http::Anchored& anchored();
    // Authenticates, routes, checks the role and the query, runs the route. On a pool thread.
    Reply process(const http::Request& request);

    Service& m_service;
    AdminApiOptions m_options;
    Routes m_routes;
    QThreadStorage<http::Anchored*> m_anchored;
    QThreadStorage<struct ConnectionCloser*> m_poolConnections; // destroyed after the pool's threads
    QThreadPool m_pool;
};

} // namespace tollgate::admin
