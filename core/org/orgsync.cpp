#include "core/org/orgsync.h"

#include "core/storage/database.h"

#include <QLoggingCategory>
#include <QSqlDriver>
#include <QTimer>

Q_LOGGING_CATEGORY(lcOrgSync, "tollgate.core.orgsync", QtInfoMsg)

namespace tollgate {

namespace {
const QString kChannel = QStringLiteral("tollgate_org");
constexpr int kPollMs = 1'000;
constexpr int kGatherMs = 5; // notifications that arrive together are one reload
} // namespace

QString OrgSync::partName(Part part)
{
    switch (part) {
    case Part::Directory: return QStringLiteral("directory");
    case Part::Access: return QStringLiteral("access");
    case Part::Catalog: return QStringLiteral("catalog");
    case Part::Customers: return QStringLiteral("customers");
    case Part::All: return QStringLiteral("all");
    }
    return {};
}

OrgSync::Part OrgSync::partOf(const QString& entity)
{
    if (entity == u"user" || entity == u"group" || entity == u"group_members" || entity == u"user_policy")
        return Part::Directory;
    if (entity == u"project" || entity == u"api_key" || entity == u"admin_key")
        return Part::Access;
    if (entity == u"provider" || entity == u"model" || entity == u"model_alias" || entity == u"catalog")
        return Part::Catalog;
    if (entity == u"customer")
        return Part::Customers;
    return Part::All; // the organisation: its time zone and budget, or everything cleared
}

Status OrgSync::markChanged(QSqlDatabase& tx, const Dialect& dialect, Part part)
{
    auto r = part == Part::All
        ? runSql(tx, QStringLiteral("UPDATE org_revisions SET revision = revision + 1"))
        : runSql(tx, QStringLiteral("UPDATE org_revisions SET revision = revision + 1 WHERE part = ?"),
                 {partName(part)});
    if (!r.ok())
        return r.error();
    if (dialect.kind != Dialect::Kind::PostgreSQL)
        return {};
    auto n = runSql(tx, QStringLiteral("SELECT pg_notify(?, ?)"), {kChannel, partName(part)});
    return n.ok() ? Status {} : Status(n.error());
}

OrgSync::OrgSync(const Database& db, Reload reload)
    : m_db(db)
    , m_reload(std::move(reload))
{
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT part, revision FROM org_revisions"));
    if (r.ok())
        while (r->next())
            m_known.insert(r->value(0).toString(), r->value(1).toLongLong());
}

OrgSync::~OrgSync()
{
    quit();
    wait();
}

bool OrgSync::check()
{
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT part, revision FROM org_revisions"));
    if (!r.ok()) {
        qCWarning(lcOrgSync).noquote() << "cannot read the organisation's revisions:" << r.error().message;
        return false;
    }
    QHash<QString, qint64> now;
    while (r->next())
        now.insert(r->value(0).toString(), r->value(1).toLongLong());
    // The directory first: the other parts are read for its organisation.
    for (Part part : {Part::Directory, Part::Access, Part::Catalog, Part::Customers}) {
        const QString name = partName(part);
        if (!now.contains(name) || now.value(name) == m_known.value(name, -1))
            continue;
        if (Status s = m_reload(part); !s.ok()) {
            qCWarning(lcOrgSync).noquote()
                << "cannot reload the" << name << "after a change elsewhere:" << s.error().message;
            continue; // tried again at the next check
        }
        m_known.insert(name, now.value(name));
        m_reloads.fetch_add(1, std::memory_order_relaxed);
        qCDebug(lcOrgSync).noquote() << "reloaded the" << name;
    }
    return true;
}

void OrgSync::run()
{
    QTimer gather;
    gather.setSingleShot(true);
    gather.setInterval(kGatherMs);
    QTimer poll;
    poll.setInterval(kPollMs);
    bool listening = false;
    auto listen = [&] {
        if (listening || m_db.dialect().kind != Dialect::Kind::PostgreSQL)
            return;
        QSqlDatabase connection = m_db.connection();
        QSqlDriver* driver = connection.driver();
        if (!driver || !driver->subscribeToNotification(kChannel)) {
            qCWarning(lcOrgSync) << "cannot listen for changes made elsewhere; reading them every" << kPollMs << "ms";
            return;
        }
        QObject::connect(driver, &QSqlDriver::notification, &gather, [&gather] {
            if (!gather.isActive())
                gather.start();
        });
        listening = true;
    };
    QObject::connect(&gather, &QTimer::timeout, &gather, [this] { check(); });
    QObject::connect(&poll, &QTimer::timeout, &poll, [&] {
        if (check()) {
            listen();
            return;
        }
        // The connection broke: open a new one (and listen on it) at the next poll.
        listening = false;
        m_db.closeThreadConnection();
    });
    listen();
    poll.start();
    check(); // what changed between the first load and now
    exec();
    m_db.closeThreadConnection();
}

} // namespace tollgate
