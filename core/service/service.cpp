#include "core/service/service.h"

#include "core/domain/validation.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcService, "tollgate.core.service", QtInfoMsg)

namespace tollgate {

Service::Service(std::unique_ptr<Database> db, std::unique_ptr<SecretVault> secrets, const Clock& clock)
    : m_db(std::move(db))
    , m_secrets(std::move(secrets))
    , m_clock(clock)
    , m_org(*m_db)
    , m_audit(*m_db, m_clock)
    , m_directory({*m_db, m_clock, m_org, m_audit})
    , m_access({*m_db, m_clock, m_org, m_audit})
    , m_catalog({*m_db, m_clock, m_org, m_audit}, *m_secrets)
    , m_customers({*m_db, m_clock, m_org, m_audit})
    , m_enforcement(*m_db, m_clock, m_org)
    , m_usage(*m_db, m_clock, m_org)
{
    m_directory.onTimeZoneChanged([this] { return m_usage.rebuildRollups(); });
    m_usage.setCharges([this](QSqlDatabase& tx, const QList<UsageRecord>& r) { return m_enforcement.charge(tx, r); },
                       [this](const QList<UsageRecord>& r) { m_enforcement.charged(r); });
}

Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::open(const DatabaseLocation& location, const Clock& clock,
                                               const Options& options)
{
    auto db = Database::open(location);
    if (!db.ok())
        return db.error();
    if (auto s = db.value()->migrate(); !s.ok())
        return s.error();
    auto secrets = [&] {
        std::lock_guard writeLock(db.value()->writeLock());
        return SecretVault::open(*db.value(), {options.secretKeyFile, options.keychain});
    }();
    if (!secrets.ok())
        return secrets.error();
    std::unique_ptr<Service> service(new Service(std::move(db.value()), std::move(secrets.value()), clock));
    if (auto s = service->ensureOrganization(options); !s.ok())
        return s.error();
    if (auto s = service->m_access.ensureAdminKey(options.initialAdminKey); !s.ok())
        return s.error();
    if (options.seedCatalog) {
        if (auto s = service->m_catalog.seed(); !s.ok())
            return s.error();
    }
    if (auto sealed = service->m_catalog.sealPlainTextSecrets(); !sealed.ok())
        return sealed.error();
    else if (sealed.value() > 0)
        qCInfo(lcService) << "sealed" << sealed.value()
                          << "provider secret(s) kept in plain text by an earlier version";
    if (location.kind == Dialect::Kind::PostgreSQL) {
        // Other instances may share the database: follow their changes (from the revisions read before the load).
        Service* self = service.get();
        service->m_sync = std::make_unique<OrgSync>(*service->m_db, [self](OrgSync::Part part) {
            switch (part) {
            case OrgSync::Part::Directory: return self->m_directory.reload();
            case OrgSync::Part::Access: return self->m_access.reload();
            case OrgSync::Part::Catalog: return self->m_catalog.reload();
            case OrgSync::Part::Customers: return self->m_customers.reload();
            case OrgSync::Part::All: return self->reload();
            }
            return Status {};
        });
    }
    if (auto s = service->reload(); !s.ok())
        return s.error();
    if (auto s = service->m_usage.ensureRollups(); !s.ok())
        return s.error();
    if (service->m_sync)
        service->m_sync->start();
    return service;
}

Status Service::ensureOrganization(const Options& options)
{
    std::lock_guard writeLock(m_db->writeLock());
    auto r = runSql(m_db->connection(), QStringLiteral("SELECT COUNT(*) FROM organizations"));
    if (!r.ok())
        return r.error();
    r->next();
    if (r->value(0).toLongLong() > 0)
        return {};
    if (auto s = validate::timezone(options.timezone, QStringLiteral("timezone")); !s.ok())
        return s;
    return m_db->transaction([&](QSqlDatabase& tx) -> Status {
        auto ins = runSql(tx,
                          QStringLiteral("INSERT INTO organizations (name, timezone, default_policy, allow_reduction,"
                                         " updated_at) VALUES (?, ?, ?, 1, ?)"),
                          {options.organizationName, options.timezone, QStringLiteral("{}"), m_clock.now()});
        if (!ins.ok())
            return ins.error();
        return m_audit.record(tx, QStringLiteral("system"), QStringLiteral("organization"), QString(),
                              QStringLiteral("create"), {}, options.organizationName);
    });
}

Status Service::reload()
{
    QElapsedTimer timer;
    timer.start();
    // The directory first: the other parts are read for its organisation.
    if (Status s = m_directory.reload(); !s.ok())
        return s;
    if (Status s = m_access.reload(); !s.ok())
        return s;
    if (Status s = m_catalog.reload(); !s.ok())
        return s;
    if (Status s = m_customers.reload(); !s.ok())
        return s;
    qCDebug(lcService) << "loaded" << snapshot()->users.size() << "users in" << timer.elapsed() << "ms";
    return {};
}

Status Service::clearOrganizationData(const QString& actor)
{
    {
        std::lock_guard writeLock(m_db->writeLock());
        const Id orgId = snapshot()->org.id;
        Status s = m_db->transaction([&](QSqlDatabase& tx) -> Status {
            for (const char* sql :
                 {"DELETE FROM api_key_groups", "DELETE FROM api_keys", "DELETE FROM group_members",
                  "UPDATE org_groups SET parent_id = NULL", "DELETE FROM org_groups", "DELETE FROM projects",
                  "DELETE FROM users", "DELETE FROM customers", "DELETE FROM usage_records",
                  "DELETE FROM usage_rollups", "DELETE FROM limit_leases", "DELETE FROM limit_counters"}) {
                if (auto r = runSql(tx, QString::fromLatin1(sql)); !r.ok())
                    return r.error();
            }
            return m_audit.record(tx, actor, QStringLiteral("organization"), idText(orgId), QStringLiteral("clear"), {},
                                  {});
        });
        if (!s.ok())
            return s;
    }
    // Counters hold the usage that was just deleted: start over from the records.
    m_enforcement.reset();
    return reload();
}

} // namespace tollgate
