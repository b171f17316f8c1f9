#pragma once

#include "core/domain/domain.h"
#include "gateway/http/server.h"
#include "gateway/llm/api.h"
#include "gateway/llm/contexts.h"
#include "gateway/llm/metrics.h"

#include <QThreadStorage>

#include <atomic>
#include <functional>
#include <optional>

namespace tollgate {
class Service;
class UsageWriter;
} // namespace tollgate

namespace tollgate::llm {

struct GatewayOptions
{
    int upstreamTimeoutMs = 600'000;
    // A request whose estimate does not fit gets a lowered max_tokens when at least this many output tokens fit
    // (and the organisation allows it).
    qint64 minimumLoweredMaxTokens = 16;
};

struct GatewayStats
{
    qint64 requests = 0; // LLM requests that reached the gateway
    qint64 allowed = 0;
    qint64 denied = 0;
    qint64 upstreamErrors = 0;
    qint64 cancelled = 0;
    qint64 inFlight = 0;
    qint64 meteringFailures = 0;
};

// Counted by the gateway and its calls, read by stats().
struct GatewayCounters
{
    std::atomic<qint64> requests {0};
    std::atomic<qint64> allowed {0};
    std::atomic<qint64> denied {0};
    std::atomic<qint64> upstreamErrors {0};
    std::atomic<qint64> cancelled {0};
    std::atomic<qint64> inFlight {0};
    std::atomic<qint64> meteringFailures {0};
};

struct RequestContext;
struct RequestError;
struct WorkerState;

// The LLM gateway: /v1/chat/completions, /v1/responses, /v1/messages (and its count_tokens), /v1/embeddings,
// /v1/models and /healthz (a route table).
// Every LLM request goes through the stages of llm/stages.h over one snapshot of the organisation — authenticate,
// read the body, resolve the principal, the customer and the model, admit — and is then forwarded by a ProxyCall,
// settled with the provider's real usage, and recorded durably before the client receives the last byte.
class Gateway final : public http::Handler
{
public:
    Gateway(Service& service, UsageWriter& writer, GatewayOptions options = {});
    ~Gateway() override;
    Q_DISABLE_COPY_MOVE(Gateway)

    void handle(http::Exchange& exchange) override;
    QByteArray errorBody(int status, const QString& message) const override;
    GatewayStats stats() const;
    const Metrics& metrics() const { return m_metrics; }

    // The routes.
    void serveHealth(http::Exchange& exchange, Api api);
    void serveModels(http::Exchange& exchange, Api api);
    void serveModel(http::Exchange& exchange, const QString& id); // GET /v1/models/{id}
    void serveLlm(http::Exchange& exchange, Api api);
    void serveCountTokens(http::Exchange& exchange, Api api); // POST /v1/messages/count_tokens
    void serveResponsesGet(http::Exchange& exchange, Api api); // GET /v1/responses: the WebSocket mode
    // What a ProxyCall uses.
    Service& service() { return m_service; }
    const GatewayOptions& options() const { return m_options; }
    GatewayCounters& counters() { return m_counters; }
    Metrics& metrics() { return m_metrics; }
    StoredContexts& storedContexts() { return m_storedContexts; }
    WorkerState& threadState();
    // Metering, the last stage: writes the record durably, then runs `then` in this worker thread with whether the
    // write succeeded (no answer goes out without its record).
    void recordThen(UsageRecord record, std::function<void(bool durable)> then);

private:
    // The caller of a models route (its key, and the member a shared key names), or nothing when refused (answered).
    std::optional<RequestContext> modelsCaller(http::Exchange& exchange);
    bool mayUse(const RequestContext& c, const ModelInfo& model) const;
    void refuse(http::Exchange& exchange, RequestContext c, RequestError error);
    void forward(http::Exchange& exchange, RequestContext c);
    void serve(http::Exchange& exchange, RequestContext c);

    Service& m_service;
    UsageWriter& m_writer;
    GatewayOptions m_options;
    QThreadStorage<WorkerState*> m_threadState;
    GatewayCounters m_counters;
    Metrics m_metrics;
    StoredContexts m_storedContexts;
};

Metrics::Route routeOf(Api api, bool countTokens = false);
// Microseconds as the x-tollgate-overhead-ms header shows them: "0.245".
QByteArray overheadText(qint64 us);

} // namespace tollgate::llm
