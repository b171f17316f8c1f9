#pragma once

#include "core/access/access.h"
#include "core/audit/audit.h"
#include "core/catalog/catalog.h"
#include "core/customers/customers.h"
#include "core/directory/directory.h"
#include "core/enforcement/enforcement.h"
#include "core/org/orgstate.h"
#include "core/org/orgsync.h"
#include "core/secrets/vault.h"
#include "core/storage/database.h"
#include "core/usage/usage.h"

#include <memory>

namespace tollgate {

// The organisation's modules on one database, as the console, the admin API and the gateway use them. Each module
// owns its part of the published snapshot (directory, access, catalog, customers) or of the records (audit,
// enforcement, usage); Service opens the database, builds the modules over it and loads the first snapshot.
class Service final
{
public:
    struct Options
    {
        bool seedCatalog = true; // add the built-in providers and models to an empty catalog
        QString organizationName = QStringLiteral("My Organization");
        QString timezone = QStringLiteral("UTC");
        // Becomes the owner admin key when the database has none yet (TOLLGATE_ADMIN_KEY); empty: one is made up
        // and handed out once by Access::takeInitialAdminSecret().
        QString initialAdminKey;
        // Provider secrets at rest (core/secrets/vault.h): the key file (empty: next to the database), and whether
        // new secrets go to the OS keychain (the desktop console) rather than encrypted into the database.
        QString secretKeyFile;
        bool keychain = false;
    };

    static Result<std::unique_ptr<Service>> open(const DatabaseLocation& location, const Clock& clock,
                                                 const Options& options);
    static Result<std::unique_ptr<Service>> open(const DatabaseLocation& location, const Clock& clock)
    {
        return open(location, clock, Options {});
    }
    ~Service();
    Q_DISABLE_COPY_MOVE(Service)

    Database& database() const { return *m_db; }
    SecretVault& secrets() const { return *m_secrets; }
    const Clock& clock() const { return m_clock; }
    // The organisation as it is now; its version changes with every change.
    SnapshotPtr snapshot() const { return m_org.current(); }

    Directory& directory() { return m_directory; }
    const Directory& directory() const { return m_directory; }
    Access& access() { return m_access; }
    const Access& access() const { return m_access; }
    Catalog& catalog() { return m_catalog; }
    const Catalog& catalog() const { return m_catalog; }
    Customers& customers() { return m_customers; }
    const Customers& customers() const { return m_customers; }
    const Audit& audit() const { return m_audit; }
    Enforcement& enforcement() { return m_enforcement; }
    const Enforcement& enforcement() const { return m_enforcement; }
    Usage& usage() { return m_usage; }
    const Usage& usage() const { return m_usage; }

    // Reads every part of the snapshot from the database again.
    Status reload();
    // On PostgreSQL: how many parts were reloaded for changes made by other instances (0 elsewhere).
    qint64 syncedReloads() const { return m_sync ? m_sync->reloads() : 0; }
    // Removes every organization, user, group, key and usage record (the catalog stays). For the demo reset.
    Status clearOrganizationData(const QString& actor);

private:
    Service(std::unique_ptr<Database> db, std::unique_ptr<SecretVault> secrets, const Clock& clock);
    Status ensureOrganization(const Options& options);

    std::unique_ptr<Database> m_db;
    std::unique_ptr<SecretVault> m_secrets;
    const Clock& m_clock;
    OrgState m_org;
    Audit m_audit;
    Directory m_directory;
    Access m_access;
    Catalog m_catalog;
    Customers m_customers;
    Enforcement m_enforcement;
    Usage m_usage;
    std::unique_ptr<OrgSync> m_sync; // PostgreSQL: changes made by other instances; stops first
};

} // namespace tollgate
