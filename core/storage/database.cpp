#include "core/storage/database.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QScopeGuard>
#include <QSqlError>
#include <QThread>
#include <QUrl>
#include <QUrlQuery>

#include <atomic>

Q_LOGGING_CATEGORY(lcStorage, "tollgate.core.storage", QtInfoMsg)

namespace tollgate {

namespace {
thread_local int t_transactions = 0; // Database::transaction() under way on this thread
} // namespace

namespace {

std::atomic<int> g_databaseSerial {0};

} // namespace

Result<DatabaseLocation> DatabaseLocation::parse(const QString& text)
{
    DatabaseLocation loc;
    const QString t = text.trimmed();
    if (t.isEmpty())
        return Error::invalid(QStringLiteral("db"),
                              Database::tr("is empty; give a SQLite file path or a postgresql:// URL"));
    if (t.startsWith(QLatin1String("postgres://")) || t.startsWith(QLatin1String("postgresql://"))) {
        const QUrl url(t, QUrl::StrictMode);
        if (!url.isValid())
            return Error::invalid(QStringLiteral("db"), Database::tr("is not a valid URL: %1").arg(url.errorString()));
        loc.kind = Dialect::Kind::PostgreSQL;
        loc.host = url.host();
        loc.port = url.port(5432);
        loc.user = url.userName();
        loc.password = url.password();
        loc.database = url.path().mid(1);
        const QUrlQuery query(url);
        // libpq's "host" parameter may name a Unix socket directory.
        if (query.hasQueryItem(QStringLiteral("host")))
            loc.host = query.queryItemValue(QStringLiteral("host"), QUrl::FullyDecoded);
        if (loc.database.isEmpty())
            return Error::invalid(QStringLiteral("db"),
                                  Database::tr("names no database (postgresql://user@host:port/DATABASE)"));
        return loc;
    }
    if (t.contains(QLatin1String("://")))
        return Error::invalid(QStringLiteral("db"),
                              Database::tr("uses an unknown scheme; give a SQLite file path or a postgresql:// URL"));
    loc.kind = Dialect::Kind::SQLite;
    loc.path = t;
    return loc;
}

QString DatabaseLocation::fileStem() const
{
    const QString id = QStringLiteral("%1@%2:%3/%4").arg(user, host).arg(port).arg(database);
    QString safe;
    for (QChar c : id)
        safe += c.isLetterOrNumber() || c == u'.' || c == u'-' ? c : QChar(u'_');
    const QByteArray hash = QCryptographicHash::hash(id.toUtf8(), QCryptographicHash::Sha1).toHex().left(8);
    return safe.left(80) + u'-' + QString::fromLatin1(hash);
}

QString DatabaseLocation::displayName() const
{
    if (kind == Dialect::Kind::SQLite)
        return QDir::toNativeSeparators(path);
    QString s = QStringLiteral("postgresql://");
    if (!user.isEmpty())
        s += user + u'@';
    s += host + u':' + QString::number(port) + u'/' + database;
    return s;
}

Database::Database(const DatabaseLocation& location, Dialect dialect, QString baseName)
    : m_location(location)
    , m_dialect(dialect)
    , m_baseName(std::move(baseName))
{
}

Database::~Database()
{
    std::lock_guard lock(m_connectionsLock);
    for (const QString& name : std::as_const(m_connectionNames)) {
        {
            QSqlDatabase db = QSqlDatabase::database(name, false);
            if (db.isOpen())
                db.close();
        }
        QSqlDatabase::removeDatabase(name);
    }
}

void makePrivate(const QString& path, bool folder)
{
    QFile::setPermissions(
        path, folder ? QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner : QFile::ReadOwner | QFile::WriteOwner);
}

Result<std::unique_ptr<Database>> Database::open(const DatabaseLocation& location)
{
    const QString driver = location.kind == Dialect::Kind::SQLite ? QStringLiteral("QSQLITE") : QStringLiteral("QPSQL");
    if (!QSqlDatabase::isDriverAvailable(driver))
        return Error::storage(Database::tr("the Qt SQL driver %1 is not installed").arg(driver));
    if (location.kind == Dialect::Kind::SQLite && location.path != QLatin1String(":memory:")) {
        // Private whatever the umask: a folder made for the database is its owner's only (0700), and the database
        // is created 0600 before SQLite opens it, which gives its WAL and shared-memory files the same mode.
        const QFileInfo info(location.path);
        const bool newFolder = !QFileInfo::exists(info.absolutePath());
        if (!QDir().mkpath(info.absolutePath()))
            return Error::storage(Database::tr("cannot create the folder %1").arg(info.absolutePath()));
        if (newFolder)
            makePrivate(info.absolutePath(), true);
        if (!info.exists()) {
            QFile created(location.path);
            if (!created.open(QIODevice::WriteOnly | QIODevice::NewOnly) && !info.exists())
                return Error::storage(
                    Database::tr("cannot create the database %1: %2").arg(location.path, created.errorString()));
        }
        for (const QString& suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
            if (QFileInfo::exists(location.path + suffix))
                makePrivate(location.path + suffix, false);
    }
    const QString base = QStringLiteral("tollgate-%1").arg(g_databaseSerial.fetch_add(1));
    std::unique_ptr<Database> db(new Database(location, Dialect {location.kind}, base));
    // Open the first connection now so that a bad location is reported at once.
    auto first = db->openConnection(base + QStringLiteral("-main"));
    if (!first.ok())
        return first.error();
    return db;
}

Result<QSqlDatabase> Database::openConnection(const QString& name) const
{
    QSqlDatabase db;
    if (m_location.kind == Dialect::Kind::SQLite) {
        db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(m_location.path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
    } else {
        db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        db.setHostName(m_location.host);
        db.setPort(m_location.port);
        db.setUserName(m_location.user);
        db.setPassword(m_location.password);
        db.setDatabaseName(m_location.database);
    }
    {
        std::lock_guard lock(m_connectionsLock);
        m_connectionNames.append(name);
    }
    if (!db.open())
        return Error::storage(Database::tr("cannot open %1: %2").arg(m_location.displayName(), db.lastError().text()));
    if (m_location.kind == Dialect::Kind::SQLite) {
        // WAL: readers never block the writer. synchronous=NORMAL in WAL mode keeps every committed transaction
        // across a killed process (only an OS crash or power loss can lose the last commits). Reads of large
        // tables go through a memory map (shared with every connection through the page cache); a connection keeps
        // up to 32 MiB of pages, so a batch of usage rows spread over a large rollup table does not reread them.
        for (const char* pragma :
             {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
              "PRAGMA temp_store=MEMORY", "PRAGMA mmap_size=1073741824", "PRAGMA cache_size=-32768"}) {
            auto r = runSql(db, QString::fromLatin1(pragma));
            if (!r.ok())
                return r.error();
        }
    }
    return db;
}

namespace {
// A number of the calling thread's own: unlike a thread id, never reused after the thread ends, so a new thread
// never finds the connection of a dead one under its name.
quint64 threadSerial()
{
    static std::atomic<quint64> next {1};
    thread_local const quint64 serial = next.fetch_add(1);
    return serial;
}
} // namespace

QSqlDatabase Database::connection() const
{
    const QString name = m_baseName + QStringLiteral("-t") + QString::number(threadSerial());
    if (QSqlDatabase::contains(name))
        return QSqlDatabase::database(name, false);
    auto r = openConnection(name);
    if (!r.ok()) {
        qCWarning(lcStorage) << r.error().toString();
        return QSqlDatabase::database(name, false);
    }
    return r.value();
}

void Database::closeThreadConnection() const
{
    const QString name = m_baseName + QStringLiteral("-t") + QString::number(threadSerial());
    {
        std::lock_guard lock(m_connectionsLock);
        if (!m_connectionNames.removeOne(name))
            return;
    }
    {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

Status Database::transaction(const std::function<Status(QSqlDatabase&)>& fn) const
{
    QSqlDatabase db = connection();
    if (!db.transaction()) {
        // A server that restarted (or a connection cut) leaves the connection broken for good: open it again.
        const QString why = db.lastError().text();
        if (m_dialect.kind != Dialect::Kind::PostgreSQL)
            return Error::storage(Database::tr("cannot begin a transaction: %1").arg(why));
        db.close();
        if (!db.open() || !db.transaction())
            return Error::storage(Database::tr("cannot begin a transaction: %1").arg(db.lastError().text()));
        qCInfo(lcStorage).noquote() << "connected to" << m_location.displayName() << "again after:" << why.trimmed();
    }
    ++t_transactions;
    const auto done = qScopeGuard([] { --t_transactions; });
    Status s = fn(db);
    if (!s.ok()) {
        db.rollback();
        return s;
    }
    if (!db.commit()) {
        const QString why = db.lastError().text();
        db.rollback();
        return Error::storage(Database::tr("cannot commit: %1").arg(why));
    }
    return {};
}

namespace {

// A PostgreSQL connection whose server went away (restarted, or the network cut) fails every statement from then on:
// it is opened again. Returns whether the statement may simply run again: not inside a transaction, which the lost
// connection took with it (the transaction fails, and its caller tries again).
bool reopenIfLost(const QSqlDatabase& db, const QString& why)
{
    if (db.driverName() != u"QPSQL" || !why.contains(QLatin1String("connection"), Qt::CaseInsensitive))
        return false;
    QSqlDatabase handle = db;
    handle.close();
    return handle.open() && t_transactions == 0;
}

Result<QSqlQuery> runOnce(const QSqlDatabase& db, const QString& sql, const QVariantList& args, bool* lost);
} // namespace

Result<QSqlQuery> runSql(const QSqlDatabase& db, const QString& sql, const QVariantList& args)
{
    bool again = false;
    auto r = runOnce(db, sql, args, &again);
    if (again)
        return runOnce(db, sql, args, nullptr);
    return r;
}

namespace {
Result<QSqlQuery> runOnce(const QSqlDatabase& db, const QString& sql, const QVariantList& args, bool* lost)
{
    auto failed = [&](const QString& what, const QString& why) {
        if (lost)
            *lost = reopenIfLost(db, why);
        return Error::storage(what.arg(sql.left(80), why));
    };
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (args.isEmpty()) { // nothing to bind: run as is (PostgreSQL cannot prepare DDL)
        if (!q.exec(sql))
            return failed(Database::tr("SQL failed (%1): %2"), q.lastError().text());
        return q;
    }
    if (!q.prepare(sql))
        return failed(Database::tr("cannot prepare SQL (%1): %2"), q.lastError().text());
    for (const QVariant& a : args)
        q.addBindValue(a);
    if (!q.exec())
        return failed(Database::tr("SQL failed (%1): %2"), q.lastError().text());
    return q;
}
} // namespace

Statement::Statement(const QSqlDatabase& db, QString sql)
    : m_query(db)
    , m_sql(std::move(sql))
{
    m_query.setForwardOnly(true);
    m_prepared = m_query.prepare(m_sql);
}

Result<QSqlQuery*> Statement::run(std::initializer_list<QVariant> args)
{
    if (!m_prepared)
        return Error::storage(
            Database::tr("cannot prepare SQL (%1): %2").arg(m_sql.left(80), m_query.lastError().text()));
    int i = 0;
    for (const QVariant& a : args)
        m_query.bindValue(i++, a);
    if (!m_query.exec())
        return Error::storage(Database::tr("SQL failed (%1): %2").arg(m_sql.left(80), m_query.lastError().text()));
    return &m_query;
}

Result<QSqlQuery> runSql(const QSqlDatabase& db, const QString& sql, std::initializer_list<QVariant> args)
{
    return runSql(db, sql, QVariantList(args));
}

} // namespace tollgate
