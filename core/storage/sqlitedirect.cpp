#include "core/storage/sqlitedirect.h"

#include <QSqlDriver>
#include <QSqlQuery>

#ifdef TOLLGATE_SQLITE_DIRECT
#include <sqlite3.h>
#endif

namespace tollgate {

#ifdef TOLLGATE_SQLITE_DIRECT

sqlite3* DirectStatement::handle(const QSqlDatabase& db)
{
    const QVariant v = db.driver() ? db.driver()->handle() : QVariant();
    if (!v.isValid() || qstrcmp(v.typeName(), "sqlite3*") != 0)
        return nullptr;
    // A Qt that carries its own copy of SQLite would hand over a handle of another library: the versions tell.
    static const bool sameLibrary = [&db] {
        QSqlQuery q(db);
        return q.exec(QStringLiteral("SELECT sqlite_version()")) && q.next()
            && q.value(0).toString() == QLatin1String(sqlite3_libversion());
    }();
    return sameLibrary ? *static_cast<sqlite3* const*>(v.constData()) : nullptr;
}

DirectStatement::DirectStatement(sqlite3* db, const QString& sql)
    : m_db(db)
{
    const QByteArray utf8 = sql.toUtf8();
    m_rc = sqlite3_prepare_v2(db, utf8.constData(), int(utf8.size()), &m_stmt, nullptr);
    if (m_rc != SQLITE_OK)
        m_stmt = nullptr;
}

DirectStatement::~DirectStatement() { sqlite3_finalize(m_stmt); }

void DirectStatement::bind(int i, qint64 value) { sqlite3_bind_int64(m_stmt, i + 1, value); }

void DirectStatement::bind(int i, const QString& text)
{
    sqlite3_bind_text16(m_stmt, i + 1, text.utf16(), int(text.size() * 2), SQLITE_TRANSIENT);
}

void DirectStatement::bindId(int i, Id id) { id ? bind(i, qint64(id)) : bindNull(i); }

void DirectStatement::bindNull(int i) { sqlite3_bind_null(m_stmt, i + 1); }

bool DirectStatement::next()
{
    m_rc = m_stmt ? sqlite3_step(m_stmt) : SQLITE_MISUSE;
    return m_rc == SQLITE_ROW;
}

qint64 DirectStatement::column(int i) const { return sqlite3_column_int64(m_stmt, i); }

std::string_view DirectStatement::text(int i) const
{
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, i));
    return data ? std::string_view(data, size_t(sqlite3_column_bytes(m_stmt, i))) : std::string_view();
}

bool DirectStatement::finished() const { return m_rc == SQLITE_DONE; }

bool DirectStatement::run()
{
    while (next()) { }
    const bool ok = m_rc == SQLITE_DONE;
    reset();
    return ok;
}

void DirectStatement::reset()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

QString DirectStatement::error() const { return QString::fromUtf8(sqlite3_errmsg(m_db)); }

#else

sqlite3* DirectStatement::handle(const QSqlDatabase&) { return nullptr; }
DirectStatement::DirectStatement(sqlite3*, const QString&) { }
DirectStatement::~DirectStatement() = default;
void DirectStatement::bind(int, qint64) { }
void DirectStatement::bind(int, const QString&) { }
void DirectStatement::bindId(int, Id) { }
void DirectStatement::bindNull(int) { }
bool DirectStatement::next() { return false; }
qint64 DirectStatement::column(int) const { return 0; }
std::string_view DirectStatement::text(int) const { return {}; }
bool DirectStatement::run() { return false; }
bool DirectStatement::finished() const { return false; }
void DirectStatement::reset() { }
QString DirectStatement::error() const { return {}; }

#endif

} // namespace tollgate
