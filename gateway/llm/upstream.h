#pragma once

#include "core/domain/domain.h"
#include "gateway/http/client.h"
#include "gateway/llm/mock.h"

#include <memory>

namespace tollgate::llm {

// A call to a provider in flight; destroying it cancels the call.
class UpstreamCall
{
public:
    virtual ~UpstreamCall() = default;
    // While paused, nothing more is taken from the provider (its data waits, and TCP pushes back on it).
    virtual void setPaused(bool paused) = 0;
};

struct UpstreamRequest
{
    Api api = Api::OpenAIChat;
    bool countTokens = false; // Anthropic: /v1/messages/count_tokens
    QJsonObject body; // as forwarded (the mock reads it without parsing bytes again)
    QByteArray bytes; // the same, serialized
    http::Headers clientHeaders; // anthropic-version and anthropic-beta are passed on
    int timeoutMs = 600'000;
};

// Starts a call to the provider. HTTP(S) providers go through the thread's client; the built-in mock
// ("mock://builtin", optionally "?delay_ms=N") answers in process, through the same events and bytes as over HTTP.
// Events are always delivered later, never from inside this call.
std::unique_ptr<UpstreamCall> startUpstream(http::Client& client, const Provider& provider, UpstreamRequest request,
                                            http::CallEvents events);

// The URL a provider's API is reached at for one route.
QUrl upstreamUrl(const Provider& provider, Api api, bool countTokens = false);

} // namespace tollgate::llm
