#include "gateway/llm/gateway.h"

#include "core/metering/usagewriter.h"
#include "core/service/service.h"
#include "gateway/llm/logging.h"
#include "gateway/llm/proxy.h"
#include "gateway/llm/stages.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

namespace tollgate::llm {

namespace {

QByteArray newRequestId()
{
    thread_local QRandomGenerator64 rng(QRandomGenerator::system()->generate64());
    const quint64 a = rng.generate64();
    const quint32 b = rng.generate();
    return "req_" + QByteArray::number(a, 16).rightJustified(16, '0')
        + QByteArray::number(b, 16).rightJustified(8, '0');
}

// The gateway's routes: a path, the methods it answers, the API its errors speak and what serves it.
struct LlmRoute
{
    QByteArrayView path;
    QByteArrayView method; // what the route is called with; empty: any
    QByteArrayView allow; // the Allow header of a 405
    Api api;
    void (Gateway::*serve)(http::Exchange&, Api);
};

const LlmRoute kRoutes[] = {
    {"/healthz", {}, {}, Api::OpenAIChat, &Gateway::serveHealth},
    {"/v1/chat/completions", "POST", "POST", Api::OpenAIChat, &Gateway::serveLlm},
    {"/v1/responses", "POST", "POST", Api::OpenAIResponses, &Gateway::serveLlm},
    {"/v1/responses", "GET", "POST", Api::OpenAIResponses, &Gateway::serveResponsesGet},
    {"/v1/messages", "POST", "POST", Api::AnthropicMessages, &Gateway::serveLlm},
    {"/v1/messages/count_tokens", "POST", "POST", Api::AnthropicMessages, &Gateway::serveCountTokens},
    {"/v1/embeddings", "POST", "POST", Api::OpenAIEmbeddings, &Gateway::serveLlm},
    {"/v1/models", "GET", "GET, HEAD", Api::OpenAIChat, &Gateway::serveModels},
};

// Every answer on an Anthropic route names itself as Anthropic's do (the SDKs read request-id into _request_id).
void addRequestId(http::Response& r, Api api)
{
    const QByteArray id = newRequestId();
    r.headers.add("x-request-id", id);
    if (api == Api::AnthropicMessages)
        r.headers.add("request-id", id);
}

bool allows(const LlmRoute& route, QByteArrayView method)
{
    return route.method.isEmpty() || method == route.method || (route.method == "GET" && method == "HEAD");
}

} // namespace

Metrics::Route routeOf(Api api, bool countTokens)
{
    if (countTokens)
        return Metrics::Route::CountTokens;
    switch (api) {
    case Api::OpenAIChat: return Metrics::Route::ChatCompletions;
    case Api::OpenAIResponses: return Metrics::Route::Responses;
    case Api::AnthropicMessages: return Metrics::Route::Messages;
    case Api::OpenAIEmbeddings: return Metrics::Route::Embeddings;
    }
    return Metrics::Route::ChatCompletions;
}

QByteArray overheadText(qint64 us) { return QByteArray::number(double(std::max<qint64>(0, us)) / 1000.0, 'f', 3); }

Gateway::Gateway(Service& service, UsageWriter& writer, GatewayOptions options)
    : m_service(service)
    , m_writer(writer)
    , m_options(options)
{
}

Gateway::~Gateway() = default;

WorkerState& Gateway::threadState()
{
    if (!m_threadState.hasLocalData())
        m_threadState.setLocalData(new WorkerState(m_service));
    return *m_threadState.localData();
}

GatewayStats Gateway::stats() const
{
    const GatewayCounters& c = m_counters;
    return {c.requests.load(),  c.allowed.load(),  c.denied.load(),          c.upstreamErrors.load(),
            c.cancelled.load(), c.inFlight.load(), c.meteringFailures.load()};
}

void Gateway::handle(http::Exchange& exchange)
{
    const http::Request& req = exchange.request();
    // A path may have a route per method: the one that allows the method serves; none: the first one's 405.
    const LlmRoute* pathOnly = nullptr;
    for (const LlmRoute& r : kRoutes) {
        if (req.path != r.path)
            continue;
        if (allows(r, req.method)) {
            (this->*r.serve)(exchange, r.api);
            return;
        }
        if (!pathOnly)
            pathOnly = &r;
    }
    if (const LlmRoute* route = pathOnly) {
        http::Response r =
            errorResponse(route->api,
                          {405,
                           tr("use %1 on %2").arg(QString::fromLatin1(route->method), QString::fromLatin1(req.path)),
                           {},
                           {},
                           {},
                           {}});
        r.headers.add("Allow", route->allow.toByteArray());
        addRequestId(r, route->api);
        exchange.respond(std::move(r));
        return;
    }
    if (req.path.startsWith("/v1/models/") && req.path.size() > 11) {
        if (req.method != "GET" && req.method != "HEAD") {
            http::Response r = errorResponse(
                Api::OpenAIChat, {405, tr("use GET on %1").arg(QString::fromLatin1(req.path)), {}, {}, {}, {}});
            r.headers.add("Allow", "GET, HEAD");
            exchange.respond(std::move(r));
            return;
        }
        serveModel(exchange, QString::fromUtf8(QByteArray::fromPercentEncoding(req.path.mid(11))));
        return;
    }
    exchange.respond(
        errorResponse(Api::OpenAIChat,
                      {404,
                       tr("no route %1 %2; the gateway serves POST /v1/chat/completions, POST /v1/responses, "
                          "POST /v1/messages, POST /v1/messages/count_tokens, POST /v1/embeddings, GET /v1/models "
                          "and GET /v1/models/{id}")
                           .arg(QString::fromLatin1(req.method), QString::fromLatin1(req.path)),
                       QStringLiteral("unknown_route"),
                       {},
                       {},
                       {}}));
}

QByteArray Gateway::errorBody(int status, const QString& message) const
{
    return llm::errorBody(Api::OpenAIChat, status, message);
}

void Gateway::serveHealth(http::Exchange& exchange, Api)
{
    exchange.respond(http::Response::json(200, "{\"status\":\"ok\",\"version\":\"" TOLLGATE_VERSION "\"}"));
}

namespace {

// A model in the listing of the API the client speaks.
QJsonObject modelEntry(const ModelInfo& m, Api api, const Snapshot& org)
{
    if (api == Api::AnthropicMessages)
        return {{QStringLiteral("type"), QStringLiteral("model")},
                {QStringLiteral("id"), m.id},
                {QStringLiteral("display_name"), m.id},
                {QStringLiteral("created_at"), QStringLiteral("2024-01-01T00:00:00Z")}};
    const Provider* provider = org.provider(m.providerId);
    return {{QStringLiteral("id"), m.id},
            {QStringLiteral("object"), QStringLiteral("model")},
            {QStringLiteral("created"), 1'704'067'200},
            {QStringLiteral("owned_by"), provider ? provider->name : QStringLiteral("tollgate")}};
}

} // namespace

std::optional<RequestContext> Gateway::modelsCaller(http::Exchange& exchange)
{
    // The models routes serve both APIs' SDKs: Anthropic's send anthropic-version (or only x-api-key).
    const http::Headers& h = exchange.request().headers;
    const bool anthropic = h.contains("anthropic-version") || (h.contains("x-api-key") && !h.contains("Authorization"));
    const Api api = anthropic ? Api::AnthropicMessages : Api::OpenAIChat;
    RequestContext c = RequestContext::begin(api, exchange.request(), m_service.snapshot(), m_service.clock().now());
    Refusal refused = authenticate(c);
    if (refused && refused->code == u"missing_api_key")
        refused->message = tr("missing API key: send Authorization: Bearer <key>");
    // A shared key lists what the member it names may use; naming someone outside its groups is refused, as on the
    // LLM routes. Without a name, the key's own rules apply.
    if (!refused && !c.key.holderUserId && !h.value("X-Tollgate-User").trimmed().isEmpty())
        refused = resolvePrincipal(c);
    else if (!refused)
        c.userId = c.key.holderUserId;
    if (refused) {
        http::Response r = errorResponse(api, *refused);
        addRequestId(r, api);
        exchange.respond(std::move(r));
        return std::nullopt;
    }
    return c;
}

bool Gateway::mayUse(const RequestContext& c, const ModelInfo& m) const
{
    return m_service.enforcement().preflight(*c.org, {c.key.id, c.userId, 0, m.id}).allowed;
}

void Gateway::serveModels(http::Exchange& exchange, Api)
{
    std::optional<RequestContext> c = modelsCaller(exchange);
    if (!c)
        return;
    QList<ModelInfo> models = c->org->models.values();
    std::sort(models.begin(), models.end(), [](const ModelInfo& a, const ModelInfo& b) { return a.id < b.id; });
    QJsonArray data;
    QString first, last;
    for (const ModelInfo& m : std::as_const(models)) {
        if (!mayUse(*c, m))
            continue;
        data.append(modelEntry(m, c->api, *c->org));
        if (first.isEmpty())
            first = m.id;
        last = m.id;
    }
    QJsonObject out;
    if (c->api == Api::AnthropicMessages)
        out = {{QStringLiteral("data"), data},
               {QStringLiteral("has_more"), false},
               {QStringLiteral("first_id"), first.isEmpty() ? QJsonValue() : QJsonValue(first)},
               {QStringLiteral("last_id"), last.isEmpty() ? QJsonValue() : QJsonValue(last)}};
    else
        out = {{QStringLiteral("object"), QStringLiteral("list")}, {QStringLiteral("data"), data}};
    exchange.respond(http::Response::json(200, QJsonDocument(out).toJson(QJsonDocument::Compact)));
}

void Gateway::serveModel(http::Exchange& exchange, const QString& id)
{
    std::optional<RequestContext> c = modelsCaller(exchange);
    if (!c)
        return;
    // A model the caller may not use is answered as one that does not exist: the listing does not show it either.
    const ModelInfo* m = c->org->matchModel(id).model; // a snapshot or a family member is served as its model
    if (!m || !mayUse(*c, *m)) {
        exchange.respond(errorResponse(c->api,
                                       {404,
                                        tr("the model %1 does not exist or is not available to this key").arg(id),
                                        QStringLiteral("model_not_found"),
                                        QStringLiteral("model"),
                                        {},
                                        {}}));
        return;
    }
    QJsonObject entry = modelEntry(*m, c->api, *c->org);
    entry.insert(QStringLiteral("id"), id);
    exchange.respond(http::Response::json(200, QJsonDocument(entry).toJson(QJsonDocument::Compact)));
}

void Gateway::serveLlm(http::Exchange& exchange, Api api)
{
    serve(exchange, RequestContext::begin(api, exchange.request(), m_service.snapshot(), m_service.clock().now()));
}

void Gateway::serveCountTokens(http::Exchange& exchange, Api api)
{
    RequestContext c = RequestContext::begin(api, exchange.request(), m_service.snapshot(), m_service.clock().now());
    c.countTokens = true;
    serve(exchange, std::move(c));
}

void Gateway::serveResponsesGet(http::Exchange& exchange, Api api)
{
    // Codex and the Agents SDK first try the Responses API's WebSocket mode; a 426 makes them fall back to HTTP with
    // server-sent events, which is metered the same way as every other stream.
    const bool websocket = exchange.request().headers.value("Upgrade").toLower().contains("websocket");
    http::Response r = errorResponse(
        api,
        {websocket ? 426 : 405,
         websocket ? tr("the gateway does not serve the WebSocket mode of the Responses API: POST /v1/responses "
                        "with \"stream\": true")
                   : tr("use POST on /v1/responses"),
         websocket ? QStringLiteral("websocket_not_supported") : QString(),
         {},
         {},
         {}});
    if (websocket)
        r.headers.add("Upgrade", "HTTP/1.1");
    r.headers.add("Allow", "POST");
    exchange.respond(std::move(r));
}

void Gateway::serve(http::Exchange& exchange, RequestContext c)
{
    m_counters.requests.fetch_add(1, std::memory_order_relaxed);
    const Api api = c.api;
    c.requestId = newRequestId();
    c.record.requestId = QString::fromLatin1(c.requestId);
    c.headers.add("x-request-id", c.requestId);
    if (api == Api::AnthropicMessages)
        c.headers.add("request-id", c.requestId); // what Anthropic's SDKs read into _request_id

    Refusal refused = authenticate(c);
    if (!refused)
        refused = readBody(c);
    if (!refused)
        refused = resolvePrincipal(c);
    if (!refused)
        refused = resolveCustomer(c, m_service);
    if (!refused)
        refused = resolveModel(c);
    if (!refused && api == Api::OpenAIResponses) {
        const QJsonValue previous = c.body.value(QLatin1String("previous_response_id"));
        if (previous.isString())
            c.priorContextTokens = m_storedContexts.tokensOf(previous.toString());
    }
    if (!refused) {
        prepareForward(c, m_options.minimumLoweredMaxTokens);
        refused = admit(c, m_service.enforcement());
    }
    if (refused)
        refuse(exchange, std::move(c), std::move(*refused));
    else
        forward(exchange, std::move(c));
}

void Gateway::refuse(http::Exchange& exchange, RequestContext c, RequestError error)
{
    m_counters.denied.fetch_add(1, std::memory_order_relaxed);
    m_metrics.denial(error.code);
    qCDebug(lcLlm).noquote() << "request" << c.requestId << "refused" << error.status << error.code << "-"
                             << error.message;
    UsageRecord& rec = c.record;
    rec.latencyMs = qint32(exchange.timer().elapsed());
    rec.detail = error.message; // the request log says why
    if (!c.extras.isEmpty())
        rec.extras = QString::fromUtf8(QJsonDocument(c.extras).toJson(QJsonDocument::Compact));
    http::Response r = http::Response::json(error.status, llm::errorBody(c.api, error));
    for (const auto& [n, v] : c.headers.fields())
        r.headers.add(n, v);
    for (const auto& [n, v] : error.headers.fields())
        r.headers.add(n, v);
    const QElapsedTimer timer = exchange.timer();
    // Only catalog models become label values: a client cannot grow the metrics with made-up names.
    const QString model = rec.model.isEmpty() || c.org->model(rec.model) ? rec.model : QStringLiteral("(unknown)");
    const Api api = c.api;
    const bool countTokens = c.countTokens;
    QPointer<http::Exchange> ex(&exchange);
    recordThen(std::move(rec), [this, ex, api, countTokens, timer, model, r = std::move(r)](bool durable) mutable {
        if (!durable) { // as for answered requests: no answer without its usage record
            qCWarning(lcLlm) << "a refusal's usage record could not be written; answering 503";
            r = http::Response::json(503,
                                     llm::errorBody(api, 503,
                                                    tr("the usage of this request could not be recorded; "
                                                       "try again"),
                                                    QStringLiteral("metering_unavailable")));
        }
        // No provider was called: all of the latency is the gateway's.
        const qint64 us = timer.nsecsElapsed() / 1000;
        m_metrics.request(routeOf(api, countTokens), model, r.status, us, us);
        if (!ex)
            return;
        r.headers.add("x-tollgate-overhead-ms", overheadText(us));
        ex->respond(std::move(r));
    });
}

void Gateway::forward(http::Exchange& exchange, RequestContext c)
{
    ProxyCall::Setup setup;
    setup.api = c.api;
    setup.countTokens = c.countTokens;
    setup.provider = std::move(c.provider);
    setup.model = std::move(c.model);
    setup.decision = std::move(c.decision);
    setup.record = std::move(c.record);
    setup.extras = std::move(c.extras);
    setup.body = std::move(c.body);
    setup.bytes = std::move(c.bytes);
    setup.stream = c.stream;
    setup.clientWantsUsage = c.clientWantsUsage;
    setup.chatWebSearches = c.bounds.chatWebSearches;
    setup.countToolItems = c.bounds.countToolItems;
    setup.responseHeaders = std::move(c.headers);
    auto* call = new ProxyCall(*this, exchange, std::move(setup));
    call->setParent(&threadState().anchored.object());
    call->start();
}

void Gateway::recordThen(UsageRecord record, std::function<void(bool durable)> then)
{
    if (m_writer.journalled()) {
        // Durable once journalled, which submit() does before it returns: answer now, on this thread.
        bool durable = false;
        m_writer.submit(std::move(record), [&durable](const Status& s) { durable = s.ok(); });
        if (!durable)
            m_counters.meteringFailures.fetch_add(1, std::memory_order_relaxed);
        then(durable);
        return;
    }
    std::shared_ptr<http::ThreadAnchor> anchor = threadState().anchored.anchor();
    m_writer.submit(std::move(record), [this, anchor, then = std::move(then)](const Status& s) {
        if (!s.ok())
            m_counters.meteringFailures.fetch_add(1, std::memory_order_relaxed);
        const bool ok = s.ok();
        anchor->post([then, ok] { then(ok); });
    });
}

} // namespace tollgate::llm
