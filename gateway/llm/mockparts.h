#pragma once

#include "gateway/llm/mock.h"

#include <QStringList>

// What the mock provider's answers in each API share (mock.cpp), and the Responses API's answers
// (mockresponses.cpp).
namespace tollgate::llm::mock {

quint64 nextSequence();

// Text of an OpenAI or Anthropic content field: a string, or an array of parts with "text".
QString textOf(const QJsonValue& content);
qint64 tokensOf(const QString& text);
QByteArray json(const QJsonObject& o);

struct Directives
{
    int delayMs = -1;
    int status = 200;
    bool noUsage = false;
    int dropAfter = -1;
    int stallMs = 0;
    qint64 tokens = -1;
    qint64 cached = 0;
    qint64 cacheWrite = -1; // Anthropic: tokens written to the cache; -1: half the rest when cache_control is sent
    bool tool = false; // call the request's first function tool instead of answering
};
Directives directivesIn(const QString& text);

// The reply's words, the prompt's words over and over: word i on demand.
struct ReplyWords
{
    QStringList source;
    qint64 count = 0;
    QString at(qint64 i) const { return source[i % source.size()]; }
    QString joined() const;
};
ReplyWords replyWords(const QString& model, const QString& prompt, qint64 count);

MockScript errorScript(Api api, int status, const QString& message);

// The prompt as the mock counts it: its tokens, and the last user text (which carries the directives).
struct Prompt
{
    qint64 inputTokens = 3;
    QString lastUser;
};

// A call of the request's first function tool ([mock:tool]), with arguments that fit its schema: a string "mock" for
// each required string property, 1 for numbers, true for booleans. None once the last message is a tool's result.
struct ToolCall
{
    QString name;
    QString callId;
    QJsonObject arguments;
    QByteArray argumentsText() const;
};
std::optional<ToolCall> toolCallFor(Api api, const QJsonObject& body, const Directives& d, bool afterToolResult);

MockScript responsesAnswer(const QJsonObject& body, int defaultDelayMs);

} // namespace tollgate::llm::mock
