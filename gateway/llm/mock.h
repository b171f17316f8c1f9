#pragma once

#include "gateway/http/server.h"
#include "gateway/llm/api.h"

#include <QJsonObject>

#include <functional>

namespace tollgate::llm {

// The mock provider: deterministic replies with realistic usage, in either API's format, streamed or not. The last
// user message may carry directives for tests: [mock:delay=MS] [mock:status=CODE] [mock:no-usage]
// [mock:drop-after=N] (the connection drops after N streamed pieces) [mock:tokens=N] (reply length, capped by
// max_tokens) [mock:cached=N] (prompt tokens read from cache) [mock:tool] (call the request's first function tool).
// It speaks OpenAI's chat and Responses APIs (with reasoning items when the request asks for reasoning) and
// Anthropic's messages and count_tokens.
struct MockScript
{
    int status = 200;
    QByteArray contentType = "application/json";
    QList<QByteArray> pieces; // the body: one piece, or one per SSE event (those before the generated ones)
    // Streams: one event per output token, made when it is sent (a long stream holds no list of its events), then
    // the closing events.
    qsizetype generated = 0;
    std::function<QByteArray(qsizetype)> generate;
    QList<QByteArray> tail;
    int delayMs = 0; // before the first byte
    int dropAfter = -1; // pieces sent before the connection drops; -1: never
    int stallMs = 0; // streams: the pause after the first piece (a long generation, or a slow provider)
    qint64 inputTokens = 0;
    qint64 outputTokens = 0;

    qsizetype count() const { return pieces.size() + generated + tail.size(); }
    QByteArray piece(qsizetype i) const
    {
        if (i < pieces.size())
            return pieces[i];
        i -= pieces.size();
        return i < generated ? generate(i) : tail.value(i - generated);
    }
};

// The answer the mock gives to a request body (already parsed) on one of the APIs. defaultDelayMs is the
// provider's configured delay, used unless the message asks for another.
MockScript mockAnswer(Api api, const QJsonObject& body, int defaultDelayMs = 0);
// Anthropic's /v1/messages/count_tokens: {"input_tokens": N}, counted as the mock counts a prompt.
MockScript mockTokenCount(const QJsonObject& body);

// The mock as an HTTP server (tollgate mock-upstream): /v1/chat/completions, /v1/responses, /v1/embeddings,
// /v1/messages, /v1/messages/count_tokens.
class MockHandler final : public http::Handler
{
public:
    explicit MockHandler(int defaultDelayMs = 0)
        : m_delayMs(defaultDelayMs)
    {
    }
    void handle(http::Exchange& exchange) override;

private:
    int m_delayMs;
};

} // namespace tollgate::llm
