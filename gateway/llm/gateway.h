#pragma once

#include "http/server.h"
#include "domain/domain.h"
#include "llm/metrics.h"
#include "llm/mock.h"

#include <QThreadStorage>

#include <atomic>
#include <functional>

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

class Gateway;
class ProxyCall;
struct WorkerState;
void recordThen(Gateway& gateway, UsageRecord record, std::function<void(bool durable)> then);

// The LLM gateway: /v1/chat/completions, /v1/messages, /v1/embeddings, /v1/models and /healthz. Every request is
// authenticated, resolved to its principal, admitted by the ledger (reserving its largest possible cost), forwarded,
// settled with the provider's real usage, and recorded durably before the client receives the last byte.
class Gateway final : public http::Handler
{
public:
    Gateway(Service& service, UsageWriter& writer, GatewayOptions options = {});
    ~Gateway() override;
    Q_DISABLE_COPY_MOVE(Gateway)

    void handle(http::Exchange& exchange) override;
    GatewayStats stats() const;
    const Metrics& metrics() const { return m_metrics; }

private:
    friend class ProxyCall;
    friend void recordThen(Gateway&, UsageRecord, std::function<void(bool)>);
    WorkerState& threadState();
    void handleLlm(http::Exchange& exchange, Api api);
    void handleModels(http::Exchange& exchange);

    Service& m_service;
    UsageWriter& m_writer;
    GatewayOptions m_options;
    QThreadStorage<WorkerState*> m_threadState;

    std::atomic<qint64> m_requests {0};
    std::atomic<qint64> m_allowed {0};
    std::atomic<qint64> m_denied {0};
    std::atomic<qint64> m_upstreamErrors {0};
    std::atomic<qint64> m_cancelled {0};
    std::atomic<qint64> m_inFlight {0};
    std::atomic<qint64> m_meteringFailures {0};
    Metrics m_metrics;
};

Metrics::Route routeOf(Api api);
// Microseconds as the x-tollgate-overhead-ms header shows them: "0.245".
QByteArray overheadText(qint64 us);

} // namespace tollgate::llm
