#pragma once

#include "core/domain/result.h"

#include <QHash>
#include <QSqlDatabase>
#include <QThread>

#include <functional>

namespace tollgate {

class Database;
struct Dialect;

// Keeps this instance's snapshot in step with changes other instances make to the same database (PostgreSQL).
// Every change counts up its part's row in org_revisions in its own transaction and, on PostgreSQL, sends NOTIFY
// tollgate_org (delivered at commit); OrgSync LISTENs on a connection of its own thread and reloads each part whose
// revision moved, a few milliseconds after the notification. It also reads the revisions every second, so a lost
// notification connection delays a change by at most that.
class OrgSync final : public QThread
{
public:
    enum class Part { Directory, Access, Catalog, Customers, All };
    static QString partName(Part part); // "directory", ...
    // The part an audited entity belongs to ("user" -> Directory, "api_key" -> Access, ...).
    static Part partOf(const QString& entity);
    // In the transaction of a change: counts up the part's revision and tells the other instances.
    static Status markChanged(QSqlDatabase& tx, const Dialect& dialect, Part part);

    using Reload = std::function<Status(Part)>;
    // Reads the revisions as they are now: what the snapshot loaded next reflects.
    OrgSync(const Database& db, Reload reload);
    ~OrgSync() override;
    Q_DISABLE_COPY_MOVE(OrgSync)

    // How many parts were reloaded for changes made elsewhere.
    qint64 reloads() const { return m_reloads.load(std::memory_order_relaxed); }

protected:
    void run() override;

private:
    // Reloads what changed; false when the revisions could not be read.
    bool check();

    const Database& m_db;
    Reload m_reload;
    QHash<QString, qint64> m_known; // part -> revision, touched only by the thread once it runs
    std::atomic<qint64> m_reloads {0};
};

} // namespace tollgate
