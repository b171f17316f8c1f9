#pragma once

#include "core/domain/translate.h"

namespace tollgate::llm {

TOLLGATE_TRANSLATION_CONTEXT("tollgate::llm")

// The LLM APIs the gateway speaks: each has its routes, its error shape and its usage format.
enum class Api { OpenAIChat, OpenAIEmbeddings, AnthropicMessages };

// The key feature a route needs ("chat", "messages", "embeddings": ApiKey::features).
inline const char* featureOf(Api api)
{
    switch (api) {
    case Api::OpenAIChat: return "chat";
    case Api::AnthropicMessages: return "messages";
    case Api::OpenAIEmbeddings: return "embeddings";
    }
    return "";
}

} // namespace tollgate::llm
