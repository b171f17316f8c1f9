#include "core/service/limitwatch.h"

#include <QCoreApplication>

namespace tollgate {

QString limitKindLabel(LimitUse::Kind kind)
{
    switch (kind) {
    case LimitUse::Kind::User: return QCoreApplication::translate("tollgate::LimitUse", "user");
    case LimitUse::Kind::Group: return QCoreApplication::translate("tollgate::LimitUse", "group");
    case LimitUse::Kind::Key: return QCoreApplication::translate("tollgate::LimitUse", "key");
    }
    return {};
}

Result<QList<LimitUse>> monthlyLimitUse(const Service& s, double atLeast)
{
    const Window month = Calendar::compute(WindowKind::Month, s.clock().now(),
                                           QTimeZone(s.directory().organization().timezone.toUtf8()));
    QList<LimitUse> out;
    const auto add = [&](LimitUse::Kind kind, Id id, const QString& name, Money spend, Money limit) {
        LimitUse u {kind, id, name, spend, limit, month};
        if (u.fraction() >= atLeast)
            out.append(u);
    };
    auto users = s.usage().monthToDateSpend(UsageDimension::User);
    if (!users.ok())
        return users.error();
    const QHash<Id, qint64> userLimits = s.directory().effectiveLimits(Dimension::MonthlyCost);
    for (auto it = userLimits.cbegin(); it != userLimits.cend(); ++it) {
        const Money spend = users->value(it.key());
        if (LimitUse {LimitUse::Kind::User, it.key(), {}, spend, it.value(), month}.fraction() >= atLeast)
            add(LimitUse::Kind::User, it.key(), s.directory().user(it.key()).value_or(User {}).email, spend,
                it.value());
    }
    auto groups = s.usage().monthToDateSpend(UsageDimension::Group);
    if (!groups.ok())
        return groups.error();
    for (const Group& g : s.directory().groups())
        if (g.monthlyBudget)
            add(LimitUse::Kind::Group, g.id, g.name, groups->value(g.id), *g.monthlyBudget);
    auto keys = s.usage().monthToDateSpend(UsageDimension::Key);
    if (!keys.ok())
        return keys.error();
    for (const ApiKey& k : s.access().keys())
        if (k.monthlyCap && k.status == KeyStatus::Active)
            add(LimitUse::Kind::Key, k.id, k.name, keys->value(k.id), *k.monthlyCap);
    std::sort(out.begin(), out.end(), [](const LimitUse& a, const LimitUse& b) { return a.fraction() > b.fraction(); });
    return out;
}

QList<LimitAlerts::Alert> LimitAlerts::check(const QList<LimitUse>& uses)
{
    QList<Alert> alerts;
    for (const LimitUse& u : uses) {
        const double f = u.fraction();
        const int percent = f >= 1.0 ? 100 : f >= 0.8 ? 80 : 0;
        if (!percent)
            continue;
        const QString key = QStringLiteral("%1:%2:%3:%4").arg(int(u.kind)).arg(u.id).arg(u.window.start).arg(percent);
        if (m_reported.contains(key))
            continue;
        m_reported.insert(key);
        // Reaching 100 % first also counts as having passed 80 %.
        if (percent == 100)
            m_reported.insert(QStringLiteral("%1:%2:%3:80").arg(int(u.kind)).arg(u.id).arg(u.window.start));
        alerts.append({u, percent});
    }
    return alerts;
}

} // namespace tollgate
