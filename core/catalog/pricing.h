#pragma once

#include "core/domain/domain.h"

#include <QJsonObject>

#include <span>

namespace tollgate {

// Token counts as the gateway normalizes them. inputTokens is every prompt token; cachedTokens (read from the
// provider's cache), cacheWriteTokens / cacheWrite1hTokens (written to it, for 5 minutes or 1 hour), and
// audioInputTokens / imageInputTokens are parts of it, each billed at its own price. outputTokens is every generated
// token; reasoningTokens (thought before answering) and audioOutputTokens are parts of it. Server tools are counted
// in calls: web searches, and code-execution sessions (containers).
struct TokenUsage
{
    qint64 inputTokens = 0;
    qint64 cachedTokens = 0;
    qint64 outputTokens = 0;
    qint64 reasoningTokens = 0;
    qint64 cacheWriteTokens = 0;
    qint64 cacheWrite1hTokens = 0;
    qint64 audioInputTokens = 0;
    qint64 audioOutputTokens = 0;
    qint64 imageInputTokens = 0;
    qint64 webSearchCalls = 0;
    qint64 codeExecutionCalls = 0;
    qint64 total() const { return inputTokens + outputTokens; }
    bool operator==(const TokenUsage&) const = default;
};

// One billed component of a model's price, as each interface names it. The table is the one place the components
// are listed: the catalog file, the database, the admin API, the console and the price import all read it.
struct PriceComponent
{
    enum Unit : quint8 { PerMillionTokens, PerThousandCalls };
    Money ModelInfo::*field;
    QLatin1StringView key; // the catalog file's and the database's name: "cacheWrite"
    QLatin1StringView apiKey; // the admin API's: "cache_write_price_per_million"
    const char* label; // for people (translated in the tollgate::Catalog context)
    Unit unit;
    // When not set: `base` x num / den, rounded up to the nano-dollar (or `fixed` when there is no base).
    Money ModelInfo::*base;
    int num, den;
    Money fixed;
};
std::span<const PriceComponent> priceComponents();
const PriceComponent* priceComponent(QStringView key); // by catalog or API name
QString priceComponentLabel(const PriceComponent& c);
// "2.50" (dollars per million tokens, or per thousand calls) to nano-dollars, and back.
Result<Money> parseComponentPrice(const PriceComponent& c, const QString& text, const QString& field);
QString formatComponentPrice(const PriceComponent& c, Money value);

// Fills every component not set explicitly (ModelInfo::explicitPrices) from its default, and the image bound from
// the provider's sizing rules when it is 0. Run after any price changes.
void resolvePrices(ModelInfo& m, ProviderKind kind);
// The worst case of one image on a provider's models when the catalog says nothing.
qint64 defaultMaxImageTokens(ProviderKind kind);

// Reservations: the highest price any input (or output) token of a request with up to `inputTokens` input tokens
// can be billed at, whichever class the provider reports it in (cache write, audio, the long-context tier).
Money reservedInputPrice(const ModelInfo& m, qint64 inputTokens);
Money reservedOutputPrice(const ModelInfo& m, qint64 inputTokens);
// Whether a request with these input tokens is billed at the long-context tier.
bool isLongContext(const ModelInfo& m, qint64 inputTokens);

// The database's form of a model's components: those set explicitly (nano-dollars), the long-context threshold and
// the image bound, as compact JSON; and back (then resolvePrices fills the rest). An empty text is a model stored
// before components existed: input, cached input and output are its explicit prices.
QString storedPrices(const ModelInfo& m);
Status readStoredPrices(ModelInfo& m, const QString& json);
// A model in Tollgate's catalog-file form (for export): every explicit component, as strings.
QJsonObject catalogModelJson(const ModelInfo& m, const QString& providerName);

// A usage record's token classes beyond its columns (input, cached, output), for UsageRecord::extras:
// "reasoning_tokens", "cache_write_tokens", "cache_write_1h_tokens", "audio_input_tokens", "audio_output_tokens",
// "image_input_tokens", "web_search_calls", "code_execution_calls" (those above zero) and "long_context": true when
// the request was billed at the long-context tier. And the usage back from a record.
QJsonObject usageExtras(const ModelInfo& m, const TokenUsage& u);
TokenUsage usageOfRecord(const UsageRecord& r);
struct UsageClass
{
    qint64 TokenUsage::*field;
    QLatin1StringView key;
    const char* label; // tollgate::Catalog context
};
std::span<const UsageClass> usageClasses(); // the extras' classes, in that order

// Exact cost in nano-dollars: prices are whole nano-dollars per token (or call), so this is integer arithmetic only.
// Above the long-context threshold every text token of the request is billed at the tier's prices.
Money costOf(const ModelInfo& model, const TokenUsage& usage);

// Applies a markup in basis points (12.5 % == 1250), rounding half up to the nano-dollar: for reports.
Money withMarkup(Money cost, qint32 markupBasisPoints);

// The catalog shipped with Tollgate: providers and models with their list prices and where each came from.
struct CatalogFile
{
    QList<Provider> providers;
    QList<ModelInfo> models; // providerId is the index+1 of the provider in `providers` until stored
    QList<ModelAlias> aliases;
};

// An alias or pattern as the catalog accepts it: model-id characters and the wildcards * and ?, not wildcards only.
Status validateAliasPattern(const QString& pattern);

// Parses a catalog document (the format of resources/catalog/models.json). Refuses unknown fields, prices that are
// not exact, duplicate ids and models whose provider is not listed.
Result<CatalogFile> parseCatalog(const QByteArray& json);
// The catalog compiled into the binary.
const CatalogFile& builtInCatalog();

} // namespace tollgate
