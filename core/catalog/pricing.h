#pragma once

#include "core/domain/domain.h"

namespace tollgate {

// Token counts as the gateway normalizes them: inputTokens is every prompt token, cachedTokens the part of them
// that was read from the provider's cache (billed at the cached price), outputTokens every generated token (reasoning
// included: reasoningTokens is the part of them the model thought before answering).
struct TokenUsage
{
    qint64 inputTokens = 0;
    qint64 cachedTokens = 0;
    qint64 outputTokens = 0;
    qint64 reasoningTokens = 0;
    qint64 total() const { return inputTokens + outputTokens; }
};

// Exact cost in nano-dollars: prices are whole nano-dollars per token, so this is integer arithmetic only.
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
