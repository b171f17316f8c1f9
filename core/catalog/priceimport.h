#pragma once

#include "core/catalog/pricing.h"
#include "core/org/snapshot.h"

namespace tollgate {

// Prices kept current: a price file read against the catalog as it is, what it would change, and (Catalog::
// applyPriceImport) the change made in one audited transaction. Two formats: Tollgate's own catalog file
// (resources/catalog/models.json, what `tollgate catalog export` writes) and the widely used public
// model_prices_and_context_window.json (per-token prices in dollars, keyed by model name, with litellm_provider).
struct PriceChange
{
    enum class Kind : quint8 { Added, Changed, Removed };
    Kind kind = Kind::Changed;
    QString modelId;
    QString field; // the component's catalog key ("cacheWrite"), "contextWindow"...; empty for a whole model
    QString before, after; // as people read them: "3.75" (dollars per million tokens or per thousand calls)
};

struct PriceImport
{
    QString format; // "tollgate" or "model_prices_and_context_window"
    QList<ModelInfo> models; // every model added or changed, as it will be stored
    QStringList removed; // model ids (Tollgate files with removeMissing only)
    QList<PriceChange> changes;
    int unchanged = 0; // models in the file whose prices already agree
    QStringList skipped; // entries not applied, and why ("gemini-2.5-pro: provider gemini is not served")
};

struct PriceImportOptions
{
    bool addNew = false; // models the catalog does not have yet are added (unapproved, so nobody uses them unasked)
    bool removeMissing = false; // Tollgate files: models the file does not list are removed
};

// Reads `file` against the catalog in `current`. A malformed file is refused with the entry and field named
// ("gpt-4o.input_cost_per_token: ..."); nothing is changed until the import is applied.
Result<PriceImport> planPriceImport(const QByteArray& file, const Snapshot& current, const PriceImportOptions& options);

// Tollgate's catalog format of the catalog as it is (providers without secrets, models, aliases).
QByteArray exportCatalog(const Snapshot& current);

} // namespace tollgate
