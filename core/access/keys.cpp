// Access: projects and API keys.

#include "core/access/access.h"
#include "core/audit/audit.h"
#include "core/domain/validation.h"
#include "core/org/orgstate.h"
#include "core/storage/codec.h"
#include "core/storage/database.h"
#include "core/storage/store.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QRandomGenerator>

namespace tollgate {

namespace {

const QStringList& knownFeatures()
{
    static const QStringList f {QStringLiteral("chat"), QStringLiteral("messages"), QStringLiteral("embeddings"),
                                QLatin1String(kCustomerLimitsFeature)};
    return f;
}

} // namespace

QString makeSecret(QLatin1StringView prefix)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QString s = prefix;
    auto* rng = QRandomGenerator::system();
    for (int i = 0; i < 40; ++i) // 40 base-62 characters: 238 bits
        s += QLatin1Char(alphabet[rng->bounded(62)]);
    return s;
}

bool constantTimeEqual(const QByteArray& a, const QByteArray& b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

Access::Access(const ModuleContext& context)
    : m_db(context.db)
    , m_clock(context.clock)
    , m_org(context.org)
    , m_audit(context.audit)
{
}

Status Access::reload()
{
    return m_org.reload([this](Snapshot& s) { return Store(m_db).loadAccess(s); });
}

QList<Project> Access::projects() const { return sortedById(m_org.current()->projects); }

std::optional<Project> Access::project(Id id) const
{
    const SnapshotPtr snap = m_org.current();
    if (const Project* p = snap->project(id))
        return *p;
    return std::nullopt;
}

Result<Project> Access::createProject(const QString& name, const std::optional<Money>& monthlyLimit,
                                      const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    if (auto s = validate::name(name, QStringLiteral("name")); !s.ok())
        return s.error();
    if (auto s = validate::moneyLimit(monthlyLimit, QStringLiteral("monthlyLimit")); !s.ok())
        return s.error();
    Project p;
    p.orgId = base.org.id;
    p.name = name.trimmed();
    p.kind = ProjectKind::Shared;
    p.monthlyLimit = monthlyLimit;
    p.updatedAt = m_clock.now();
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = Store::insertProject(tx, p); !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("project"), idText(p.id), QStringLiteral("create"), {},
                              codec::compact(codec::toJson(p)));
    });
    if (!s.ok())
        return s.error();
    edit->projects.insert(p.id, p);
    edit.publish();
    return p;
}

Result<Project> Access::updateProject(const Project& changed, const QString& actor)
{
    auto edit = m_org.edit();
    auto current = project(changed.id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("project %1 does not exist").arg(changed.id));
    if (changed.updatedAt && changed.updatedAt != current->updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the project was changed by someone else; reload"));
    if (auto s = validate::name(changed.name, QStringLiteral("name")); !s.ok())
        return s.error();
    if (auto s = validate::moneyLimit(changed.monthlyLimit, QStringLiteral("monthlyLimit")); !s.ok())
        return s.error();
    Project after = *current;
    after.name = changed.name.trimmed();
    after.monthlyLimit = changed.monthlyLimit;
    after.updatedAt = std::max(m_clock.now(), current->updatedAt + 1);
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = Store::updateProject(tx, after); !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("project"), idText(after.id), QStringLiteral("update"),
                              codec::compact(codec::toJson(*current)), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    edit->projects.insert(after.id, after);
    edit.publish();
    return after;
}

Status Access::deleteProject(Id id, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    auto current = project(id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("project %1 does not exist").arg(id));
    if (current->kind == ProjectKind::Private)
        return Error::conflict(QStringLiteral("id"), tr("a private project goes with its user; delete the user"));
    QList<Id> keyIds;
    {
        for (const ApiKey& k : std::as_const(base.keys))
            if (k.projectId == id)
                keyIds.append(k.id);
    }
    if (!keyIds.isEmpty())
        return Error::conflict(QStringLiteral("id"),
                               QCoreApplication::translate("tollgate::Access",
                                                           "project %1 still has %n API key(s); delete or move them "
                                                           "first",
                                                           nullptr, int(keyIds.size()))
                                   .arg(current->name));
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM projects WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return m_audit.record(tx, actor, QStringLiteral("project"), idText(id), QStringLiteral("delete"),
                              codec::compact(codec::toJson(*current)), {});
    });
    if (!s.ok())
        return s;
    edit->projects.remove(id);
    edit.publish();
    return {};
}

QList<ApiKey> Access::keys() const { return sortedById(m_org.current()->keys); }

std::optional<ApiKey> Access::key(Id id) const
{
    const SnapshotPtr snap = m_org.current();
    if (const ApiKey* k = snap->key(id))
        return *k;
    return std::nullopt;
}

Result<CreatedKey> Access::createKey(const NewKey& nk, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    if (auto s = validate::name(nk.name, QStringLiteral("name")); !s.ok())
        return s.error();
    if (auto s = validate::moneyLimit(nk.monthlyCap, QStringLiteral("monthlyCap")); !s.ok())
        return s.error();
    if (auto s = validate::modelRule(nk.allowedModels, QStringLiteral("allowedModels"),
                                     [&base](const QString& m) { return base.models.contains(m); });
        !s.ok())
        return s.error();
    for (const QString& f : nk.features)
        if (!knownFeatures().contains(f))
            return Error::invalid(
                QStringLiteral("features"),
                tr("'%1' is not a feature; use %2").arg(f, knownFeatures().join(QStringLiteral(", "))));
    if (nk.expiresAt && nk.expiresAt <= m_clock.now())
        return Error::invalid(QStringLiteral("expiresAt"), tr("is in the past"));
    ApiKey k;
    {
        k.orgId = base.org.id;
        if (nk.holderUserId && !base.users.contains(nk.holderUserId))
            return Error::notFound(QStringLiteral("holderUserId"), tr("user %1 does not exist").arg(nk.holderUserId));
        k.projectId = nk.projectId;
        if (!k.projectId) {
            if (!nk.holderUserId)
                return Error::invalid(QStringLiteral("projectId"), tr("is required for a key without a holder"));
            k.projectId = base.users.value(nk.holderUserId).privateProjectId;
        }
        const Project* project = base.project(k.projectId);
        if (!project)
            return Error::notFound(QStringLiteral("projectId"), tr("project %1 does not exist").arg(k.projectId));
        if (project->kind == ProjectKind::Private && project->ownerUserId != nk.holderUserId)
            return Error::invalid(QStringLiteral("projectId"),
                                  tr("is another user's private project; keys there must be held by its owner"));
        for (Id gid : nk.groupIds)
            if (!base.groups.contains(gid))
                return Error::notFound(QStringLiteral("groupIds"), tr("group %1 does not exist").arg(gid));
    }
    const QString secret = makeSecret(QLatin1StringView("tg-"));
    k.holderUserId = nk.holderUserId;
    k.name = nk.name.trimmed();
    k.prefix = secret.left(10);
    k.hash = hashSecret(secret);
    k.groupIds = nk.groupIds;
    std::sort(k.groupIds.begin(), k.groupIds.end());
    k.groupIds.erase(std::unique(k.groupIds.begin(), k.groupIds.end()), k.groupIds.end());
    k.features = nk.features;
    k.allowedModels = nk.allowedModels;
    k.monthlyCap = nk.monthlyCap;
    k.expiresAt = nk.expiresAt;
    k.createdAt = k.updatedAt = m_clock.now();
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = Store::insertKey(tx, k); !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("api_key"), idText(k.id), QStringLiteral("create"), {},
                              codec::compact(codec::toJson(k)));
    });
    if (!s.ok())
        return s.error();
    edit->keys.insert(k.id, k);
    edit->keysByHash.insert(k.hash, k.id);
    edit.publish();
    return CreatedKey {k, secret};
}

Result<ApiKey> Access::updateKey(const ApiKey& changed, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    auto current = key(changed.id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("API key %1 does not exist").arg(changed.id));
    if (changed.updatedAt && changed.updatedAt != current->updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the key was changed by someone else; reload"));
    if (auto s = validate::name(changed.name, QStringLiteral("name")); !s.ok())
        return s.error();
    if (auto s = validate::moneyLimit(changed.monthlyCap, QStringLiteral("monthlyCap")); !s.ok())
        return s.error();
    if (auto s = validate::modelRule(changed.allowedModels, QStringLiteral("allowedModels"),
                                     [&base](const QString& m) { return base.models.contains(m); });
        !s.ok())
        return s.error();
    for (const QString& f : changed.features)
        if (!knownFeatures().contains(f))
            return Error::invalid(QStringLiteral("features"), tr("'%1' is not a feature").arg(f));
    for (Id gid : changed.groupIds)
        if (!base.group(gid))
            return Error::notFound(QStringLiteral("groupIds"), tr("group %1 does not exist").arg(gid));
    ApiKey after = *current;
    after.name = changed.name.trimmed();
    after.monthlyCap = changed.monthlyCap;
    after.allowedModels = changed.allowedModels;
    after.features = changed.features;
    after.groupIds = changed.groupIds;
    std::sort(after.groupIds.begin(), after.groupIds.end());
    after.groupIds.erase(std::unique(after.groupIds.begin(), after.groupIds.end()), after.groupIds.end());
    after.expiresAt = changed.expiresAt;
    after.status = changed.status;
    after.updatedAt = std::max(m_clock.now(), current->updatedAt + 1);
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = Store::updateKey(tx, after); !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("api_key"), idText(after.id), QStringLiteral("update"),
                              codec::compact(codec::toJson(*current)), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    edit->keys.insert(after.id, after);
    edit.publish();
    return after;
}

Status Access::revokeKey(Id id, const QString& actor)
{
    auto current = key(id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("API key %1 does not exist").arg(id));
    ApiKey changed = *current;
    changed.status = KeyStatus::Revoked;
    changed.updatedAt = 0;
    auto r = updateKey(changed, actor);
    return r.ok() ? Status() : Status(r.error());
}

Status Access::deleteKey(Id id, const QString& actor)
{
    auto edit = m_org.edit();
    auto current = key(id);
    if (!current)
        return Error::notFound(QStringLiteral("id"), tr("API key %1 does not exist").arg(id));
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (auto r = runSql(tx, QStringLiteral("DELETE FROM api_keys WHERE id = ?"), {id}); !r.ok())
            return r.error();
        return m_audit.record(tx, actor, QStringLiteral("api_key"), idText(id), QStringLiteral("delete"),
                              codec::compact(codec::toJson(*current)), {});
    });
    if (!s.ok())
        return s;
    edit->keysByHash.remove(current->hash);
    edit->keys.remove(id);
    edit.publish();
    return {};
}

Result<ApiKey> Access::authenticate(const Snapshot& snap, const QString& secret, Instant now)
{
    const QByteArray hash = hashSecret(secret);
    // The lookup is by SHA-256 of the secret, so its timing says nothing about the secret itself; the final
    // comparison is constant-time all the same.
    const Id id = snap.keysByHash.value(hash);
    const ApiKey* it = id ? snap.key(id) : nullptr;
    if (!it || !constantTimeEqual(it->hash, hash))
        return Error::notFound(QStringLiteral("apiKey"), tr("the API key is not valid"));
    if (it->status == KeyStatus::Revoked)
        return Error::invalid(QStringLiteral("apiKey"), tr("the API key %1 has been revoked").arg(it->prefix));
    if (it->expiresAt && it->expiresAt <= now)
        return Error::invalid(QStringLiteral("apiKey"), tr("the API key %1 has expired").arg(it->prefix));
    return *it;
}

Result<ApiKey> Access::authenticate(const QString& secret) const
{
    return authenticate(*m_org.current(), secret, m_clock.now());
}

QByteArray Access::hashSecret(const QString& secret)
{
    return QCryptographicHash::hash(secret.toUtf8(), QCryptographicHash::Sha256);
}

} // namespace tollgate
