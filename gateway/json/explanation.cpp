#include "gateway/json/explanation.h"

#include <QJsonArray>

namespace tollgate::json {

namespace {

QJsonValue amount(Metric metric, qint64 value)
{
    if (metric == Metric::Cost)
        return money::formatDollars(value);
    return value;
}

QJsonObject sourceJson(const PolicySource& s)
{
    QJsonObject o {{QStringLiteral("level"), policyLevelName(s.level)}, {QStringLiteral("description"), s.describe()}};
    if (s.entityId)
        o.insert(QStringLiteral("id"), s.entityId);
    if (!s.entityName.isEmpty())
        o.insert(QStringLiteral("name"), s.entityName);
    if (s.viaGroupId) {
        o.insert(QStringLiteral("via_group_id"), s.viaGroupId);
        o.insert(QStringLiteral("via_group_name"), s.viaGroupName);
    }
    return o;
}

} // namespace

QJsonObject limitCheckJson(const LimitCheck& c)
{
    QJsonObject o {{QStringLiteral("scope"), scopeKindName(c.scope)},
                   {QStringLiteral("scope_id"), c.scopeId},
                   {QStringLiteral("scope_name"), c.scopeName},
                   {QStringLiteral("setting"), c.setting},
                   {QStringLiteral("metric"), metricName(c.metric)},
                   {QStringLiteral("window"), windowKindName(c.window.kind)},
                   {QStringLiteral("window_start"), isoTime(c.window.start)},
                   {QStringLiteral("resets_at"), isoTime(c.window.end)},
                   {QStringLiteral("limit"), amount(c.metric, c.limit)},
                   {QStringLiteral("used"), amount(c.metric, c.used)},
                   {QStringLiteral("reserved"), amount(c.metric, c.reserved)},
                   {QStringLiteral("requested"), amount(c.metric, c.requested)},
                   {QStringLiteral("left"), amount(c.metric, c.left())},
                   {QStringLiteral("enforced"), c.enforce},
                   {QStringLiteral("passed"), c.passed},
                   {QStringLiteral("source"), sourceJson(effectiveSource(c))}};
    if (c.metric == Metric::Cost) {
        o.insert(QStringLiteral("limit_nanos"), c.limit);
        o.insert(QStringLiteral("used_nanos"), c.used);
    }
    return o;
}

QJsonObject explanationJson(const Decision& d, const Preflight& p, Instant now)
{
    QJsonObject o;
    if (!p.allowed) {
        o.insert(QStringLiteral("decision"), QStringLiteral("denied"));
        o.insert(QStringLiteral("code"), p.code);
        o.insert(QStringLiteral("reason"), p.reason);
        if (p.source.level != PolicySource::Level::None)
            o.insert(QStringLiteral("source"), sourceJson(p.source));
        return o;
    }
    o.insert(QStringLiteral("decision"), d.allowed ? QStringLiteral("allowed") : QStringLiteral("denied"));
    if (!d.allowed) {
        o.insert(QStringLiteral("code"), QStringLiteral("limit_reached"));
        o.insert(QStringLiteral("reason"), explanationSentence(d, p));
        o.insert(QStringLiteral("retry_after_seconds"), d.retryAfterSeconds);
    }
    if (d.reduced)
        o.insert(QStringLiteral("max_tokens_lowered_to"), d.grantedOutputTokens);
    if (const LimitCheck* b = d.bindingCheck())
        o.insert(QStringLiteral("binding"), limitCheckJson(*b));
    QJsonArray all;
    for (const LimitCheck& c : d.checks)
        all.append(limitCheckJson(c));
    o.insert(QStringLiteral("limits"), all);
    o.insert(QStringLiteral("evaluated_at"), isoTime(now));
    return o;
}

} // namespace tollgate::json
