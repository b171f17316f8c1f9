#include "core/audit/audit.h"

#include "core/org/orgsync.h"
#include "core/storage/database.h"

#include <algorithm>

namespace tollgate {

Audit::Audit(const Database& db, const Clock& clock)
    : m_db(db)
    , m_clock(clock)
{
}

Status Audit::record(QSqlDatabase& tx, const QString& actor, const QString& entity, const QString& entityId,
                     const QString& action, const QString& before, const QString& after) const
{
    auto r = runSql(tx,
                    QStringLiteral("INSERT INTO audit_log (ts, actor, entity, entity_id, action, before_json,"
                                   " after_json) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                    {m_clock.now(), actor.isEmpty() ? QStringLiteral("system") : actor, entity,
                     entityId.isNull() ? QStringLiteral("") : entityId, action,
                     before.isNull() ? QVariant() : QVariant(before), after.isNull() ? QVariant() : QVariant(after)});
    if (!r.ok())
        return r.error();
    // Every change to the organisation is audited: the other instances on the database learn of it here.
    return OrgSync::markChanged(tx, m_db.dialect(), OrgSync::partOf(entity));
}

QList<AuditEntry> Audit::entries(const AuditFilter& filter) const
{
    QString sql = QStringLiteral("SELECT id, ts, actor, entity, entity_id, action, before_json, after_json"
                                 " FROM audit_log WHERE 1 = 1");
    QVariantList args;
    if (!filter.actor.isEmpty()) {
        sql += QStringLiteral(" AND actor = ?");
        args << filter.actor;
    }
    if (!filter.entity.isEmpty()) {
        sql += QStringLiteral(" AND entity = ?");
        args << filter.entity;
    }
    if (!filter.entityId.isEmpty()) {
        sql += QStringLiteral(" AND entity_id = ?");
        args << filter.entityId;
    }
    if (filter.from) {
        sql += QStringLiteral(" AND ts >= ?");
        args << filter.from;
    }
    if (filter.to) {
        sql += QStringLiteral(" AND ts < ?");
        args << filter.to;
    }
    if (filter.beforeId) {
        sql += QStringLiteral(" AND id < ?");
        args << filter.beforeId;
    }
    sql += QStringLiteral(" ORDER BY id DESC LIMIT ?");
    args << std::clamp(filter.limit, 1, 10'000);
    QList<AuditEntry> out;
    auto r = runSql(m_db.connection(), sql, args);
    if (!r.ok())
        return out;
    while (r->next()) {
        AuditEntry e;
        e.id = r->value(0).toLongLong();
        e.time = r->value(1).toLongLong();
        e.actor = r->value(2).toString();
        e.entity = r->value(3).toString();
        e.entityId = r->value(4).toString();
        e.action = r->value(5).toString();
        e.before = r->value(6).toString();
        e.after = r->value(7).toString();
        out.append(e);
    }
    return out;
}

} // namespace tollgate
