#pragma once

#include "core/catalog/pricing.h"
#include "gateway/llm/api.h"

#include <QJsonObject>

namespace tollgate::llm {

// The usage a complete (non-streamed) response reports, if any.
std::optional<TokenUsage> usageOfResponse(Api api, const QJsonObject& response);
// The same from the response's bytes: the usage member is found without parsing the rest (the completion).
std::optional<TokenUsage> usageOfResponseBody(Api api, const QByteArray& body);
// OpenAI usage object / Anthropic usage object to our counts.
TokenUsage openAIUsage(const QJsonObject& usage);
TokenUsage anthropicUsage(const QJsonObject& usage);

// Anthropic's usage as a stream tells it: message_start's, then each message_delta's (cumulative: present members
// replace earlier ones, null or absent ones leave them).
class AnthropicUsage final
{
public:
    void merge(const QJsonObject& usage);
    TokenUsage usage() const;
    bool seen() const { return m_seen; }

private:
    qint64 m_input = 0, m_read = 0, m_creation = 0, m_output = 0, m_webSearches = 0;
    qint64 m_creation5m = -1, m_creation1h = -1; // cache_creation's split, when given
    bool m_seen = false;
};

// The server tools a Responses API answer's output items used: web searches, and code-interpreter containers.
void addServerToolCalls(const QJsonArray& output, TokenUsage& usage);
// The Responses API's usage: input_tokens (cached among them), output_tokens (reasoning among them).
TokenUsage responsesUsage(const QJsonObject& usage);
// A top-level string member of a JSON object's bytes ("id" of a response), found as usageOfResponseBody finds usage.
QString topLevelString(const QByteArray& body, QByteArrayView name);

// The error message inside a provider's error body, or the body itself (shortened) when it is not JSON.
QString providerMessage(const QByteArray& body);

// Splits a server-sent-event stream into whole events (each with its blank-line terminator: LF LF, CRLF CRLF or
// LF CRLF). Linear in the stream's length: each byte is searched once, events are taken by offset, and the buffer
// is compacted only when most of it has been taken.
class SseSplitter final
{
public:
    void feed(QByteArrayView bytes);
    // The next whole event, or a null array when none is complete yet.
    QByteArray next();
    // What is left after the stream ended (an unterminated last event).
    QByteArray rest();
    // Bytes held: the start of an event that has not ended yet.
    qsizetype buffered() const { return m_buffer.size() - m_start; }

private:
    QByteArray m_buffer;
    qsizetype m_start = 0; // where the next event begins
    qsizetype m_scan = 0; // no event ends before this
};

// The JSON of an event's data line(s); a null object for "[DONE]" or no data.
QJsonObject sseData(QByteArrayView event);
QByteArray sseEventName(QByteArrayView event);

} // namespace tollgate::llm
