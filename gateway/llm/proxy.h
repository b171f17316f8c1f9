#pragma once

#include "core/catalog/pricing.h"
#include "core/service/service.h"
#include "gateway/http/anchor.h"
#include "gateway/http/server.h"
#include "gateway/llm/apiformat.h"
#include "gateway/llm/errors.h"
#include "gateway/llm/upstream.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

#include <memory>

namespace tollgate::llm {

class Gateway;

// What a worker thread keeps for the gateway: its HTTP client (connection pools to the providers) and the anchor
// that callbacks post to. Closes the thread's database connection when the thread ends.
struct WorkerState
{
    explicit WorkerState(Service& s);
    ~WorkerState();
    Q_DISABLE_COPY_MOVE(WorkerState)

    Service& service;
    http::Anchored anchored;
    http::Client client;
};

// One admitted request on its way to the provider and back: forwards the body, passes a stream through as it
// arrives while reading its usage, settles the reservation with the real cost, and sends the last byte only once
// the usage record is durable. Deletes itself when done.
class ProxyCall final : public QObject
{
    Q_OBJECT
public:
    struct Setup
    {
        Api api = Api::OpenAIChat;
        bool countTokens = false; // Anthropic's count_tokens: the answer is a count, nothing is charged
        Provider provider;
        ModelInfo model;
        Decision decision;
        UsageRecord record; // who, what, when: completed with usage and status at the end
        QJsonObject extras; // for record.extras: completed with the reasoning tokens
        QJsonObject body; // as forwarded
        QByteArray bytes; // the same, serialized
        bool stream = false;
        bool clientWantsUsage = true; // OpenAI streams: include the usage chunk
        // Server tools whose use the usage does not count: a chat search model's search (one a request), the
        // Responses API's built-in tools (counted from the answer's output items).
        qint64 chatWebSearches = 0;
        bool countToolItems = false;
        http::Headers responseHeaders; // x-request-id, rate limit headers...
    };

    ProxyCall(Gateway& gateway, http::Exchange& exchange, Setup setup);
    ~ProxyCall() override;
    void start();

private:
    void onHead(int status, const http::Headers& headers);
    void onData(QByteArray data);
    void onEnd();
    void onError(http::CallError error, const QString& message);
    void onClientGone();
    void processEvent(QByteArray event);
    void processResponsesEvent(QByteArray event);
    void failBeforeHead(int status, const QString& message);
    // Settles, records, then delivers (tail: held-back bytes for a stream; response: a whole reply).
    void finish(UsageStatus status, std::function<void(http::Exchange&)> deliver);

    Gateway& m_gateway;
    QPointer<http::Exchange> m_exchange;
    Setup m_setup;
    std::unique_ptr<UpstreamCall> m_upstream;
    int m_status = 0;
    QByteArray m_contentType;
    QByteArray m_body; // a whole response, or an error body
    SseSplitter m_sse;
    QByteArray m_heldBack; // the stream's last event, sent once the record is durable
    QByteArray m_out; // the events of one read of the provider, written together
    std::optional<TokenUsage> m_usage; // what the provider said so far
    AnthropicUsage m_anthropic; // message_start's usage, then each message_delta's
    bool m_finalUsage = false; // the stream's usage is complete (message_delta, the usage chunk, response.completed)
    bool m_streamError = false; // an error event came (error, response.failed, a chunk with an error)
    qint64 m_deltas = 0; // content pieces streamed: the output estimate when the final usage is missing
    QString m_responseId; // Responses API: the response as the provider stored it
    bool m_streaming = false;
    bool m_paused = false; // the client is behind: the provider is not read
    bool m_finished = false;
    // For the overhead figure: the request's clock, when the provider call started and how long it took.
    QElapsedTimer m_timer;
    qint64 m_upstreamStartUs = 0;
    qint64 m_upstreamUs = 0;
    int m_replyStatus = 200;
};

} // namespace tollgate::llm
