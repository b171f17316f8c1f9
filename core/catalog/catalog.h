#pragma once

#include "core/org/context.h"
#include "core/org/snapshot.h"

#include <QCoreApplication>

namespace tollgate {

struct PriceImport;

// The providers requests are forwarded to and the models they serve, with their prices (core/catalog/pricing.h
// reads the built-in list). Reads come from the snapshot; writes are validated, audited and published.
class Catalog final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Catalog)

public:
    explicit Catalog(const ModuleContext& context);
    Q_DISABLE_COPY_MOVE(Catalog)

    // Adds the built-in providers and models to an empty catalog (before the first snapshot is loaded).
    Status seed();
    // Reads providers and models from the database into a new snapshot.
    Status reload();

    QList<Provider> providers() const;
    std::optional<Provider> provider(Id id) const;
    Result<Provider> saveProvider(const Provider& p, const QString& actor); // id 0: create
    Status deleteProvider(Id id, const QString& actor); // refused (Conflict) while models use it
    QList<ModelInfo> models() const;
    std::optional<ModelInfo> model(const QString& id) const;
    Result<ModelInfo> saveModel(const ModelInfo& m, const QString& actor); // create or update by id
    Status deleteModel(const QString& id, const QString& actor); // refused (Conflict) while aliases name it
    // Aliases and patterns, by pattern.
    QList<ModelAlias> aliases() const;
    // Creates or replaces the alias of a pattern: refused when the pattern is a model's id, or its model is unknown.
    Result<ModelAlias> saveAlias(const ModelAlias& a, const QString& actor);
    Status deleteAlias(const QString& pattern, const QString& actor);
    // Applies a price import (core/catalog/priceimport.h) in one transaction: every model added, changed or removed
    // audited, and a summary of the import. Refused whole (Conflict) when a model to remove is named by an alias.
    Status applyPriceImport(const PriceImport& plan, const QString& actor);

private:
    Database& m_db;
    const Clock& m_clock;
    OrgState& m_org;
    const Audit& m_audit;
};

} // namespace tollgate
