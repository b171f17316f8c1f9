// Admin API: usage reports (JSON and CSV), the explanation of a decision, and the audit log.

#include "core/catalog/pricing.h"
#include "gateway/admin/api.h"
#include "gateway/admin/entities.h"
#include "gateway/json/explanation.h"

#include <QCoreApplication>
#include <QJsonDocument>

namespace tollgate::admin {

namespace {

constexpr auto kViewer = AdminRole::Viewer;
constexpr qint64 kMaxId = std::numeric_limits<qint64>::max();

const QStringList kUsageParameters {
    QStringLiteral("from"),        QStringLiteral("to"),     QStringLiteral("group_by"),
    QStringLiteral("granularity"), QStringLiteral("top"),    QStringLiteral("user_id"),
    QStringLiteral("group_id"),    QStringLiteral("key_id"), QStringLiteral("project_id"),
    QStringLiteral("customer_id"), QStringLiteral("model"),  QStringLiteral("format")};

// Exact dollars with no float in between: "12.5", "0.000150".
QString plainDollars(Money nanos)
{
    const QString sign = nanos < 0 ? QStringLiteral("-") : QString();
    const quint64 v = nanos < 0 ? quint64(-nanos) : quint64(nanos);
    QString frac = QString::number(v % quint64(kNanosPerDollar)).rightJustified(9, u'0');
    while (frac.size() > 2 && frac.endsWith(u'0'))
        frac.chop(1);
    return sign + QString::number(v / quint64(kNanosPerDollar)) + u'.' + frac;
}

QString csvField(const QString& s)
{
    if (!s.contains(u',') && !s.contains(u'"') && !s.contains(u'\n') && !s.contains(u'\r'))
        return s;
    return u'"' + QString(s).replace(u'"', QStringLiteral("\"\"")) + u'"';
}

Result<Instant> timeQuery(const Call& c, const char* name, Instant fallback)
{
    if (!c.hasQuery(name))
        return fallback;
    return timeFrom(c.queryValue(name), organizationZone(c.service), QLatin1String(name));
}

Result<UsageQuery> usageQuery(const Call& c, Id keyId)
{
    UsageQuery q;
    const Window month = Calendar::compute(WindowKind::Month, c.service.clock().now(), organizationZone(c.service));
    auto from = timeQuery(c, "from", month.start);
    if (!from.ok())
        return from.error();
    auto to = timeQuery(c, "to", month.end);
    if (!to.ok())
        return to.error();
    q.from = *from;
    q.to = *to;
    if (q.to <= q.from)
        return Error::invalid(QStringLiteral("to"), tr("must be after from"));
    if (c.hasQuery("group_by")) {
        auto d = usageDimensionFromName(c.queryValue("group_by"));
        if (!d)
            return Error::invalid(QStringLiteral("group_by"),
                                  tr("must be user, group, key, project, model, customer, status or none"));
        q.groupBy = *d;
    }
    const QString granularity = c.hasQuery("granularity") ? c.queryValue("granularity") : QStringLiteral("total");
    if (granularity == u"day")
        q.granularity = WindowKind::Day;
    else if (granularity == u"week")
        q.granularity = WindowKind::Week;
    else if (granularity == u"month")
        q.granularity = WindowKind::Month;
    else if (granularity != u"total")
        return Error::invalid(QStringLiteral("granularity"), tr("must be day, week, month or total"));
    auto top = c.intQuery("top", 1, 10'000, 0);
    if (!top.ok())
        return top.error();
    q.top = int(*top);
    const struct
    {
        const char* name;
        Id* target;
    } ids[] = {{"user_id", &q.userId},
               {"group_id", &q.groupId},
               {"key_id", &q.keyId},
               {"project_id", &q.projectId},
               {"customer_id", &q.customerId}};
    for (const auto& id : ids) {
        auto v = c.intQuery(id.name, 1, kMaxId, 0);
        if (!v.ok())
            return v.error();
        *id.target = *v;
    }
    q.model = c.queryValue("model");
    if (keyId)
        q.keyId = keyId;
    return q;
}

Reply usageReply(Call& c, Id keyId)
{
    const QString format = c.hasQuery("format") ? c.queryValue("format") : QStringLiteral("json");
    if (format != u"json" && format != u"csv")
        return errorReply(Error::invalid(QStringLiteral("format"), tr("must be json or csv")));
    auto q = usageQuery(c, keyId);
    if (!q.ok())
        return errorReply(q.error());
    auto report = c.service.usage().usageReport(*q);
    if (!report.ok())
        return errorReply(atApiPath(report.error(), QStringLiteral("query")));
    const QString dimension = usageDimensionName(q->groupBy);

    if (format == u"csv") {
        QString csv = QStringLiteral("bucket_start,bucket_end,group_by,key,label,requests,denied,input_tokens,"
                                     "cached_tokens,output_tokens,cost_usd\r\n");
        for (const UsageRow& row : std::as_const(report->rows)) {
            const UsageTotals& t = row.totals;
            csv += QStringList {timeJson(row.bucketStart).toString(),
                                timeJson(row.bucketEnd).toString(),
                                dimension,
                                csvField(row.key),
                                csvField(row.label),
                                QString::number(t.requests),
                                QString::number(t.denied),
                                QString::number(t.inputTokens),
                                QString::number(t.cachedTokens),
                                QString::number(t.outputTokens),
                                plainDollars(t.cost)}
                       .join(u',')
                + QStringLiteral("\r\n");
        }
        Reply r;
        r.status = 200;
        r.headers.add("Content-Type", "text/csv; charset=utf-8");
        r.headers.add("Content-Disposition", "attachment; filename=\"tollgate-usage.csv\"");
        r.body = csv.toUtf8();
        return r;
    }

    QJsonArray data;
    for (const UsageRow& row : std::as_const(report->rows)) {
        QJsonObject o = usageTotalsJson(row.totals);
        o.insert(QStringLiteral("bucket_start"), timeJson(row.bucketStart));
        o.insert(QStringLiteral("bucket_end"), timeJson(row.bucketEnd));
        if (q->groupBy != UsageDimension::None) {
            o.insert(QStringLiteral("key"), row.key);
            o.insert(QStringLiteral("label"), row.label);
        }
        data.append(o);
    }
    return json(200,
                {{QStringLiteral("from"), timeJson(q->from)},
                 {QStringLiteral("to"), timeJson(q->to)},
                 {QStringLiteral("group_by"), dimension},
                 {QStringLiteral("granularity"),
                  c.hasQuery("granularity") ? c.queryValue("granularity") : QStringLiteral("total")},
                 {QStringLiteral("timezone"), c.service.directory().organization().timezone},
                 {QStringLiteral("total"), usageTotalsJson(report->total)},
                 {QStringLiteral("data"), data}});
}

// One row per request, with every token class it was billed for (core/catalog/pricing.h: usageClasses), as JSON or
// CSV: what a bill is checked against.
Reply usageRecords(Call& c)
{
    const QString format = c.hasQuery("format") ? c.queryValue("format") : QStringLiteral("json");
    if (format != u"json" && format != u"csv")
        return errorReply(Error::invalid(QStringLiteral("format"), tr("must be json or csv")));
    UsageLogFilter f;
    auto from = timeQuery(c, "from", 0);
    if (!from.ok())
        return errorReply(from.error());
    auto to = timeQuery(c, "to", 0);
    if (!to.ok())
        return errorReply(to.error());
    f.from = *from;
    f.to = *to;
    const struct
    {
        const char* name;
        Id* target;
    } ids[] = {{"user_id", &f.userId},         {"key_id", &f.keyId},     {"project_id", &f.projectId},
               {"customer_id", &f.customerId}, {"group_id", &f.groupId}, {"before_id", &f.beforeId}};
    for (const auto& id : ids) {
        auto v = c.intQuery(id.name, 1, kMaxId, 0);
        if (!v.ok())
            return errorReply(v.error());
        *id.target = *v;
    }
    auto limit = c.intQuery("limit", 1, 10'000, 200);
    if (!limit.ok())
        return errorReply(limit.error());
    f.limit = int(*limit);
    f.model = c.queryValue("model");
    if (c.hasQuery("status")) {
        f.status = usageStatusFromName(c.queryValue("status"));
        if (!f.status)
            return errorReply(Error::invalid(QStringLiteral("status"),
                                             tr("must be ok, denied, upstream_error, cancelled or incomplete")));
    }
    auto records = c.service.usage().usageLog(f);
    if (!records.ok())
        return errorReply(atApiPath(records.error(), QStringLiteral("query")));
    QStringList header {QStringLiteral("id"),
                        QStringLiteral("request_id"),
                        QStringLiteral("time"),
                        QStringLiteral("user_id"),
                        QStringLiteral("key_id"),
                        QStringLiteral("project_id"),
                        QStringLiteral("customer_id"),
                        QStringLiteral("model"),
                        QStringLiteral("status"),
                        QStringLiteral("streamed"),
                        QStringLiteral("estimated"),
                        QStringLiteral("input_tokens"),
                        QStringLiteral("cached_tokens"),
                        QStringLiteral("output_tokens")};
    for (const UsageClass& u : usageClasses())
        header << QString(u.key);
    header << QStringLiteral("long_context") << QStringLiteral("cost_usd");
    QString csv = header.join(u',') + QStringLiteral("\r\n");
    QJsonArray data;
    for (const UsageRecord& r : std::as_const(*records)) {
        const TokenUsage u = usageOfRecord(r);
        const bool longContext =
            QJsonDocument::fromJson(r.extras.toUtf8()).object().value(QLatin1String("long_context")).toBool();
        QJsonObject o {{QStringLiteral("id"), r.id},
                       {QStringLiteral("request_id"), r.requestId},
                       {QStringLiteral("time"), timeJson(r.time)},
                       {QStringLiteral("user_id"), r.userId ? QJsonValue(r.userId) : QJsonValue()},
                       {QStringLiteral("key_id"), r.keyId ? QJsonValue(r.keyId) : QJsonValue()},
                       {QStringLiteral("project_id"), r.projectId ? QJsonValue(r.projectId) : QJsonValue()},
                       {QStringLiteral("customer_id"), r.customerId ? QJsonValue(r.customerId) : QJsonValue()},
                       {QStringLiteral("model"), r.model},
                       {QStringLiteral("status"), usageStatusName(r.status)},
                       {QStringLiteral("streamed"), r.streamed},
                       {QStringLiteral("estimated"), r.estimated},
                       {QStringLiteral("input_tokens"), r.inputTokens},
                       {QStringLiteral("cached_tokens"), r.cachedTokens},
                       {QStringLiteral("output_tokens"), r.outputTokens}};
        QStringList row {QString::number(r.id),
                         csvField(r.requestId),
                         timeJson(r.time).toString(),
                         r.userId ? QString::number(r.userId) : QString(),
                         r.keyId ? QString::number(r.keyId) : QString(),
                         r.projectId ? QString::number(r.projectId) : QString(),
                         r.customerId ? QString::number(r.customerId) : QString(),
                         csvField(r.model),
                         usageStatusName(r.status),
                         r.streamed ? QStringLiteral("true") : QStringLiteral("false"),
                         r.estimated ? QStringLiteral("true") : QStringLiteral("false"),
                         QString::number(r.inputTokens),
                         QString::number(r.cachedTokens),
                         QString::number(r.outputTokens)};
        for (const UsageClass& k : usageClasses()) {
            o.insert(k.key, u.*k.field);
            row << QString::number(u.*k.field);
        }
        o.insert(QStringLiteral("long_context"), longContext);
        o.insert(QStringLiteral("cost_usd"), plainDollars(r.cost));
        row << (longContext ? QStringLiteral("true") : QStringLiteral("false")) << plainDollars(r.cost);
        data.append(o);
        csv += row.join(u',') + QStringLiteral("\r\n");
    }
    if (format == u"csv") {
        Reply r;
        r.status = 200;
        r.headers.add("Content-Type", "text/csv; charset=utf-8");
        r.headers.add("Content-Disposition", "attachment; filename=\"tollgate-requests.csv\"");
        r.body = csv.toUtf8();
        return r;
    }
    return json(200,
                {{QStringLiteral("data"), data},
                 {QStringLiteral("next_before_id"),
                  records->size() == f.limit ? QJsonValue(records->last().id) : QJsonValue(QJsonValue::Null)}});
}

Reply keyUsage(Call& c)
{
    const auto found = find(c, tr("API key"), [&c](Id id) { return c.service.access().key(id); });
    if (!found.ok())
        return errorReply(found.error());
    const Id id = found->id;
    return usageReply(c, id);
}

// What the gateway would decide now for a request: who (a user, a key, or a group key used by a member), which
// model, which customer, how large.
Reply explain(Call& c)
{
    auto userId = c.intQuery("user_id", 1, kMaxId, 0);
    auto keyId = c.intQuery("key_id", 1, kMaxId, 0);
    auto input = c.intQuery("input_tokens", 0, 100'000'000, 1000);
    for (const auto* r : {&userId, &keyId, &input})
        if (!r->ok())
            return errorReply(r->error());
    RequestScope scope;
    scope.model = c.queryValue("model");
    if (scope.model.isEmpty())
        return errorReply(Error::invalid(QStringLiteral("model"), tr("is required")));
    const auto model = c.service.catalog().model(scope.model);
    if (!model)
        return errorReply(
            Error::notFound(QStringLiteral("model"), tr("there is no model '%1' in the catalog").arg(scope.model)));
    auto maxTokens = c.intQuery("max_tokens", 1, 10'000'000, model->maxOutputTokens);
    if (!maxTokens.ok())
        return errorReply(maxTokens.error());
    if (!*userId && !*keyId)
        return errorReply(Error::invalid(QStringLiteral("user_id"), tr("give a user_id, a key_id, or both")));
    if (*keyId) {
        const auto key = c.service.access().key(*keyId);
        if (!key)
            return errorReply(Error::notFound(QStringLiteral("key_id"), tr("there is no API key %1").arg(*keyId)));
        scope.keyId = key->id;
        scope.userId = key->holderUserId;
    }
    if (*userId) {
        if (!c.service.directory().user(*userId))
            return errorReply(Error::notFound(QStringLiteral("user_id"), tr("there is no user %1").arg(*userId)));
        scope.userId = *userId;
    }
    if (c.hasQuery("customer")) {
        const auto customer = c.service.customers().customerByIdentifier(c.queryValue("customer"));
        if (!customer)
            return errorReply(Error::notFound(QStringLiteral("customer"),
                                              tr("there is no customer '%1'").arg(c.queryValue("customer"))));
        scope.customerId = customer->id;
    }
    AdmissionAmounts amounts;
    amounts.inputTokens = *input;
    amounts.inputCost = *input * reservedInputPrice(*model, *input);
    amounts.outputPrice = reservedOutputPrice(*model, *input);
    amounts.maxOutputTokens = std::min<qint64>(*maxTokens, model->maxOutputTokens);
    if (c.service.directory().organization().allowMaxTokensReduction)
        amounts.minOutputTokens = std::min<qint64>(16, amounts.maxOutputTokens);
    Preflight preflight;
    const Decision d = c.service.enforcement().explain(scope, amounts, &preflight);
    QJsonObject o = explanationJson(d, preflight, c.service.clock().now());
    o.insert(QStringLiteral("sentence"), explanationSentence(d, preflight));
    o.insert(
        QStringLiteral("request"),
        QJsonObject {{QStringLiteral("user_id"), scope.userId ? QJsonValue(scope.userId) : QJsonValue()},
                     {QStringLiteral("key_id"), scope.keyId ? QJsonValue(scope.keyId) : QJsonValue()},
                     {QStringLiteral("customer_id"), scope.customerId ? QJsonValue(scope.customerId) : QJsonValue()},
                     {QStringLiteral("model"), scope.model},
                     {QStringLiteral("input_tokens"), amounts.inputTokens},
                     {QStringLiteral("max_tokens"), amounts.maxOutputTokens},
                     {QStringLiteral("estimated_cost"), moneyJson(amounts.estimatedCost())}});
    if (scope.userId)
        o.insert(QStringLiteral("policy"), effectivePolicyJson(c.service.directory().effectivePolicy(scope.userId)));
    return json(200, o);
}

Reply audit(Call& c)
{
    AuditFilter filter;
    filter.actor = c.queryValue("actor");
    filter.entity = c.queryValue("entity");
    filter.entityId = c.queryValue("entity_id");
    auto from = timeQuery(c, "from", 0);
    auto to = timeQuery(c, "to", 0);
    for (const auto* r : {&from, &to})
        if (!r->ok())
            return errorReply(r->error());
    auto before = c.intQuery("before_id", 1, kMaxId, 0);
    auto limit = c.intQuery("limit", 1, 1000, 100);
    for (const auto* r : {&before, &limit})
        if (!r->ok())
            return errorReply(r->error());
    filter.from = *from;
    filter.to = *to;
    filter.beforeId = *before;
    filter.limit = int(*limit);
    const QList<AuditEntry> entries = c.service.audit().entries(filter);
    QJsonArray data;
    for (const AuditEntry& e : entries)
        data.append(auditJson(e));
    QJsonObject o {{QStringLiteral("data"), data}};
    // The next page: entries older than the last one here.
    o.insert(QStringLiteral("next_before_id"),
             entries.size() == filter.limit ? QJsonValue(entries.last().id) : QJsonValue(QJsonValue::Null));
    return json(200, o);
}

} // namespace

void addReportRoutes(Routes& r)
{
    r.add(
        "GET", "/usage", kViewer, [](Call& c) { return usageReply(c, 0); }, kUsageParameters);
    r.add("GET", "/usage/records", kViewer, usageRecords,
          {QStringLiteral("from"), QStringLiteral("to"), QStringLiteral("user_id"), QStringLiteral("key_id"),
           QStringLiteral("project_id"), QStringLiteral("customer_id"), QStringLiteral("model"),
           QStringLiteral("status"), QStringLiteral("before_id"), QStringLiteral("limit"), QStringLiteral("format")});
    r.add("GET", "/keys/{}/usage", kViewer, keyUsage, kUsageParameters);
    r.add("GET", "/explain", kViewer, explain,
          {QStringLiteral("user_id"), QStringLiteral("key_id"), QStringLiteral("model"), QStringLiteral("customer"),
           QStringLiteral("input_tokens"), QStringLiteral("max_tokens")});
    r.add("GET", "/audit", kViewer, audit,
          {QStringLiteral("actor"), QStringLiteral("entity"), QStringLiteral("entity_id"), QStringLiteral("from"),
           QStringLiteral("to"), QStringLiteral("before_id"), QStringLiteral("limit")});
}

} // namespace tollgate::admin
