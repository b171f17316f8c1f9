// Catalog: the provider secrets at rest (core/secrets/vault.h).

#include "core/audit/audit.h"
#include "core/catalog/catalog.h"
#include "core/org/orgstate.h"
#include "core/secrets/vault.h"
#include "core/storage/database.h"

namespace tollgate {

Result<int> Catalog::sealPlainTextSecrets()
{
    std::lock_guard writeLock(m_db.writeLock()); // before the first snapshot is loaded
    QList<std::pair<Id, QString>> plain;
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT id, secret FROM providers"));
    if (!r.ok())
        return r.error();
    while (r->next())
        if (SecretVault::storageOf(r->value(1).toString()) == SecretStorage::PlainText)
            plain.append({r->value(0).toLongLong(), r->value(1).toString()});
    if (plain.isEmpty())
        return 0;
    QStringList sealed;
    for (const auto& [id, secret] : std::as_const(plain)) {
        auto s = m_secrets.seal(secret);
        if (!s.ok()) {
            for (const QString& done : std::as_const(sealed))
                m_secrets.discard(done);
            return s.error();
        }
        sealed.append(s.value());
    }
    // The plain text must not stay behind in freed space: SQLite overwrites what this transaction frees with zeros,
    // and its WAL is emptied once the pages are in the database; PostgreSQL rewrites the table.
    const bool sqlite = m_db.dialect().kind == Dialect::Kind::SQLite;
    if (sqlite)
        (void)runSql(m_db.connection(), QStringLiteral("PRAGMA secure_delete = ON"));
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        for (qsizetype i = 0; i < plain.size(); ++i)
            if (auto u = runSql(tx, QStringLiteral("UPDATE providers SET secret = ? WHERE id = ?"),
                                {sealed[i], plain[i].first});
                !u.ok())
                return u.error();
        return m_audit.record(
            tx, QStringLiteral("system"), QStringLiteral("provider"), QString(), QStringLiteral("seal-secrets"), {},
            tr("%n provider secret(s) kept in plain text by an earlier version sealed: %1", nullptr, int(plain.size()))
                .arg(secretStorageName(SecretVault::storageOf(sealed.first()))));
    });
    if (sqlite)
        (void)runSql(m_db.connection(), QStringLiteral("PRAGMA secure_delete = OFF"));
    if (!s.ok()) {
        for (const QString& done : std::as_const(sealed))
            m_secrets.discard(done);
        return s.error();
    }
    // What the earlier version wrote may still be in old pages: the whole file is rewritten without them.
    const QString scrub = sqlite ? QStringLiteral("VACUUM") : QStringLiteral("VACUUM FULL providers");
    if (auto v = runSql(m_db.connection(), scrub); !v.ok())
        return v.error();
    if (sqlite)
        if (auto c = runSql(m_db.connection(), QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")); !c.ok())
            return c.error();
    return int(plain.size());
}

Result<int> Catalog::rotateSecretKey(const QString& actor)
{
    auto edit = m_org.edit(); // the write lock: no secret is sealed under the old key meanwhile
    QList<std::pair<Id, QString>> secrets; // the encrypted ones, opened
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT id, name, secret FROM providers"));
    if (!r.ok())
        return r.error();
    while (r->next()) {
        const QString stored = r->value(2).toString();
        if (SecretVault::storageOf(stored) != SecretStorage::Encrypted)
            continue;
        auto opened = m_secrets.unseal(stored);
        if (!opened.ok())
            return Error::storage(
                tr("the secret of provider %1: %2").arg(r->value(1).toString(), opened.error().message));
        secrets.append({r->value(0).toLongLong(), opened.value()});
    }
    const QString before = m_secrets.keyId();
    auto next = m_secrets.beginRotation();
    if (!next.ok())
        return next.error();
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        for (const auto& [id, secret] : std::as_const(secrets)) {
            auto sealed = next->seal(secret);
            if (!sealed.ok())
                return sealed.error();
            if (auto u = runSql(tx, QStringLiteral("UPDATE providers SET secret = ? WHERE id = ?"), {*sealed, id});
                !u.ok())
                return u.error();
        }
        if (Status k = m_secrets.recordKey(tx, next.value()); !k.ok())
            return k;
        return m_audit.record(tx, actor, QStringLiteral("provider"), QString(), QStringLiteral("rotate-secret-key"),
                              before,
                              tr("key %1 in %2: %n secret(s) re-encrypted", nullptr, int(secrets.size()))
                                  .arg(next->id(), m_secrets.keyFile()));
    });
    if (!s.ok()) {
        m_secrets.abandonRotation();
        return s.error();
    }
    if (Status f = m_secrets.finishRotation(next.value()); !f.ok())
        return f.error();
    return int(secrets.size());
}

} // namespace tollgate
