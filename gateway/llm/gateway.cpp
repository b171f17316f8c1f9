#include "llm/gateway.h"

#include "admin/entities.h"

#include "llm/proxy.h"
#include "metering/usagewriter.h"
#include "enforcement/explanation.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

namespace tollgate::llm {

namespace {

QString tr(const char* s) { return QCoreApplication::translate("tollgate::llm::Gateway", s); }

QByteArray newRequestId()
{
    thread_local QRandomGenerator64 rng(QRandomGenerator::system()->generate64());
    const quint64 a = rng.generate64();
    const quint32 b = rng.generate();
    return "req_" + QByteArray::number(a, 16).rightJustified(16, '0') + QByteArray::number(b, 16).rightJustified(8, '0');
}

// Go-style durations, as OpenAI's x-ratelimit-reset-* headers: "1s", "6m0s", "2h3m4s".
QByteArray durationText(qint64 seconds)
{
    seconds = std::max<qint64>(0, seconds);
    if (seconds < 60)
        return QByteArray::number(seconds) + 's';
    if (seconds < 3600)
        return QByteArray::number(seconds / 60) + 'm' + QByteArray::number(seconds % 60) + 's';
    return QByteArray::number(seconds / 3600) + 'h' + QByteArray::number(seconds % 3600 / 60) + 'm'
        + QByteArray::number(seconds % 60) + 's';
}

} // namespace

Metrics::Route routeOf(Api api)
{
    switch (api) {
    case Api::OpenAIChat: return Metrics::Route::ChatCompletions;
    case Api::AnthropicMessages: return Metrics::Route::Messages;
    case Api::OpenAIEmbeddings: return Metrics::Route::Embeddings;
    }
    return Metrics::Route::ChatCompletions;
}

QByteArray overheadText(qint64 us)
{
    return QByteArray::number(double(std::max<qint64>(0, us)) / 1000.0, 'f', 3);
}

namespace {

void addRateHeaders(http::Headers& h, const Decision& d, Instant now)
{
    const LimitCheck* tightest = nullptr;
    qint64 remaining = 0;
    for (const LimitCheck& c : d.checks) {
        if (c.metric != Metric::Requests || !c.enforce)
            continue;
        const qint64 left = std::max<qint64>(0, c.limit - c.used - (d.allowed ? 1 : 0));
        if (!tightest || left < remaining) {
            tightest = &c;
            remaining = left;
        }
    }
    if (!tightest)
        return;
    h.add("x-ratelimit-limit-requests", QByteArray::number(tightest->limit));
    h.add("x-ratelimit-remaining-requests", QByteArray::number(remaining));
    h.add("x-ratelimit-reset-requests", durationText((tightest->window.end - now + 999) / 1000));
}

// The key a request carries: Authorization: Bearer <key>, or Anthropic's x-api-key.
QByteArray secretOf(const http::Headers& h)
{
    if (QByteArray bearer = http::bearerToken(h); !bearer.isEmpty())
        return bearer;
    return h.value("x-api-key").trimmed();
}

const char* featureOf(Api api)
{
    switch (api) {
    case Api::OpenAIChat: return "chat";
    case Api::AnthropicMessages: return "messages";
    case Api::OpenAIEmbeddings: return "embeddings";
    }
    return "";
}

bool isPositiveInteger(const QJsonValue& v)
{
    return v.isDouble() && v.toDouble() >= 1 && v.toDouble() <= 1e12 && double(v.toInteger()) == v.toDouble();
}

// A request's problem with one of its fields.
struct Invalid
{
    int status = 400;
    QString message;
    QString code;
    QString param;
};

std::optional<Invalid> validateBody(Api api, const QJsonObject& body)
{
    auto bad = [](QString param, QString message) {
        return Invalid {400, std::move(message), QStringLiteral("invalid_request"), std::move(param)};
    };
    const QJsonValue model = body.value(QLatin1String("model"));
    if (!model.isString() || model.toString().isEmpty())
        return bad(QStringLiteral("model"), tr("model is required and must be a string"));
    if (body.contains(QLatin1String("stream")) && !body.value(QLatin1String("stream")).isBool()
        && !body.value(QLatin1String("stream")).isNull())
        return bad(QStringLiteral("stream"), tr("stream must be true or false"));
    if (body.contains(QLatin1String("customer_params")) && !body.value(QLatin1String("customer_params")).isObject())
        return bad(QStringLiteral("customer_params"), tr("customer_params must be an object"));
    if (api == Api::OpenAIEmbeddings) {
        const QJsonValue input = body.value(QLatin1String("input"));
        if (!(input.isString() || (input.isArray() && !input.toArray().isEmpty())))
            return bad(QStringLiteral("input"), tr("input must be a string or a non-empty array"));
        return std::nullopt;
    }
    const QJsonValue messages = body.value(QLatin1String("messages"));
    if (!messages.isArray() || messages.toArray().isEmpty())
        return bad(QStringLiteral("messages"), tr("messages must be a non-empty array"));
    const QJsonArray list = messages.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QJsonObject m = list[i].toObject();
        if (!list[i].isObject() || !m.value(QLatin1String("role")).isString())
            return bad(QStringLiteral("messages[%1]").arg(i), tr("each message must be an object with a role"));
        const QJsonValue content = m.value(QLatin1String("content"));
        if (!(content.isString() || content.isArray() || content.isNull() || content.isUndefined()))
            return bad(QStringLiteral("messages[%1].content").arg(i), tr("content must be a string or an array of parts"));
    }
    for (const char* field : {"max_tokens", "max_completion_tokens"}) {
        const QJsonValue v = body.value(QLatin1String(field));
        if (!v.isUndefined() && !v.isNull() && !isPositiveInteger(v))
            return bad(QString::fromLatin1(field), tr("%1 must be a positive integer").arg(QString::fromLatin1(field)));
    }
    if (api == Api::AnthropicMessages) {
        if (!isPositiveInteger(body.value(QLatin1String("max_tokens"))))
            return bad(QStringLiteral("max_tokens"), tr("max_tokens is required and must be a positive integer"));
        const QJsonValue metadata = body.value(QLatin1String("metadata"));
        if (!metadata.isUndefined() && !metadata.isObject())
            return bad(QStringLiteral("metadata"), tr("metadata must be an object"));
    } else {
        const QJsonValue user = body.value(QLatin1String("user"));
        if (!user.isUndefined() && !user.isString())
            return bad(QStringLiteral("user"), tr("user must be a string"));
        const QJsonValue options = body.value(QLatin1String("stream_options"));
        if (!options.isUndefined() && !options.isNull() && !options.isObject())
            return bad(QStringLiteral("stream_options"), tr("stream_options must be an object"));
    }
    return std::nullopt;
}

} // namespace

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
    return {m_requests.load(), m_allowed.load(),        m_denied.load(),          m_upstreamErrors.load(),
            m_cancelled.load(), m_inFlight.load(), m_meteringFailures.load()};
}

void Gateway::handle(http::Exchange& exchange)
{
    const http::Request& req = exchange.request();
    const QByteArray& path = req.path;
    if (path == "/healthz") {
        exchange.respond(http::Response::json(
            200, "{\"status\":\"ok\",\"version\":\"" TOLLGATE_VERSION "\"}"));
        return;
    }
    std::optional<Api> api;
    if (path == "/v1/chat/completions")
        api = Api::OpenAIChat;
    else if (path == "/v1/messages")
        api = Api::AnthropicMessages;
    else if (path == "/v1/embeddings")
        api = Api::OpenAIEmbeddings;
    if (path == "/v1/models") {
        if (req.method != "GET" && req.method != "HEAD") {
            http::Response r = http::Response::json(405, errorBody(Api::OpenAIChat, 405, tr("use GET on /v1/models")));
            r.headers.add("Allow", "GET, HEAD");
            exchange.respond(std::move(r));
            return;
        }
        handleModels(exchange);
        return;
    }
    if (!api) {
        exchange.respond(http::Response::json(
            404, errorBody(Api::OpenAIChat, 404,
                           tr("no route %1 %2; the gateway serves POST /v1/chat/completions, POST /v1/messages, "
                              "POST /v1/embeddings and GET /v1/models")
                               .arg(QString::fromLatin1(req.method), QString::fromLatin1(path)),
                           QStringLiteral("unknown_route"))));
        return;
    }
    if (req.method != "POST") {
        http::Response r = http::Response::json(405, errorBody(*api, 405, tr("use POST on %1").arg(QString::fromLatin1(path))));
        r.headers.add("Allow", "POST");
        exchange.respond(std::move(r));
        return;
    }
    handleLlm(exchange, *api);
}

void Gateway::handleModels(http::Exchange& exchange)
{
    const http::Headers& h = exchange.request().headers;
    const bool anthropic = h.contains("anthropic-version") || (h.contains("x-api-key") && !h.contains("Authorization"));
    const Api api = anthropic ? Api::AnthropicMessages : Api::OpenAIChat;
    const QByteArray secret = secretOf(h);
    if (secret.isEmpty()) {
        exchange.respond(http::Response::json(401, errorBody(api, 401, tr("missing API key: send Authorization: Bearer <key>"),
                                                             QStringLiteral("missing_api_key"))));
        return;
    }
    auto key = m_service.access().authenticate(QString::fromUtf8(secret));
    if (!key.ok()) {
        exchange.respond(http::Response::json(401, errorBody(api, 401, key.error().message, QStringLiteral("invalid_api_key"))));
        return;
    }
    Id userId = key->holderUserId;
    const QByteArray named = h.value("X-Tollgate-User");
    if (!userId && !named.isEmpty()) {
        if (auto u = m_service.directory().userByEmail(QString::fromUtf8(named)))
            userId = u->id;
    }
    QJsonArray data;
    QString first, last;
    for (const ModelInfo& m : m_service.catalog().models()) {
        if (!m_service.enforcement().preflight({key->id, userId, 0, m.id}).allowed)
            continue;
        if (anthropic) {
            data.append(QJsonObject {{QStringLiteral("type"), QStringLiteral("model")},
                                     {QStringLiteral("id"), m.id},
                                     {QStringLiteral("display_name"), m.id},
                                     {QStringLiteral("created_at"), QStringLiteral("2024-01-01T00:00:00Z")}});
        } else {
            const auto provider = m_service.catalog().provider(m.providerId);
            data.append(QJsonObject {{QStringLiteral("id"), m.id},
                                     {QStringLiteral("object"), QStringLiteral("model")},
                                     {QStringLiteral("created"), 1'704'067'200},
                                     {QStringLiteral("owned_by"), provider ? provider->name : QStringLiteral("tollgate")}});
        }
        if (first.isEmpty())
            first = m.id;
        last = m.id;
    }
    QJsonObject out;
    if (anthropic)
        out = {{QStringLiteral("data"), data}, {QStringLiteral("has_more"), false},
               {QStringLiteral("first_id"), first.isEmpty() ? QJsonValue() : QJsonValue(first)},
               {QStringLiteral("last_id"), last.isEmpty() ? QJsonValue() : QJsonValue(last)}};
    else
        out = {{QStringLiteral("object"), QStringLiteral("list")}, {QStringLiteral("data"), data}};
    exchange.respond(http::Response::json(200, QJsonDocument(out).toJson(QJsonDocument::Compact)));
}

void Gateway::handleLlm(http::Exchange& exchange, Api api)
{
    m_requests.fetch_add(1, std::memory_order_relaxed);
    const http::Request& req = exchange.request();
    const Instant now = m_service.clock().now();
    const QByteArray requestId = newRequestId();

    UsageRecord rec;
    rec.time = now;
    rec.requestId = QString::fromLatin1(requestId);
    rec.status = UsageStatus::Denied;
    http::Headers headers;
    headers.add("x-request-id", requestId);

    QPointer<http::Exchange> ex(&exchange);
    auto deny = [&](int status, const QString& message, const QString& code, const QString& param = {},
                    const QJsonObject& explanation = {}, const http::Headers& extra = {}) {
        m_denied.fetch_add(1, std::memory_order_relaxed);
        m_metrics.denial(code);
        rec.latencyMs = qint32(exchange.timer().elapsed());
        rec.detail = message; // the request log says why
        http::Response r = http::Response::json(status, errorBody(api, status, message, code, param, explanation));
        for (const auto& [n, v] : headers.fields())
            r.headers.add(n, v);
        for (const auto& [n, v] : extra.fields())
            r.headers.add(n, v);
        const QElapsedTimer timer = exchange.timer();
        // Only catalog models become label values: a client cannot grow the metrics with made-up names.
        const QString model = rec.model.isEmpty() || m_service.catalog().model(rec.model) ? rec.model : QStringLiteral("(unknown)");
        recordThen(*this, rec, [this, ex, api, timer, model, r = std::move(r)](bool durable) mutable {
            if (!durable) // as for answered requests: no answer without its usage record
                r = http::Response::json(503, errorBody(api, 503, tr("the usage of this request could not be "
                                                                     "recorded; try again"),
                                                        QStringLiteral("metering_unavailable")));
            // No provider was called: all of the latency is the gateway's.
            const qint64 us = timer.nsecsElapsed() / 1000;
            m_metrics.request(routeOf(api), model, r.status, us, us);
            if (!ex)
                return;
            r.headers.add("x-tollgate-overhead-ms", overheadText(us));
            ex->respond(std::move(r));
        });
    };

    // 1. The key
    const QByteArray secret = secretOf(req.headers);
    if (secret.isEmpty())
        return deny(401, tr("missing API key: send Authorization: Bearer <key> (or x-api-key)"),
                    QStringLiteral("missing_api_key"));
    auto key = m_service.access().authenticate(QString::fromUtf8(secret));
    if (!key.ok())
        return deny(401, key.error().message, QStringLiteral("invalid_api_key"));
    rec.keyId = key->id;
    rec.projectId = key->projectId;

    // 2. The body
    if (req.body.isEmpty())
        return deny(400, tr("the body is empty: send a JSON object"), QStringLiteral("invalid_json"));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(req.body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return deny(400, tr("the body is not valid JSON: %1 at byte %2").arg(parseError.errorString()).arg(parseError.offset),
                    QStringLiteral("invalid_json"));
    if (!doc.isObject())
        return deny(400, tr("the body must be a JSON object"), QStringLiteral("invalid_json"));
    QJsonObject body = doc.object();
    rec.model = body.value(QLatin1String("model")).toString().left(200);
    if (auto invalid = validateBody(api, body))
        return deny(invalid->status, invalid->message, invalid->code, invalid->param);
    if (!key->features.contains(QLatin1String(featureOf(api))))
        return deny(403, tr("this key may not be used for %1").arg(QLatin1String(featureOf(api))),
                    QStringLiteral("feature_not_allowed"));

    // 3. The principal: the key's holder, or the group member the request names.
    Id userId = key->holderUserId;
    if (!userId && !key->groupIds.isEmpty()) {
        QString named = QString::fromUtf8(req.headers.value("X-Tollgate-User")).trimmed();
        if (named.isEmpty())
            named = api == Api::AnthropicMessages
                ? body.value(QLatin1String("metadata")).toObject().value(QLatin1String("user_id")).toString()
                : body.value(QLatin1String("user")).toString();
        if (named.isEmpty())
            return deny(400, tr("this key is shared by groups: name the member in the \"user\" field or the "
                                "X-Tollgate-User header"),
                        QStringLiteral("user_required"), QStringLiteral("user"));
        auto user = m_service.directory().userByEmail(named);
        bool numeric = false;
        const Id asId = named.toLongLong(&numeric);
        if (!user && numeric)
            user = m_service.directory().user(asId);
        if (!user)
            return deny(403, tr("user %1 is not known to this organisation").arg(named), QStringLiteral("unknown_user"),
                        QStringLiteral("user"));
        bool member = false;
        for (Id g : user->groupIds) {
            for (Id cur = g; cur && !member; cur = m_service.directory().group(cur).value_or(Group {}).parentId)
                member = key->groupIds.contains(cur);
        }
        if (!member)
            return deny(403, tr("user %1 is not a member of this key's groups").arg(named), QStringLiteral("not_a_member"),
                        QStringLiteral("user"));
        userId = user->id;
    }
    rec.userId = userId;

    // 4. The customer (customer_params creates or updates it)
    Id customerId = 0;
    if (body.contains(QLatin1String("customer_params"))) {
        const QJsonObject cp = body.value(QLatin1String("customer_params")).toObject();
        const QString identifier = cp.value(QLatin1String("customer_identifier")).toString();
        if (identifier.isEmpty())
            return deny(400, tr("customer_params.customer_identifier is required"), QStringLiteral("invalid_request"),
                        QStringLiteral("customer_params.customer_identifier"));
        Customer c = m_service.customers().customerByIdentifier(identifier).value_or(Customer {});
        const Customer before = c;
        admin::Fields fields(cp, QStringLiteral("customer_params"));
        admin::readCustomer(fields, c, QTimeZone(m_service.directory().organization().timezone.toUtf8()));
        if (auto s = fields.finish(); !s.ok())
            return deny(400, s.error().toString(), QStringLiteral("invalid_request"), s.error().field);
        const bool changed = !c.id || c.name != before.name || c.email != before.email
            || c.periodBudget != before.periodBudget || c.totalBudget != before.totalBudget
            || c.budgetDuration != before.budgetDuration || c.rateLimitPerMinute != before.rateLimitPerMinute
            || c.markupBasisPoints != before.markupBasisPoints || c.periodStart != before.periodStart
            || c.periodEnd != before.periodEnd;
        if (changed) {
            auto saved = m_service.customers().saveCustomer(c, QStringLiteral("gateway:%1").arg(key->prefix));
            if (!saved.ok())
                return deny(400, saved.error().toString(), QStringLiteral("invalid_request"),
                            QStringLiteral("customer_params.") + saved.error().field);
            c = saved.value();
        }
        customerId = c.id;
        body.remove(QLatin1String("customer_params"));
    }
    rec.customerId = customerId;

    // 5. The model and its provider
    const QString modelId = body.value(QLatin1String("model")).toString();
    const std::optional<ModelInfo> model = m_service.catalog().model(modelId);
    if (!model)
        return deny(404, tr("the model %1 does not exist or is not in the catalog").arg(modelId),
                    QStringLiteral("model_not_found"), QStringLiteral("model"));
    const std::optional<Provider> provider = m_service.catalog().provider(model->providerId);
    if (!provider)
        return deny(500, tr("the model %1 has no provider").arg(modelId), QStringLiteral("no_provider"));
    if (api == Api::AnthropicMessages && provider->kind == ProviderKind::OpenAICompatible)
        return deny(400, tr("the model %1 speaks the OpenAI API: call /v1/chat/completions").arg(modelId),
                    QStringLiteral("wrong_route"), QStringLiteral("model"));
    if (api != Api::AnthropicMessages && provider->kind == ProviderKind::Anthropic)
        return deny(400, tr("the model %1 speaks the Anthropic API: call /v1/messages").arg(modelId),
                    QStringLiteral("wrong_route"), QStringLiteral("model"));
    rec.providerId = provider->id;
    if (!model->upstreamName.isEmpty())
        body.insert(QStringLiteral("model"), model->upstreamName);

    // 6. Admission: the largest possible cost, reserved on every counter. The input can hold no more tokens than
    // its bytes (every token of a byte-level tokenizer covers at least one byte; the JSON around the text covers
    // the per-message tokens).
    const bool stream = body.value(QLatin1String("stream")).toBool();
    const char* maxField = body.contains(QLatin1String("max_completion_tokens")) ? "max_completion_tokens" : "max_tokens";
    qint64 maxOutput = 0;
    if (api != Api::OpenAIEmbeddings) {
        const QJsonValue asked = body.value(QLatin1String(maxField));
        maxOutput = isPositiveInteger(asked) ? std::min(asked.toInteger(), model->maxOutputTokens) : model->maxOutputTokens;
    }
    // Forwarded with max_tokens set (to what the model allows at most, so the provider can never produce more than
    // was reserved) and the usage chunk asked for; serialized once, and its size bounds the input tokens.
    if (maxOutput > 0)
        body.insert(QLatin1String(maxField), maxOutput);
    bool clientWantsUsage = true;
    if (stream && api == Api::OpenAIChat) {
        QJsonObject options = body.value(QLatin1String("stream_options")).toObject();
        clientWantsUsage = options.value(QLatin1String("include_usage")).toBool();
        options.insert(QStringLiteral("include_usage"), true);
        body.insert(QStringLiteral("stream_options"), options);
    }
    QByteArray bytes = QJsonDocument(body).toJson(QJsonDocument::Compact);
    AdmissionAmounts amounts;
    amounts.inputTokens = bytes.size();
    amounts.inputCost = amounts.inputTokens * model->inputPrice;
    amounts.outputPrice = model->outputPrice;
    amounts.maxOutputTokens = maxOutput;
    if (maxOutput > 0 && m_service.directory().organization().allowMaxTokensReduction)
        amounts.minOutputTokens = std::min(m_options.minimumLoweredMaxTokens, maxOutput);

    Preflight preflight;
    Decision decision = m_service.enforcement().admit({key->id, userId, customerId, modelId}, amounts, &preflight);
    rec.groupIds = preflight.groups; // what the request counts for, for good (resolved once with its limits)
    http::Headers rateHeaders;
    addRateHeaders(rateHeaders, decision, now);
    if (!preflight.allowed) {
        const int status = preflight.code == u"model_not_found" ? 404 : 403;
        return deny(status, preflight.reason, preflight.code, QStringLiteral("model"),
                    explanationJson(decision, preflight, now));
    }
    if (decision.unavailable) {
        // Fail closed: a limit whose recorded usage cannot be read is not checked against zero. The log
        // (tollgate.core.enforcement) has the storage error; the client gets the request id to quote.
        http::Headers retry;
        retry.add("Retry-After", "1");
        return deny(503,
                    tr("the limits of this request cannot be checked right now, so it was not forwarded; try again "
                       "(request %1)")
                        .arg(QString::fromLatin1(requestId)),
                    QStringLiteral("limits_unavailable"), {}, {}, retry);
    }
    if (!decision.allowed) {
        rateHeaders.add("Retry-After", QByteArray::number(decision.retryAfterSeconds));
        return deny(429, explanationSentence(decision, preflight), QStringLiteral("limit_reached"), {},
                    explanationJson(decision, preflight, now), rateHeaders);
    }
    for (const auto& [n, v] : rateHeaders.fields())
        headers.add(n, v);

    // 7. Forward
    if (decision.reduced) {
        body.insert(QLatin1String(maxField), decision.grantedOutputTokens);
        bytes = QJsonDocument(body).toJson(QJsonDocument::Compact);
        headers.add("x-tollgate-max-tokens-lowered", QByteArray::number(decision.grantedOutputTokens));
        rec.detail = tr("max_tokens lowered to %1: %2")
                         .arg(decision.grantedOutputTokens)
                         .arg(explanationSentence(decision, preflight));
    }
    rec.streamed = stream;
    ProxyCall::Setup setup;
    setup.api = api;
    setup.provider = *provider;
    setup.model = *model;
    setup.decision = std::move(decision);
    setup.record = rec;
    setup.body = std::move(body);
    setup.bytes = std::move(bytes);
    setup.stream = stream;
    setup.clientWantsUsage = clientWantsUsage;
    setup.responseHeaders = headers;
    auto* call = new ProxyCall(*this, exchange, std::move(setup));
    call->setParent(&threadState().anchored.object());
    call->start();
}

} // namespace tollgate::llm
