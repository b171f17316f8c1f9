#pragma once

#include "core/org/context.h"
#include "core/org/snapshot.h"

#include <QCoreApplication>

namespace tollgate {

struct PriceImport;
class SecretVault;

// The providers requests are forwarded to and the models they serve, with their prices (core/catalog/pricing.h
// reads the built-in list). Reads come from the snapshot; writes are validated, audited and published.
class Catalog final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Catalog)

public:
    Catalog(const ModuleContext& context, SecretVault& secrets);
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

    // Where provider secrets live at rest (the keychain, or encrypted under the key file).
    const SecretVault& secrets() const { return m_secrets; }
    // Seals the plain-text secrets a database of an earlier version holds, in one transaction (at start, before the
    // first snapshot is loaded); how many.
    Result<int> sealPlainTextSecrets();
    // A new secret key: every encrypted secret re-encrypted under it and the new key recorded in one transaction,
    // then the key file replaced (core/secrets/vault.h). How many secrets were re-encrypted.
    Result<int> rotateSecretKey(const QString& actor);

private:
    Result<QString> storedSecret(Id providerId) const; // as the database holds it

    Database& m_db;
    const Clock& m_clock;
    OrgState& m_org;
    const Audit& m_audit;
    SecretVault& m_secrets;
};

} // namespace tollgate
