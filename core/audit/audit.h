#pragma once

#include "core/domain/clock.h"
#include "core/domain/domain.h"

#include <QSqlDatabase>

namespace tollgate {

class Database;

struct AuditFilter
{
    QString actor;
    QString entity;
    QString entityId;
    Instant from = 0;
    Instant to = 0;
    Id beforeId = 0; // paging: entries older than this one
    int limit = 200;
};

// The audit log: who changed what, before and after. Every module writes its entry inside the transaction of the
// change it describes, so a change and its entry commit together or not at all.
class Audit final
{
public:
    Audit(const Database& db, const Clock& clock);

    Status record(QSqlDatabase& tx, const QString& actor, const QString& entity, const QString& entityId,
                  const QString& action, const QString& before, const QString& after) const;
    // Newest first.
    QList<AuditEntry> entries(const AuditFilter& filter) const;

private:
    const Database& m_db;
    const Clock& m_clock;
};

} // namespace tollgate
