#pragma once

#include "core/domain/domain.h"
#include "core/domain/result.h"

#include <QCoreApplication>
#include <QFile>
#include <QLockFile>

#include <memory>

namespace tollgate {

class Service;
struct DatabaseLocation;

// An append-only file of usage records, one line each. A record is durable once append() returns: it survives a crash
// of the process (like a SQLite commit with synchronous=NORMAL, not a power cut), long before the database has it.
// The usage writer applies the records to the database in batches and notes how far it got in the same transaction
// (usage_journal), so a restart replays exactly the records the database lacks.
//
// A journal belongs to one running Tollgate at a time (a lock file next to it); a second instance on the same
// database takes the next free one ("<base>.2", ...). Opening the database recovers every journal no running
// Tollgate holds.
class UsageJournal final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::UsageJournal)

public:
    // "<sqlite file>.usage-journal"; for PostgreSQL a file in the data folder named after the server and database;
    // empty for an in-memory database (no journal).
    static QString basePath(const DatabaseLocation& location);

    // Replays every journal of `base` that no running Tollgate holds into the database and empties it. Returns how
    // many records were replayed.
    static Result<qint64> recover(Service& service, const QString& base);
    // Recovers, then holds the first journal that no other Tollgate holds.
    static Result<std::unique_ptr<UsageJournal>> open(Service& service, const QString& base);

    ~UsageJournal();
    Q_DISABLE_COPY_MOVE(UsageJournal)

    // Appends one record; returns the journal's size after it. Not thread-safe: the writer serializes appends.
    Result<qint64> append(const UsageRecord& record);
    // The name the database knows the journal by (fixed when the file is created).
    const QString& name() const { return m_name; }
    QString path() const { return m_file.fileName(); }
    qint64 size() const { return m_size; }
    // Once the database holds every record: empties the file and starts it over under a new name.
    Status reset(Service& service);

    static QByteArray encode(const UsageRecord& record);
    static std::optional<UsageRecord> decode(QByteArrayView line);

private:
    UsageJournal(std::unique_ptr<QLockFile> lock, QString name);
    Status startFile(); // writes a new header: a new name
    enum class AfterReplay { Keep, Empty, Remove };
    static Result<qint64> replay(Service& service, const QString& path, AfterReplay after,
                                 std::unique_ptr<UsageJournal>* kept = nullptr);

    std::unique_ptr<QLockFile> m_lock;
    QFile m_file;
    QString m_name;
    qint64 m_size = 0;
};

} // namespace tollgate
