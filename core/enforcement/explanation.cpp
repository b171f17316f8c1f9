#include "core/enforcement/explanation.h"

#include <QCoreApplication>
#include <QDateTime>

namespace tollgate {

namespace {

QString amountText(Metric metric, qint64 value)
{
    switch (metric) {
    case Metric::Cost: return money::formatDollars(value);
    case Metric::Tokens: return Enforcement::tr("%1 tokens").arg(value);
    case Metric::Requests: return Enforcement::tr("%1 requests").arg(value);
    }
    return {};
}

} // namespace

PolicySource effectiveSource(const LimitCheck& c)
{
    if (c.source.level != PolicySource::Level::None)
        return c.source;
    // Scope caps (key, project, group budget, organization budget, customer) come from the scope itself.
    PolicySource s;
    switch (c.scope) {
    case ScopeKind::Group: s.level = PolicySource::Level::Group; break;
    case ScopeKind::Organization: s.level = PolicySource::Level::Organization; break;
    case ScopeKind::User: s.level = PolicySource::Level::User; break;
    case ScopeKind::Key: s.level = PolicySource::Level::Key; break;
    case ScopeKind::Project: s.level = PolicySource::Level::Project; break;
    case ScopeKind::Customer: s.level = PolicySource::Level::Customer; break;
    }
    s.entityId = c.scopeId;
    s.entityName = c.scopeName;
    return s;
}

QString isoTime(Instant t)
{
    if (t >= kEndOfTime)
        return QStringLiteral("never");
    return QDateTime::fromMSecsSinceEpoch(t, Qt::UTC).toString(Qt::ISODate);
}

QString explanationSentence(const Decision& d, const Preflight& p)
{
    if (!p.allowed)
        return p.reason;
    const LimitCheck* b = d.bindingCheck();
    if (!b)
        return d.allowed ? Enforcement::tr("allowed: no limit applies") : Enforcement::tr("denied");
    const QString what =
        Enforcement::tr("%1 %2 limit of %3 for %4 %5 (set by %6)")
            .arg(windowKindName(b->window.kind), metricName(b->metric), amountText(b->metric, b->limit),
                 scopeKindName(b->scope), b->scopeName, effectiveSource(*b).describe());
    if (d.allowed)
        return Enforcement::tr("allowed; closest to its limit: %1, %2 left")
            .arg(what, amountText(b->metric, b->left()));
    return Enforcement::tr("%1 is reached: %2 used, %3 held by requests in flight, %4 needed; resets %5")
        .arg(what, amountText(b->metric, b->used), amountText(b->metric, b->reserved),
             amountText(b->metric, b->requested), isoTime(b->window.end));
}

} // namespace tollgate
