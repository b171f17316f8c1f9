#pragma once

#include "core/domain/result.h"

#include <QCoreApplication>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

#include <initializer_list>
#include <memory>
#include <mutex>

namespace tollgate {

// Makes a file its owner's only (0600), or a folder (0700), whatever the umask: Tollgate's database, its WAL and
// shared memory, the usage journal (on Windows, the owner's read and write only).
void makePrivate(const QString& path, bool folder);

// The SQL differences between SQLite and PostgreSQL, in one place. Everything else is portable SQL with
// positional parameters.
struct Dialect
{
    enum class Kind { SQLite, PostgreSQL };
    Kind kind = Kind::SQLite;

    QString autoIdColumn() const
    {
        return kind == Kind::SQLite ? QStringLiteral("INTEGER PRIMARY KEY AUTOINCREMENT")
                                    : QStringLiteral("BIGSERIAL PRIMARY KEY");
    }
    QString blobType() const { return kind == Kind::SQLite ? QStringLiteral("BLOB") : QStringLiteral("BYTEA"); }
};

// Where the data lives: a SQLite file (the embedded default) or a postgresql:// URL.
struct DatabaseLocation
{
    Dialect::Kind kind = Dialect::Kind::SQLite;
    QString path; // SQLite file, or ":memory:"
    QString host;
    int port = 5432;
    QString user;
    QString password;
    QString database;
    QString options;

    static Result<DatabaseLocation> parse(const QString& text);
    QString displayName() const; // never shows the password
    // PostgreSQL: "user_host_port_db-<hash>", readable and safe as a file name (the per-database files of an instance:
    // its usage journal, its secret key file).
    QString fileStem() const;
};

// One logical database, usable from any thread: each thread gets its own connection (Qt Sql connections are
// thread-bound). Writes are serialized by the caller through writeLock().
class Database final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Database)

public:
    static Result<std::unique_ptr<Database>> open(const DatabaseLocation& location);
    ~Database();
    Q_DISABLE_COPY_MOVE(Database)

    const Dialect& dialect() const { return m_dialect; }
    const DatabaseLocation& location() const { return m_location; }

    // The calling thread's connection.
    QSqlDatabase connection() const;
    // Closes the calling thread's connection: call it before a thread that used the database ends (thread ids are
    // reused, and a connection belongs to the thread that opened it).
    void closeThreadConnection() const;

    // Brings the schema to the newest version; each migration runs in its own transaction.
    Status migrate();
    int schemaVersion() const;
    static int latestSchemaVersion();

    // Runs `fn` in a transaction: commits when it returns ok, rolls back otherwise (nothing half-written).
    Status transaction(const std::function<Status(QSqlDatabase&)>& fn) const;

    std::mutex& writeLock() const { return m_writeLock; }

private:
    Database(const DatabaseLocation& location, Dialect dialect, QString baseName);
    Result<QSqlDatabase> openConnection(const QString& name) const;

    DatabaseLocation m_location;
    Dialect m_dialect;
    QString m_baseName;
    mutable std::mutex m_writeLock;
    mutable std::mutex m_connectionsLock;
    mutable QStringList m_connectionNames;
};

// Prepared, positional, checked. Every statement in the project goes through this: no string-built values.
Result<QSqlQuery> runSql(const QSqlDatabase& db, const QString& sql, std::initializer_list<QVariant> args = {});
Result<QSqlQuery> runSql(const QSqlDatabase& db, const QString& sql, const QVariantList& args);

// One statement prepared once and run many times with new values (bulk writes in one transaction).
class Statement final
{
public:
    Statement(const QSqlDatabase& db, QString sql);
    Result<QSqlQuery*> run(std::initializer_list<QVariant> args);
    const QString& sql() const { return m_sql; }

private:
    QSqlQuery m_query;
    QString m_sql;
    bool m_prepared = false;
};

// Binds an optional value: NULL when empty.
template<typename T>
QVariant nullable(const std::optional<T>& v)
{
    return v ? QVariant::fromValue(*v) : QVariant();
}
inline QVariant nullableId(qint64 id) { return id ? QVariant(id) : QVariant(); }

// Reads a nullable BIGINT column.
inline std::optional<qint64> optionalInt(const QVariant& v)
{
    if (v.isNull())
        return std::nullopt;
    return v.toLongLong();
}

} // namespace tollgate
