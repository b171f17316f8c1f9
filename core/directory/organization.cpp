// Directory: the organisation's own settings.

#include "core/audit/audit.h"
#include "core/directory/directory.h"
#include "core/domain/validation.h"
#include "core/org/orgstate.h"
#include "core/storage/codec.h"
#include "core/storage/database.h"
#include "core/storage/store.h"

#include <QCoreApplication>

namespace tollgate {

namespace {
} // namespace

Directory::Directory(const ModuleContext& context)
    : m_db(context.db)
    , m_clock(context.clock)
    , m_org(context.org)
    , m_audit(context.audit)
{
}

Status Directory::reload()
{
    return m_org.reload([this](Snapshot& s) {
        const Store store(m_db);
        Status loaded = store.loadOrganization(s);
        return loaded.ok() ? store.loadDirectory(s) : loaded;
    });
}

Organization Directory::organization() const { return m_org.current()->org; }

Result<Organization> Directory::updateOrganization(const Organization& changed, const QString& actor)
{
    auto edit = m_org.edit();
    const Snapshot& base = edit.base();
    const Organization before = base.org;
    if (changed.updatedAt && changed.updatedAt != before.updatedAt)
        return Error::conflict(QStringLiteral("updatedAt"), tr("the organization was changed by someone else; reload"));
    if (auto s = validate::name(changed.name, QStringLiteral("name")); !s.ok())
        return s.error();
    if (auto s = validate::timezone(changed.timezone, QStringLiteral("timezone")); !s.ok())
        return s.error();
    if (auto s = validate::moneyLimit(changed.monthlyBudget, QStringLiteral("monthlyBudget")); !s.ok())
        return s.error();
    if (auto s = validate::moneyLimit(changed.defaultUserMonthlyLimit, QStringLiteral("defaultUserMonthlyLimit"));
        !s.ok())
        return s.error();
    if (auto s = validate::policy(
            changed.defaultPolicy, QStringLiteral("defaultPolicy"),
            [&base](const QString& m) { return base.models.contains(m); }, false);
        !s.ok())
        return s.error();
    Organization after = changed;
    after.id = before.id;
    after.updatedAt = std::max(m_clock.now(), before.updatedAt + 1);
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = Store::updateOrganization(tx, after); !w.ok())
            return w;
        return m_audit.record(tx, actor, QStringLiteral("organization"), idText(after.id), QStringLiteral("update"),
                              codec::compact(codec::toJson(before)), codec::compact(codec::toJson(after)));
    });
    if (!s.ok())
        return s.error();
    if (after.timezone != before.timezone)
        edit->calendar = std::make_shared<const Calendar>(QTimeZone(after.timezone.toUtf8()));
    edit->org = after;
    edit.publish();
    if (after.timezone != before.timezone && m_zoneChanged) {
        edit.release();
        // Reports bucket days in the new zone: the rollups are recomputed.
        if (Status rebuilt = m_zoneChanged(); !rebuilt.ok())
            return rebuilt.error();
    }
    return after;
}

} // namespace tollgate
