// The billed components of a model's price and the token classes of a usage record, with their names in every
// interface and their labels (translated: the console shows them).

#include "core/catalog/catalog.h"
#include "core/catalog/pricing.h"

namespace tollgate {

namespace {

using M = ModelInfo;
constexpr auto kTokens = PriceComponent::PerMillionTokens;
constexpr auto kCalls = PriceComponent::PerThousandCalls;
constexpr Money kTenDollarsPerThousand = 10'000'000; // $0.01 a call

// Defaults follow the providers' published rules: Anthropic's cache writes cost 1.25x (5 minutes) and 2x (1 hour)
// the input price; the long-context tiers of both providers double the input prices and raise output by half;
// web search is $10 per 1,000 searches at both; OpenAI's code interpreter is $0.03 a container.
const PriceComponent kComponents[] = {
    {&M::inputPrice, QLatin1StringView("input"), QLatin1StringView("input_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Input"), kTokens, nullptr, 0, 1, 0},
    {&M::cachedInputPrice, QLatin1StringView("cachedInput"), QLatin1StringView("cached_input_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Cached input (cache read)"), kTokens, &M::inputPrice, 1, 1, 0},
    {&M::cacheWritePrice, QLatin1StringView("cacheWrite"), QLatin1StringView("cache_write_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Cache write (5 minutes)"), kTokens, &M::inputPrice, 5, 4, 0},
    {&M::cacheWrite1hPrice, QLatin1StringView("cacheWrite1h"), QLatin1StringView("cache_write_1h_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Cache write (1 hour)"), kTokens, &M::inputPrice, 2, 1, 0},
    {&M::outputPrice, QLatin1StringView("output"), QLatin1StringView("output_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Output"), kTokens, nullptr, 0, 1, 0},
    {&M::reasoningPrice, QLatin1StringView("reasoningOutput"), QLatin1StringView("reasoning_output_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Reasoning output"), kTokens, &M::outputPrice, 1, 1, 0},
    {&M::audioInputPrice, QLatin1StringView("audioInput"), QLatin1StringView("audio_input_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Audio input"), kTokens, &M::inputPrice, 1, 1, 0},
    {&M::audioOutputPrice, QLatin1StringView("audioOutput"), QLatin1StringView("audio_output_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Audio output"), kTokens, &M::outputPrice, 1, 1, 0},
    {&M::imageInputPrice, QLatin1StringView("imageInput"), QLatin1StringView("image_input_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Image input"), kTokens, &M::inputPrice, 1, 1, 0},
    {&M::longInputPrice, QLatin1StringView("longInput"), QLatin1StringView("long_context_input_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Long context: input"), kTokens, &M::inputPrice, 2, 1, 0},
    {&M::longCachedInputPrice, QLatin1StringView("longCachedInput"),
     QLatin1StringView("long_context_cached_input_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Long context: cached input"), kTokens, &M::cachedInputPrice, 2, 1, 0},
    {&M::longCacheWritePrice, QLatin1StringView("longCacheWrite"),
     QLatin1StringView("long_context_cache_write_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Long context: cache write (5 minutes)"), kTokens, &M::cacheWritePrice, 2,
     1, 0},
    {&M::longCacheWrite1hPrice, QLatin1StringView("longCacheWrite1h"),
     QLatin1StringView("long_context_cache_write_1h_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Long context: cache write (1 hour)"), kTokens, &M::cacheWrite1hPrice, 2, 1,
     0},
    {&M::longOutputPrice, QLatin1StringView("longOutput"), QLatin1StringView("long_context_output_price_per_million"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Long context: output"), kTokens, &M::outputPrice, 3, 2, 0},
    {&M::webSearchPrice, QLatin1StringView("webSearch"), QLatin1StringView("web_search_price_per_thousand"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Web search (per 1,000 searches)"), kCalls, nullptr, 0, 1,
     kTenDollarsPerThousand},
    {&M::codeExecutionPrice, QLatin1StringView("codeExecution"), QLatin1StringView("code_execution_price_per_thousand"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Code execution (per 1,000 sessions)"), kCalls, nullptr, 0, 1, 30'000'000},
};
static_assert(std::size(kComponents) <= 32, "ModelInfo::explicitPrices has a bit per component");

const UsageClass kUsageClasses[] = {
    {&TokenUsage::reasoningTokens, QLatin1StringView("reasoning_tokens"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Reasoning tokens")},
    {&TokenUsage::cacheWriteTokens, QLatin1StringView("cache_write_tokens"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Cache-write tokens (5 minutes)")},
    {&TokenUsage::cacheWrite1hTokens, QLatin1StringView("cache_write_1h_tokens"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Cache-write tokens (1 hour)")},
    {&TokenUsage::audioInputTokens, QLatin1StringView("audio_input_tokens"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Audio input tokens")},
    {&TokenUsage::audioOutputTokens, QLatin1StringView("audio_output_tokens"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Audio output tokens")},
    {&TokenUsage::imageInputTokens, QLatin1StringView("image_input_tokens"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Image input tokens")},
    {&TokenUsage::webSearchCalls, QLatin1StringView("web_search_calls"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Web searches")},
    {&TokenUsage::codeExecutionCalls, QLatin1StringView("code_execution_calls"),
     QT_TRANSLATE_NOOP("tollgate::Catalog", "Code-execution sessions")},
};

} // namespace

std::span<const PriceComponent> priceComponents() { return kComponents; }

const PriceComponent* priceComponent(QStringView key)
{
    for (const PriceComponent& c : kComponents)
        if (c.key == key || c.apiKey == key)
            return &c;
    return nullptr;
}

QString priceComponentLabel(const PriceComponent& c) { return Catalog::tr(c.label); }

std::span<const UsageClass> usageClasses() { return kUsageClasses; }

} // namespace tollgate
