#pragma once

#include "core/org/context.h"
#include "core/org/snapshot.h"

#include <QCoreApplication>
#include <QSqlDatabase>

namespace tollgate {

struct NewKey
{
    QString name;
    Id projectId = 0; // 0: the holder's private project
    Id holderUserId = 0;
    QList<Id> groupIds;
    QStringList features {QStringLiteral("chat"), QStringLiteral("messages"), QStringLiteral("embeddings")};
    ModelRule allowedModels;
    std::optional<Money> monthlyCap;
    Instant expiresAt = 0;
};

struct CreatedKey
{
    ApiKey key;
    QString secret; // shown once; only its hash is stored
};

struct CreatedAdminKey
{
    AdminKey key;
    QString secret; // shown once
};

// Who may spend: projects and their API keys (in the snapshot), and the admin API's keys (read from the database on
// every call, so a revocation made by another instance on the same database applies at once).
class Access final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Access)

public:
    explicit Access(const ModuleContext& context);
    Q_DISABLE_COPY_MOVE(Access)

    // Reads projects and API keys from the database into a new snapshot.
    Status reload();

    // Projects
    QList<Project> projects() const;
    std::optional<Project> project(Id id) const;
    Result<Project> createProject(const QString& name, const std::optional<Money>& monthlyLimit, const QString& actor);
    Result<Project> updateProject(const Project& changed, const QString& actor);
    Status deleteProject(Id id, const QString& actor);

    // API keys
    QList<ApiKey> keys() const;
    std::optional<ApiKey> key(Id id) const;
    Result<CreatedKey> createKey(const NewKey& k, const QString& actor);
    Result<ApiKey> updateKey(const ApiKey& changed, const QString& actor);
    Status revokeKey(Id id, const QString& actor);
    Status deleteKey(Id id, const QString& actor);
    // The key a secret belongs to in `s`, if it is active and unexpired; otherwise an error saying which (never
    // which part of the secret was wrong). Compares hashes in constant time.
    static Result<ApiKey> authenticate(const Snapshot& s, const QString& secret, Instant now);
    Result<ApiKey> authenticate(const QString& secret) const;
    static QByteArray hashSecret(const QString& secret);

    // Admin keys
    // Makes the owner key when the database has none yet: `initialSecret`, or one made up and handed out once by
    // takeInitialAdminSecret().
    Status ensureAdminKey(const QString& initialSecret);
    Result<QList<AdminKey>> adminKeys() const;
    Result<CreatedAdminKey> createAdminKey(const QString& name, AdminRole role, const QString& actor);
    Status revokeAdminKey(Id id, const QString& actor);
    // The active admin key a secret belongs to (NotFound for an unknown secret, Invalid for a revoked one).
    Result<AdminKey> authenticateAdmin(const QString& secret) const;
    // The owner key made up when the database had no admin key: returned once, then empty.
    QString takeInitialAdminSecret();

private:
    Status insertAdminKey(QSqlDatabase& tx, AdminKey& key, const QString& actor);

    Database& m_db;
    const Clock& m_clock;
    OrgState& m_org;
    const Audit& m_audit;
    QString m_initialAdminSecret;
};

// "<prefix>" + 40 random base-62 characters (238 bits).
QString makeSecret(QLatin1StringView prefix);
bool constantTimeEqual(const QByteArray& a, const QByteArray& b);

} // namespace tollgate
