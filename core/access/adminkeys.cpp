// Access: admin API keys.

#include "core/access/access.h"
#include "core/audit/audit.h"
#include "core/domain/validation.h"
#include "core/org/orgstate.h"
#include "core/storage/codec.h"
#include "core/storage/database.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

namespace tollgate {

namespace {

constexpr QLatin1StringView kAdminPrefix("tga-");
constexpr Instant kLastUsedResolution = 60'000; // last_used_at is written at most once a minute per key

const QString kColumns = QStringLiteral("id, name, prefix, secret_hash, role, status, created_by, created_at,"
                                        " last_used_at");

AdminKey adminKeyFrom(const QSqlQuery& r)
{
    AdminKey k;
    k.id = r.value(0).toLongLong();
    k.name = r.value(1).toString();
    k.prefix = r.value(2).toString();
    k.hash = r.value(3).toByteArray();
    k.role = adminRoleFromName(r.value(4).toString()).value_or(AdminRole::Viewer);
    k.status = r.value(5).toString() == u"revoked" ? KeyStatus::Revoked : KeyStatus::Active;
    k.createdBy = r.value(6).toString();
    k.createdAt = r.value(7).toLongLong();
    k.lastUsedAt = r.value(8).toLongLong();
    return k;
}

QString adminKeyJson(const AdminKey& k)
{
    return QString::fromUtf8(QJsonDocument(QJsonObject {{QStringLiteral("name"), k.name},
                                                        {QStringLiteral("prefix"), k.prefix},
                                                        {QStringLiteral("role"), adminRoleName(k.role)},
                                                        {QStringLiteral("status"),
                                                         k.status == KeyStatus::Active ? QStringLiteral("active")
                                                                                       : QStringLiteral("revoked")}})
                                 .toJson(QJsonDocument::Compact));
}

} // namespace

Status Access::insertAdminKey(QSqlDatabase& tx, AdminKey& k, const QString& actor)
{
    auto ins = runSql(tx,
                      QStringLiteral("INSERT INTO admin_keys (name, prefix, secret_hash, role, status, created_by,"
                                     " created_at, last_used_at) VALUES (?, ?, ?, ?, 'active', ?, ?, 0) RETURNING id"),
                      {k.name, k.prefix, k.hash, adminRoleName(k.role), k.createdBy, k.createdAt});
    if (!ins.ok())
        return ins.error();
    ins->next();
    k.id = ins->value(0).toLongLong();
    return m_audit.record(tx, actor, QStringLiteral("admin_key"), idText(k.id), QStringLiteral("create"), {},
                          adminKeyJson(k));
}

Status Access::ensureAdminKey(const QString& initialSecret)
{
    {
        auto r = runSql(m_db.connection(), QStringLiteral("SELECT COUNT(*) FROM admin_keys"));
        if (!r.ok())
            return r.error();
        r->next();
        if (r->value(0).toLongLong() > 0)
            return {};
    }
    QString secret = initialSecret.trimmed();
    if (!secret.isEmpty()) {
        if (secret.size() < 24 || secret.size() > 200)
            return Error::invalid(QStringLiteral("TOLLGATE_ADMIN_KEY"), tr("must be 24 to 200 characters long"));
        for (QChar c : std::as_const(secret))
            if (c.unicode() <= 32 || c.unicode() >= 127)
                return Error::invalid(QStringLiteral("TOLLGATE_ADMIN_KEY"),
                                      tr("must be printable ASCII without spaces"));
    } else {
        secret = makeSecret(kAdminPrefix);
        m_initialAdminSecret = secret;
    }
    std::lock_guard writeLock(m_db.writeLock()); // admin keys are not in the snapshot
    AdminKey k;
    k.name = QStringLiteral("owner");
    k.prefix = secret.left(10);
    k.hash = hashSecret(secret);
    k.role = AdminRole::Owner;
    k.createdBy = QStringLiteral("system");
    k.createdAt = m_clock.now();
    return m_db.transaction([&](QSqlDatabase& tx) { return insertAdminKey(tx, k, QStringLiteral("system")); });
}

QString Access::takeInitialAdminSecret() { return std::exchange(m_initialAdminSecret, QString()); }

Result<QList<AdminKey>> Access::adminKeys() const
{
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT %1 FROM admin_keys ORDER BY id").arg(kColumns));
    if (!r.ok())
        return r.error();
    QList<AdminKey> out;
    while (r->next())
        out.append(adminKeyFrom(*r));
    return out;
}

Result<CreatedAdminKey> Access::createAdminKey(const QString& name, AdminRole role, const QString& actor)
{
    if (auto s = validate::name(name, QStringLiteral("name")); !s.ok())
        return s.error();
    CreatedAdminKey created;
    created.secret = makeSecret(kAdminPrefix);
    AdminKey& k = created.key;
    k.name = name.trimmed();
    k.prefix = created.secret.left(10);
    k.hash = hashSecret(created.secret);
    k.role = role;
    k.createdBy = actor;
    k.createdAt = m_clock.now();
    std::lock_guard writeLock(m_db.writeLock()); // admin keys are not in the snapshot
    Status s = m_db.transaction([&](QSqlDatabase& tx) { return insertAdminKey(tx, k, actor); });
    if (!s.ok())
        return s.error();
    return created;
}

Status Access::revokeAdminKey(Id id, const QString& actor)
{
    std::lock_guard writeLock(m_db.writeLock()); // admin keys are not in the snapshot
    return m_db.transaction([&](QSqlDatabase& tx) -> Status {
        auto r = runSql(tx, QStringLiteral("SELECT %1 FROM admin_keys WHERE id = ?").arg(kColumns), {id});
        if (!r.ok())
            return r.error();
        if (!r->next())
            return Error::notFound(QStringLiteral("id"), tr("admin key %1 does not exist").arg(id));
        const AdminKey before = adminKeyFrom(*r);
        if (before.status == KeyStatus::Revoked)
            return {};
        if (before.role == AdminRole::Owner) {
            // The last active owner cannot go: nobody could manage admin keys any more.
            auto owners = runSql(tx,
                                 QStringLiteral("SELECT COUNT(*) FROM admin_keys WHERE role = 'owner'"
                                                " AND status = 'active'"));
            if (!owners.ok())
                return owners.error();
            owners->next();
            if (owners->value(0).toLongLong() <= 1)
                return Error::conflict(
                    QStringLiteral("id"),
                    tr("%1 is the last active owner key; create another owner key first").arg(before.prefix));
        }
        AdminKey after = before;
        after.status = KeyStatus::Revoked;
        if (auto u = runSql(tx, QStringLiteral("UPDATE admin_keys SET status = 'revoked' WHERE id = ?"), {id}); !u.ok())
            return u.error();
        return m_audit.record(tx, actor, QStringLiteral("admin_key"), idText(id), QStringLiteral("revoke"),
                              adminKeyJson(before), adminKeyJson(after));
    });
}

Result<AdminKey> Access::authenticateAdmin(const QString& secret) const
{
    const QByteArray hash = hashSecret(secret);
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT %1 FROM admin_keys WHERE secret_hash = ?").arg(kColumns),
                    {hash});
    if (!r.ok())
        return r.error();
    if (!r->next())
        return Error::notFound(QStringLiteral("apiKey"), tr("the admin key is not valid"));
    AdminKey k = adminKeyFrom(*r);
    if (!constantTimeEqual(k.hash, hash))
        return Error::notFound(QStringLiteral("apiKey"), tr("the admin key is not valid"));
    if (k.status == KeyStatus::Revoked)
        return Error::invalid(QStringLiteral("apiKey"), tr("the admin key %1 has been revoked").arg(k.prefix));
    const Instant now = m_clock.now();
    if (now - k.lastUsedAt >= kLastUsedResolution) {
        // Best effort: a failure to note the last use does not refuse the request.
        std::lock_guard writeLock(m_db.writeLock()); // admin keys are not in the snapshot
        (void)runSql(m_db.connection(), QStringLiteral("UPDATE admin_keys SET last_used_at = ? WHERE id = ?"),
                     {now, k.id});
        k.lastUsedAt = now;
    }
    return k;
}

} // namespace tollgate
