#pragma once

#include "gateway/llm/api.h"

#include <QJsonObject>
#include <QString>

namespace tollgate::llm {

// What a request can cost beyond its bytes, so that its reservation is a true upper bound: images (each at the
// model's worst case whatever its size, since a URL says nothing about it), the system prompt a provider adds for
// tools, and server tools (searches and their results, code-execution sessions). The caps that make server tools
// bounded are set in the body when the client left them out: Anthropic's max_uses on a web search tool, the
// Responses API's max_tool_calls.
struct RequestBounds
{
    qint64 images = 0;
    qint64 hiddenInputTokens = 0; // tool system prompts and search results, as input tokens
    qint64 webSearches = 0; // at most
    qint64 codeSessions = 0; // at most
    qint64 chatWebSearches = 0; // a chat search model's one search a request, which its usage does not count
    bool countToolItems = false; // the Responses API's built-in tools: counted from the answer's output items
    // Why the worst case cannot be known before the request is sent (a file given by id or URL), with where it is;
    // empty when it can. Such a request is refused under a hard spending limit.
    QString unbounded;
};

inline constexpr qint64 kDefaultServerToolUses = 10; // set when a client sends a server tool without a cap
inline constexpr qint64 kSearchResultTokens = 20'000; // input tokens reserved for each search's results
inline constexpr qint64 kToolPromptTokens = 600; // the system prompt a provider adds when tools are given
inline constexpr qint64 kProviderToolTokens = 1'000; // a provider-defined tool's own prompt (bash, text editor...)

RequestBounds boundRequest(Api api, QJsonObject& body);

} // namespace tollgate::llm
