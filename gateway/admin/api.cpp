#include "gateway/admin/api.h"

#include "core/domain/tsan.h"
#include "core/service/service.h"
#include "gateway/json/fields.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>

Q_LOGGING_CATEGORY(lcAdmin, "tollgate.gateway.admin", QtInfoMsg)

namespace tollgate::admin {

namespace {

QList<QByteArray> splitPath(const QByteArray& path)
{
    QList<QByteArray> out;
    for (const QByteArray& s : path.split('/'))
        if (!s.isEmpty())
            out.append(QByteArray::fromPercentEncoding(s));
    return out;
}

QByteArray secretOf(const http::Headers& h)
{
    if (QByteArray bearer = http::bearerToken(h); !bearer.isEmpty())
        return bearer;
    return h.value("x-api-key").trimmed();
}

} // namespace

// Closes a pool thread's database connection when the thread ends (idle pool threads expire).
struct ConnectionCloser
{
    Service& service;
    ~ConnectionCloser() { service.database().closeThreadConnection(); }
};

Result<QJsonObject> Call::body() const
{
    if (request.body.trimmed().isEmpty())
        return Error::invalid(QStringLiteral("$"), tr("the request needs a JSON object as its body"));
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &pe);
    if (pe.error != QJsonParseError::NoError)
        return Error::invalid(QStringLiteral("$"),
                              tr("the body is not valid JSON: %1 at byte %2").arg(pe.errorString()).arg(pe.offset));
    if (!doc.isObject())
        return Error::invalid(QStringLiteral("$"), tr("the body must be a JSON object"));
    return doc.object();
}

Result<Id> Call::id(int index, const QString& what) const
{
    bool ok = false;
    const Id id = params.value(index).toLongLong(&ok);
    if (!ok || id <= 0)
        return noSuch(what, u'\'' + params.value(index) + u'\'');
    return id;
}

Error noSuch(const QString& what, const QString& id)
{
    return Error::notFound(QString(), tr("there is no %1 %2").arg(what, id));
}

Result<qint64> Call::intQuery(const char* name, qint64 min, qint64 max, qint64 fallback) const
{
    if (!hasQuery(name))
        return fallback;
    bool ok = false;
    const qint64 v = queryValue(name).toLongLong(&ok);
    if (!ok || v < min || v > max)
        return Error::invalid(QLatin1String(name), tr("must be a whole number from %1 to %2").arg(min).arg(max));
    return v;
}

Result<Page> Call::page(qint64 maxLimit, qint64 defaultLimit) const
{
    auto limit = intQuery("limit", 1, maxLimit, defaultLimit);
    if (!limit.ok())
        return limit.error();
    auto offset = intQuery("offset", 0, std::numeric_limits<int>::max(), 0);
    if (!offset.ok())
        return offset.error();
    return Page {qsizetype(*offset), qsizetype(*limit)};
}

Result<bool> Call::boolQuery(const char* name) const
{
    const QString v = queryValue(name);
    if (!hasQuery(name) || v == u"false")
        return false;
    if (v == u"true")
        return true;
    return Error::invalid(QLatin1String(name), tr("must be true or false"));
}

Instant Call::ifMatch() const
{
    QByteArray v = request.headers.value("If-Match").trimmed();
    if (v.startsWith("W/"))
        v = v.mid(2);
    if (v.startsWith('"') && v.endsWith('"') && v.size() >= 2)
        v = v.mid(1, v.size() - 2);
    return v.toLongLong();
}

Reply json(int status, const QJsonObject& o)
{
    return http::Response::json(status, QJsonDocument(o).toJson(QJsonDocument::Compact));
}

Reply problem(int status, const char* type, const QString& code, const QString& message, const QString& param)
{
    QJsonObject e {{QStringLiteral("type"), QLatin1String(type)},
                   {QStringLiteral("code"), code},
                   {QStringLiteral("message"), message}};
    if (!param.isEmpty())
        e.insert(QStringLiteral("param"), param);
    return json(status, QJsonObject {{QStringLiteral("error"), e}});
}

Reply errorReply(const Error& e)
{
    switch (e.code) {
    case Error::Code::Invalid:
        return problem(400, "invalid_request_error", QStringLiteral("invalid_field"), e.toString(), e.field);
    case Error::Code::NotFound:
        return problem(404, "not_found_error", QStringLiteral("not_found"), e.toString(), e.field);
    case Error::Code::Conflict:
        // A stale version is the client's "version" (or If-Match), whatever the service calls it.
        if (e.field.endsWith(QLatin1String("updated_at")))
            return problem(409, "conflict_error", QStringLiteral("version_mismatch"),
                           QStringLiteral("$.version: ") + e.message, QStringLiteral("$.version"));
        return problem(409, "conflict_error", QStringLiteral("conflict"), e.toString(), e.field);
    case Error::Code::Storage:
        // The database's own words stay in the log: they can name tables, constraints and values.
        qCWarning(lcAdmin).noquote() << "storage error:" << e.toString();
        return problem(503, "api_error", QStringLiteral("storage_unavailable"),
                       tr("the database could not carry out the request, nothing was written; try again (the "
                          "gateway's log has the detail)"));
    }
    return problem(500, "api_error", QStringLiteral("internal"), e.message);
}

Reply noContent()
{
    Reply r;
    r.status = 204;
    return r;
}

QTimeZone organizationZone(const Service& s) { return QTimeZone(s.directory().organization().timezone.toUtf8()); }

Reply deleteById(Call& c, const QString& what, const std::function<Status(Id)>& remove)
{
    auto id = c.id(0, what);
    if (!id.ok())
        return errorReply(id.error());
    if (auto s = remove(*id); !s.ok())
        return errorReply(s.error().code == Error::Code::NotFound ? noSuch(what, QString::number(*id))
                                                                  : atApiPath(s.error()));
    return noContent();
}

Reply withVersion(Reply r, Instant version)
{
    r.headers.add("ETag", '"' + QByteArray::number(version) + '"');
    return r;
}

void Routes::add(const char* method, const char* pattern, AdminRole role, RouteFn run, QStringList query)
{
    m_routes.append({QByteArray(method), splitPath(QByteArray(pattern)), role, std::move(query), std::move(run)});
}

AdminApi::AdminApi(Service& service, AdminApiOptions options)
    : m_service(service)
    , m_options(options)
{
    addDirectoryRoutes(m_routes);
    addAccessRoutes(m_routes);
    addCatalogRoutes(m_routes);
    addReportRoutes(m_routes);
    m_pool.setMaxThreadCount(2);
}

QByteArray AdminApi::errorBody(int status, const QString& message) const
{
    return problem(status, status >= 500 ? "api_error" : "invalid_request_error", QStringLiteral("bad_request"),
                   message)
        .body;
}

AdminApi::~AdminApi() { m_pool.waitForDone(); }

http::Anchored& AdminApi::anchored()
{
    if (!m_anchored.hasLocalData())
        m_anchored.setLocalData(new http::Anchored);
    return *m_anchored.localData();
}

void AdminApi::handle(http::Exchange& exchange)
{
    if (m_options.loopbackOnly && !exchange.peer().isLoopback()) {
        exchange.respond(problem(403, "permission_error", QStringLiteral("admin_loopback_only"),
                                 tr("the admin API answers only on this machine (loopback); to reach it from "
                                    "elsewhere, give it a listen address of its own with --admin-listen")));
        return;
    }
    // Everything else, authentication included, runs off the connection's thread (it reads the database and may
    // wait for a write); the reply is sent back on it.
    std::shared_ptr<http::ThreadAnchor> anchor = anchored().anchor();
    QPointer<http::Exchange> target(&exchange);
    // The task is made before the release and the pool only carries its address (domain/tsan.h).
    auto* task = new std::function<void()>([this, anchor, target, request = exchange.request()] {
        if (!m_poolConnections.hasLocalData())
            m_poolConnections.setLocalData(new ConnectionCloser {m_service});
        Reply reply;
        try {
            reply = process(request);
        } catch (const std::exception& e) {
            qCWarning(lcAdmin) << "admin route failed:" << e.what();
            reply = problem(500, "api_error", QStringLiteral("internal"), tr("internal error"));
        }
        anchor->post([target, reply = std::move(reply)]() mutable {
            if (target)
                target->respond(std::move(reply));
        });
    });
    tsan::released();
    m_pool.start([task] {
        tsan::acquired();
        const std::unique_ptr<std::function<void()>> owned(task);
        (*owned)();
    });
}

Reply AdminApi::process(const http::Request& req)
{
    // Authentication first: nothing about the routes is told to a caller without an admin key.
    const QByteArray secret = secretOf(req.headers);
    if (secret.isEmpty()) {
        Reply r = problem(401, "authentication_error", QStringLiteral("missing_admin_key"),
                          tr("send an admin key as Authorization: Bearer <key>"));
        r.headers.add("WWW-Authenticate", "Bearer realm=\"tollgate-admin\"");
        return r;
    }
    auto caller = m_service.access().authenticateAdmin(QString::fromLatin1(secret));
    if (!caller.ok()) {
        if (caller.error().code == Error::Code::Storage)
            return errorReply(caller.error());
        const auto gatewayKey = m_service.access().authenticate(QString::fromLatin1(secret));
        if (gatewayKey.ok() || gatewayKey.error().code == Error::Code::Invalid) {
            return problem(403, "permission_error", QStringLiteral("gateway_key"),
                           tr("this is a gateway key; the admin API takes admin keys only"));
        }
        Reply r = problem(401, "authentication_error", QStringLiteral("invalid_admin_key"), caller.error().message);
        r.headers.add("WWW-Authenticate", "Bearer realm=\"tollgate-admin\", error=\"invalid_token\"");
        return r;
    }

    // Route: the path below /api/admin, then the method.
    const QList<QByteArray> segments = splitPath(req.path.mid(qstrlen("/api/admin")));
    const Route* route = nullptr;
    QStringList params;
    QByteArrayList allowed;
    for (const Route& candidate : m_routes.all()) {
        if (candidate.segments.size() != segments.size())
            continue;
        QStringList captured;
        bool match = true;
        for (qsizetype i = 0; i < segments.size() && match; ++i) {
            if (candidate.segments[i] == "{}")
                captured.append(QString::fromUtf8(segments[i]));
            else
                match = candidate.segments[i] == segments[i];
        }
        if (!match)
            continue;
        allowed.append(candidate.method);
        if (candidate.method == req.method) {
            route = &candidate;
            params = captured;
            break;
        }
    }
    if (!route) {
        if (allowed.isEmpty()) {
            return problem(404, "not_found_error", QStringLiteral("unknown_route"),
                           tr("no admin route %1 %2; see docs/admin-api.md")
                               .arg(QString::fromLatin1(req.method), QString::fromUtf8(req.path)));
        }
        Reply r = problem(405, "invalid_request_error", QStringLiteral("method_not_allowed"),
                          tr("use %1 on %2").arg(QString::fromLatin1(allowed.join(", ")), QString::fromUtf8(req.path)));
        r.headers.add("Allow", allowed.join(", "));
        return r;
    }
    if (caller->role < route->minimumRole) {
        return problem(403, "permission_error", QStringLiteral("role_too_low"),
                       tr("the admin key %1 has the role %2; this needs %3")
                           .arg(caller->prefix, adminRoleName(caller->role), adminRoleName(route->minimumRole)));
    }
    const QUrlQuery query(QString::fromUtf8(req.query));
    for (const auto& [name, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (!route->queryParameters.contains(name)) {
            return errorReply(Error::invalid(name,
                                             route->queryParameters.isEmpty()
                                                 ? tr("this route takes no query parameters")
                                                 : tr("is not a parameter of this route (known: %1)")
                                                       .arg(route->queryParameters.join(QStringLiteral(", ")))));
        }
    }

    Call call {m_service, req, params, query, *caller, QStringLiteral("admin:%1").arg(caller->prefix)};
    return route->run(call);
}

} // namespace tollgate::admin
