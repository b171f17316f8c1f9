#pragma once

#include "core/domain/translate.h"

namespace tollgate::llm {

TOLLGATE_TRANSLATION_CONTEXT("tollgate::llm")

// The LLM APIs the gateway speaks: each has its routes, its error shape and its usage format.
// OpenAIResponses is OpenAI's newer generation API (/v1/responses): its own body, events and usage shape.
enum class Api { OpenAIChat, OpenAIResponses, OpenAIEmbeddings, AnthropicMessages };

// The key feature a route needs ("chat", "messages", "embeddings": ApiKey::features). The Responses API generates
// text as chat does: a key that may chat may use it.
inline const char* featureOf(Api api)
{
    switch (api) {
    case Api::OpenAIChat:
    case Api::OpenAIResponses: return "chat";
    case Api::AnthropicMessages: return "messages";
    case Api::OpenAIEmbeddings: return "embeddings";
    }
    return "";
}

} // namespace tollgate::llm
