// libFuzzer target: the usage scanner that reads a completion's usage member without parsing the completion, for
// every API's format (and the id of a Responses API response), and the provider-message reader used on error bodies.
// Whatever a provider sends they never crash, hang or read out of bounds; and when the bytes are a JSON object with one
// "usage" key, the scanner agrees with a full parse (a "usage" inside the completion's text or a nested object must not
// be taken for it).
#include "gateway/llm/apiformat.h"

#include <QJsonDocument>

#include <cstdint>
#include <cstdlib>

using namespace tollgate::llm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray body(reinterpret_cast<const char*>(data), qsizetype(size));
    (void)providerMessage(body);
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    const bool comparable = doc.isObject() && body.count("\"usage\"") == 1 && !body.contains('\\');
    // The id of a Responses API response, found the same way.
    if (doc.isObject() && body.count("\"id\"") == 1 && !body.contains('\\')
        && topLevelString(body, "id") != doc.object().value(QLatin1String("id")).toString())
        std::abort();
    for (Api api : {Api::OpenAIChat, Api::OpenAIResponses, Api::OpenAIEmbeddings, Api::AnthropicMessages}) {
        const std::optional<tollgate::TokenUsage> scanned = usageOfResponseBody(api, body);
        if (!comparable)
            continue;
        const std::optional<tollgate::TokenUsage> parsed = usageOfResponse(api, doc.object());
        if (scanned.has_value() != parsed.has_value())
            std::abort();
        if (scanned
            && (scanned->inputTokens != parsed->inputTokens || scanned->outputTokens != parsed->outputTokens
                || scanned->cachedTokens != parsed->cachedTokens
                || scanned->reasoningTokens != parsed->reasoningTokens))
            std::abort();
    }
    return 0;
}
