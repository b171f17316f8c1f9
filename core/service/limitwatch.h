#pragma once

#include "core/service/service.h"

#include <QSet>

namespace tollgate {

// How far a user, group or key is into its monthly cost limit: the user's effective monthly limit, a group's
// aggregate budget, a key's monthly cap.
struct LimitUse
{
    enum class Kind : quint8 { User, Group, Key };
    Kind kind = Kind::User;
    Id id = 0;
    QString name;
    Money spend = 0;
    Money limit = 0;
    Window window; // the month it counts in
    double fraction() const { return limit > 0 ? double(spend) / double(limit) : 1.0; }
};
QString limitKindLabel(LimitUse::Kind kind); // "user", "group", "key" (translated)

// Every monthly limit in force with this month's spend, highest use first; only those at `atLeast` or more.
Result<QList<LimitUse>> monthlyLimitUse(const Service& service, double atLeast = 0.0);

// Says once per window when a limit's use crosses 80 % and when it reaches 100 %, however often it is asked.
class LimitAlerts final
{
public:
    struct Alert
    {
        LimitUse use;
        int percent = 0; // 80 or 100
    };
    // The crossings not yet reported in their window.
    QList<Alert> check(const QList<LimitUse>& uses);

private:
    QSet<QString> m_reported;
};

} // namespace tollgate
