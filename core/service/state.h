#pragma once

// Private to the service: the in-memory copy of the organisation.

#include "service/service.h"

#include <QSet>

namespace tollgate {

struct Service::State
{
    Organization org;
    std::unique_ptr<Calendar> calendar;
    QHash<Id, User> users;
    QHash<QString, Id> usersByEmail; // lower-cased email
    QHash<Id, Group> groups;
    QHash<Id, QSet<Id>> members; // group -> users
    QHash<Id, Project> projects;
    QHash<Id, ApiKey> keys;
    QHash<QByteArray, Id> keysByHash;
    QHash<Id, Provider> providers;
    QHash<QString, ModelInfo> models;
    QHash<Id, Customer> customers;
    QHash<QString, Id> customersByIdentifier;
};

// Changes the in-memory copy under the exclusive lock; the revision is counted once the change is visible.
class Service::StateWrite final
{
public:
    explicit StateWrite(const Service& service)
        : m_lock(service.m_stateLock)
        , m_revision(service.m_revision)
    {
    }
    ~StateWrite()
    {
        m_lock.unlock();
        m_revision.fetch_add(1, std::memory_order_release);
    }
    Q_DISABLE_COPY_MOVE(StateWrite)

private:
    std::unique_lock<std::shared_mutex> m_lock;
    std::atomic<quint64>& m_revision;
};

inline QString emailKey(const QString& email) { return email.trimmed().toLower(); }

inline QString userStatusName(UserStatus s)
{
    return s == UserStatus::Active ? QStringLiteral("active") : QStringLiteral("inactive");
}

// "<prefix>" + 40 random base-62 characters (238 bits).
QString makeSecret(QLatin1StringView prefix);
bool constantTimeEqual(const QByteArray& a, const QByteArray& b);

inline QString idText(Id id) { return QString::number(id); }

// Reads a nullable BIGINT column.
inline std::optional<qint64> optionalInt(const QVariant& v)
{
    if (v.isNull())
        return std::nullopt;
    return v.toLongLong();
}

} // namespace tollgate
