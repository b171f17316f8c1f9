#pragma once

#include "core/domain/domain.h"

#include <QSqlDatabase>
#include <QString>

#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace tollgate {

// The SQLite C API under a Qt Sql connection, for the one write that runs for every request (usage records and their
// rollups) and the reads that sum many rollup rows: Qt's binding builds and hashes a placeholder name for every value,
// which cost more than SQLite's own work. It is there only when Tollgate is built against the SQLite library that Qt's
// driver uses (the Linux distributions' Qt; TOLLGATE_SQLITE_DIRECT) and the driver reports that library's version;
// otherwise handle() is null and callers use Qt Sql.
class DirectStatement final
{
public:
    static sqlite3* handle(const QSqlDatabase& db);

    DirectStatement(sqlite3* db, const QString& sql);
    ~DirectStatement();
    Q_DISABLE_COPY_MOVE(DirectStatement)

    bool prepared() const { return m_stmt != nullptr; }
    // Positions start at 0, as in Statement::run().
    void bind(int i, qint64 value);
    void bind(int i, const QString& text);
    void bindId(int i, Id id); // NULL for 0, as nullableId()
    void bindNull(int i);
    // Steps once: true while it yields a row (read with column()); false when done (finished()) or failed (error()).
    bool next();
    bool finished() const; // the last next() found no more rows
    qint64 column(int i) const;
    std::string_view text(int i) const; // UTF-8, valid until the next step
    // Runs to the end and resets for the next values; false on failure.
    bool run();
    void reset();
    QString error() const;

private:
    sqlite3* m_db = nullptr;
    sqlite3_stmt* m_stmt = nullptr;
    int m_rc = 0;
};

} // namespace tollgate
