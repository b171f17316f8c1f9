#include "gateway/llm/proxy.h"

#include "core/metering/usagewriter.h"
#include "gateway/llm/gateway.h"
#include "gateway/llm/logging.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

namespace tollgate::llm {

namespace {

QByteArray json(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Compact); }

} // namespace

ProxyCall::ProxyCall(Gateway& gateway, http::Exchange& exchange, Setup setup)
    : m_gateway(gateway)
    , m_exchange(&exchange)
    , m_setup(std::move(setup))
    , m_timer(exchange.timer())
{
    m_gateway.counters().inFlight.fetch_add(1, std::memory_order_relaxed);
    connect(&exchange, &http::Exchange::clientGone, this, &ProxyCall::onClientGone);
    // A client that ends its side during a stream has left (SSE clients stop a stream by closing): the provider
    // call is cancelled and what was streamed is charged. A non-streamed request is still answered, since a client
    // may half-close after its request and wait for the response (RFC 9112 §9.6).
    connect(&exchange, &http::Exchange::clientFinished, this, [this] {
        if (!m_setup.stream || !m_exchange)
            return;
        const QPointer<http::Exchange> client = m_exchange;
        onClientGone();
        if (client)
            client->abort(); // and the connection closes
    });
    connect(&exchange, &http::Exchange::drained, this, [this] {
        if (m_paused && m_upstream) {
            m_paused = false;
            m_upstream->setPaused(false);
        }
    });
}

ProxyCall::~ProxyCall() { m_gateway.counters().inFlight.fetch_sub(1, std::memory_order_relaxed); }

void ProxyCall::start()
{
    UpstreamRequest req;
    req.api = m_setup.api;
    req.countTokens = m_setup.countTokens;
    req.body = m_setup.body;
    req.bytes = std::move(m_setup.bytes);
    req.clientHeaders = m_exchange->request().headers;
    req.timeoutMs = m_gateway.options().upstreamTimeoutMs;
    http::CallEvents events;
    events.head = [this](int status, const http::Headers& h) { onHead(status, h); };
    events.data = [this](QByteArray d) { onData(std::move(d)); };
    events.end = [this] { onEnd(); };
    events.error = [this](http::CallError e, QString m) { onError(e, m); };
    m_upstreamStartUs = m_timer.nsecsElapsed() / 1000;
    m_upstream = startUpstream(m_gateway.threadState().client, m_setup.provider, std::move(req), std::move(events));
}

void ProxyCall::onHead(int status, const http::Headers& headers)
{
    m_status = status;
    m_contentType = headers.value("Content-Type");
    if (status / 100 != 2 || !m_setup.stream || !m_contentType.startsWith("text/event-stream") || !m_exchange)
        return; // collect the body: a whole response, or the provider's error
    m_streaming = true;
    http::Headers h = m_setup.responseHeaders;
    // A stream's head goes out now: its overhead figure is the gateway's work before the provider was called.
    h.add("x-tollgate-overhead-ms", overheadText(m_upstreamStartUs));
    h.add("Content-Type", "text/event-stream; charset=utf-8");
    h.add("Cache-Control", "no-cache");
    m_exchange->beginStream(200, h);
}

void ProxyCall::onData(QByteArray data)
{
    if (!m_streaming) {
        m_body += data;
        return;
    }
    m_sse.feed(data);
    for (QByteArray event = m_sse.next(); !event.isNull(); event = m_sse.next())
        processEvent(std::move(event));
    // What one read of the provider brought goes out as one write (one chunk, one system call), not one per event.
    if (m_exchange && !m_out.isEmpty())
        m_exchange->write(m_out);
    m_out.resize(0);
    // A client slower than its provider: stop reading the provider until the client has taken what is queued.
    if (m_exchange && m_upstream && !m_paused && m_exchange->isBackedUp()) {
        m_paused = true;
        m_upstream->setPaused(true);
    }
}

void ProxyCall::processResponsesEvent(QByteArray event)
{
    QByteArray name = sseEventName(event);
    if (name.isEmpty()) { // every event carries its type in its data as well
        const qsizetype at = event.indexOf("\"type\":\"");
        if (at >= 0) {
            const qsizetype end = event.indexOf('"', at + 8);
            name = event.mid(at + 8, end - at - 8);
        }
    }
    // response.output_text.delta, response.reasoning_summary_text.delta, response.function_call_arguments.delta...:
    // each a piece of output, at least a token.
    if (name.endsWith(".delta")) {
        ++m_deltas;
    } else if (name == "response.completed" || name == "response.incomplete" || name == "response.failed") {
        // The last event: it has the usage, and waits for the usage record.
        const QJsonObject response = sseData(event).value(QLatin1String("response")).toObject();
        const QJsonValue usage = response.value(QLatin1String("usage"));
        if (usage.isObject()) {
            m_usage = responsesUsage(usage.toObject());
            if (m_setup.countToolItems)
                addServerToolCalls(response.value(QLatin1String("output")).toArray(), *m_usage);
            m_finalUsage = true;
        }
        m_responseId = response.value(QLatin1String("id")).toString();
        m_streamError = m_streamError || name == "response.failed";
        m_heldBack += event;
        return;
    } else if (name == "error") {
        m_streamError = true;
    }
    m_out += event;
}

void ProxyCall::processEvent(QByteArray event)
{
    if (m_setup.api == Api::OpenAIResponses) {
        processResponsesEvent(std::move(event));
        return;
    }
    const bool anthropic = m_setup.api == Api::AnthropicMessages;
    if (anthropic) {
        const QByteArray name = sseEventName(event);
        if (name == "content_block_delta") {
            ++m_deltas;
        } else if (name == "message_start" || name == "message_delta") {
            const QJsonObject data = sseData(event);
            const QJsonValue usage = (name == "message_start" ? data.value(QLatin1String("message")).toObject() : data)
                                         .value(QLatin1String("usage"));
            if (usage.isObject()) {
                m_anthropic.merge(usage.toObject());
                m_usage = m_anthropic.usage();
                // message_start's output_tokens is a placeholder; the cumulative message_delta is the final count.
                m_finalUsage = m_finalUsage || name == "message_delta";
            }
        } else if (name == "message_stop") {
            m_heldBack += event; // the end of the message waits for the usage record
            return;
        } else if (name == "error") {
            m_streamError = true;
        }
        m_out += event;
        return;
    }
    // OpenAI-compatible chunks
    if (event.startsWith("data: [DONE]") || event.startsWith("data:[DONE]")) {
        m_heldBack += event;
        return;
    }
    // The role chunk and the finishing chunk ("delta":{}) carry no token.
    if (event.contains("\"delta\"") && !event.contains("\"content\":\"\"") && !event.contains("\"delta\":{}"))
        ++m_deltas;
    if (event.contains("\"error\"") && sseData(event).value(QLatin1String("error")).isObject())
        m_streamError = true; // the provider's error in a chunk of its own
    if (event.contains("\"usage\"")) {
        QJsonObject data = sseData(event);
        const QJsonValue usage = data.value(QLatin1String("usage"));
        if (usage.isObject()) {
            m_usage = openAIUsage(usage.toObject());
            m_finalUsage = true;
            if (!m_setup.clientWantsUsage) {
                if (data.value(QLatin1String("choices")).toArray().isEmpty())
                    return; // the usage chunk we asked for on the client's behalf
                data.remove(QLatin1String("usage"));
                event = "data: " + json(data) + "\n\n";
            }
        }
    }
    m_out += event;
}

void ProxyCall::onEnd()
{
    m_upstream.reset();
    m_upstreamUs = m_timer.nsecsElapsed() / 1000 - m_upstreamStartUs;
    if (m_finished)
        return;
    if (m_streaming) {
        QByteArray rest = m_sse.rest();
        if (!rest.trimmed().isEmpty())
            processEvent(rest + "\n\n");
        if (m_exchange && !m_out.isEmpty())
            m_exchange->write(m_out);
        m_out.resize(0);
        // The same rule on every API: an error event is the provider's error; an end without the final usage is
        // incomplete (charged what was streamed, estimated); otherwise the stream is whole.
        const UsageStatus status = m_streamError ? UsageStatus::UpstreamError
            : m_finalUsage                       ? UsageStatus::Ok
                                                 : UsageStatus::Incomplete;
        finish(status, [this](http::Exchange& ex) {
            ex.write(m_heldBack);
            ex.endStream();
        });
        return;
    }
    if (m_status / 100 != 2) {
        const int status = m_status >= 500 || m_status == 429 ? 502 : m_status;
        const QString message = tr("the provider answered %1: %2").arg(m_status).arg(providerMessage(m_body));
        failBeforeHead(m_status == 429 ? 429 : status, message);
        return;
    }
    if (m_setup.countTokens) {
        // {"input_tokens": N}: said in the request log; counting costs nothing.
        m_usage = TokenUsage {};
        m_setup.record.detail =
            tr("count_tokens: %1 input tokens")
                .arg(QJsonDocument::fromJson(m_body).object().value(QLatin1String("input_tokens")).toInteger());
    } else {
        if (m_setup.countToolItems) { // the output items are read too: parsed whole
            const QJsonObject response = QJsonDocument::fromJson(m_body).object();
            m_usage = usageOfResponse(m_setup.api, response);
            if (m_usage)
                addServerToolCalls(response.value(QLatin1String("output")).toArray(), *m_usage);
            m_responseId = response.value(QLatin1String("id")).toString();
        } else {
            m_usage = usageOfResponseBody(m_setup.api, m_body);
            if (m_setup.api == Api::OpenAIResponses)
                m_responseId = topLevelString(m_body, "id");
        }
    }
    finish(UsageStatus::Ok, [this](http::Exchange& ex) {
        http::Response r;
        r.status = 200;
        r.headers = m_setup.responseHeaders;
        r.headers.add("Content-Type", m_contentType.isEmpty() ? QByteArray("application/json") : m_contentType);
        r.body = std::move(m_body);
        ex.respond(std::move(r));
    });
}

void ProxyCall::onError(http::CallError error, const QString& message)
{
    m_upstream.reset();
    if (m_finished)
        return;
    if (!m_streaming) {
        if (error == http::CallError::Timeout)
            failBeforeHead(504, tr("the provider did not answer in time: %1").arg(message));
        else
            failBeforeHead(502, tr("the provider could not be reached: %1").arg(message));
        return;
    }
    // The stream broke: the client is charged for what it received, and told.
    qCWarning(lcLlm).noquote() << "request" << m_setup.record.requestId << "to" << m_setup.provider.name
                               << "broke off mid-stream:" << message;
    const Api api = m_setup.api;
    const QString text = tr("the provider's stream ended early: %1").arg(message);
    finish(UsageStatus::UpstreamError, [api, text](http::Exchange& ex) {
        const int status = 502;
        if (api == Api::AnthropicMessages)
            ex.write(QByteArray("event: error\ndata: " + errorBody(api, status, text) + "\n\n"));
        else if (api == Api::OpenAIResponses) // the Responses API's error event
            ex.write(QByteArray("event: error\ndata: "
                                + json({{QStringLiteral("type"), QStringLiteral("error")},
                                        {QStringLiteral("code"), QStringLiteral("upstream_error")},
                                        {QStringLiteral("message"), text},
                                        {QStringLiteral("param"), QJsonValue::Null}})
                                + "\n\n"));
        else
            ex.write(QByteArray("data: " + errorBody(api, status, text) + "\n\n"));
        ex.endStream();
    });
}

void ProxyCall::onClientGone()
{
    // Cancel the provider call; charge what was used so far.
    qCDebug(lcLlm).noquote() << "request" << m_setup.record.requestId << "cancelled: the client left";
    m_upstream.reset();
    m_upstreamUs = m_timer.nsecsElapsed() / 1000 - m_upstreamStartUs;
    m_replyStatus = 499; // nginx's "client closed request"
    m_exchange.clear();
    if (!m_finished)
        finish(UsageStatus::Cancelled, {});
}

void ProxyCall::failBeforeHead(int status, const QString& message)
{
    qCWarning(lcLlm).noquote() << "request" << m_setup.record.requestId << "to" << m_setup.provider.name
                               << "failed:" << message;
    const QString code = status == 504 ? QStringLiteral("upstream_timeout") : QStringLiteral("upstream_error");
    m_usage = TokenUsage {}; // nothing was generated: nothing is charged
    m_replyStatus = status;
    if (!m_upstreamUs)
        m_upstreamUs = m_timer.nsecsElapsed() / 1000 - m_upstreamStartUs;
    finish(UsageStatus::UpstreamError, [this, status, message, code](http::Exchange& ex) {
        http::Response r = http::Response::json(status, errorBody(m_setup.api, status, message, code));
        for (const auto& [n, v] : m_setup.responseHeaders.fields())
            r.headers.add(n, v);
        ex.respond(std::move(r));
    });
}

void ProxyCall::finish(UsageStatus status, std::function<void(http::Exchange&)> deliver)
{
    m_finished = true;
    UsageRecord& rec = m_setup.record;
    rec.status = status;
    rec.latencyMs = m_exchange ? qint32(m_exchange->timer().elapsed()) : 0;
    bool estimated = false;
    TokenUsage usage;
    Money cost = 0;
    const qint64 granted = m_setup.decision.grantedOutputTokens;
    if (status == UsageStatus::Cancelled || status == UsageStatus::Incomplete
        || (status == UsageStatus::UpstreamError && m_streaming)) {
        // Cut short, or ended without the final usage: the input (as reported, else the reservation's bound) and at
        // least the pieces that were streamed, never more than was reserved.
        usage = m_usage.value_or(TokenUsage {});
        if (!m_finalUsage || usage.outputTokens < m_deltas) {
            estimated = true;
            if (!m_usage)
                usage.inputTokens = m_setup.decision.reservation.tokens() - granted;
            usage.outputTokens = std::min(std::max(usage.outputTokens, m_deltas), granted);
        }
    } else if (status == UsageStatus::UpstreamError) {
        usage = {};
    } else if (m_usage) {
        usage = *m_usage;
    } else {
        // No usage reported: charge the reservation, marked estimated, never zero.
        estimated = true;
        usage.inputTokens = m_setup.decision.reservation.tokens() - granted;
        usage.outputTokens = granted;
        cost = m_setup.decision.reservation.cost();
    }
    if (!usage.webSearchCalls && (usage.inputTokens || usage.outputTokens))
        usage.webSearchCalls = m_setup.chatWebSearches;
    if (!estimated || cost == 0)
        cost = costOf(m_setup.model, usage);
    rec.inputTokens = usage.inputTokens;
    rec.cachedTokens = usage.cachedTokens;
    rec.outputTokens = usage.outputTokens;
    rec.cost = cost;
    rec.estimated = estimated;
    if (estimated && m_setup.decision.reservation.cost() > 0)
        rec.cost = std::min(rec.cost, m_setup.decision.reservation.cost()); // an estimate is within what was reserved
    const QJsonObject classes = usageExtras(m_setup.model, usage);
    for (auto it = classes.begin(); it != classes.end(); ++it)
        m_setup.extras.insert(it.key(), it.value());
    if (!m_setup.extras.isEmpty())
        rec.extras = QString::fromUtf8(json(m_setup.extras));
    m_gateway.service().enforcement().settle(m_setup.decision, rec);
    // A stored response's context, for the requests that continue it.
    if (!m_responseId.isEmpty() && m_usage && m_setup.body.value(QLatin1String("store")).toBool(true))
        m_gateway.storedContexts().remember(m_responseId, usage.inputTokens + usage.outputTokens);
    switch (status) {
    case UsageStatus::Ok: m_gateway.counters().allowed.fetch_add(1, std::memory_order_relaxed); break;
    case UsageStatus::UpstreamError: m_gateway.counters().upstreamErrors.fetch_add(1, std::memory_order_relaxed); break;
    case UsageStatus::Cancelled: m_gateway.counters().cancelled.fetch_add(1, std::memory_order_relaxed); break;
    case UsageStatus::Denied: break;
    }
    m_gateway.recordThen(rec, [this, deliver = std::move(deliver)](bool durable) {
        const qint64 totalUs = m_timer.nsecsElapsed() / 1000;
        const qint64 overheadUs = totalUs - m_upstreamUs;
        if (!durable)
            m_replyStatus = 503;
        m_gateway.metrics().request(routeOf(m_setup.api, m_setup.countTokens), m_setup.model.id, m_replyStatus, totalUs,
                                    overheadUs);
        if (m_exchange && deliver) {
            if (durable) {
                if (!m_streaming)
                    m_setup.responseHeaders.add("x-tollgate-overhead-ms", overheadText(overheadUs));
                deliver(*m_exchange);
            } else if (m_exchange->isStreaming()) {
                m_exchange->abort(); // no last byte for an unrecorded response
            } else {
                const Api api = m_setup.api;
                m_exchange->respond(http::Response::json(
                    503,
                    errorBody(api, 503, tr("the usage of this request could not be recorded; it is not delivered"),
                              QStringLiteral("metering_unavailable"))));
            }
        }
        deleteLater();
    });
}

WorkerState::WorkerState(Service& s)
    : service(s)
{
}

WorkerState::~WorkerState() { service.database().closeThreadConnection(); }

} // namespace tollgate::llm
