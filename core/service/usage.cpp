// Service: usage reports.

#include "service/service.h"
#include "service/state.h"

#include <QCoreApplication>

#include <algorithm>

namespace tollgate {

namespace {

QString tr(const char* s) { return QCoreApplication::translate("tollgate::Service", s); }

constexpr std::array kDimensions {UsageDimension::None,    UsageDimension::User,  UsageDimension::Group,
                                  UsageDimension::Key,     UsageDimension::Project, UsageDimension::Model,
                                  UsageDimension::Customer, UsageDimension::Status};

// The column a dimension groups by; Group is computed from users.
QString columnOf(UsageDimension d)
{
    switch (d) {
    case UsageDimension::User: return QStringLiteral("user_id");
    case UsageDimension::Group: return QStringLiteral("group_ids");
    case UsageDimension::Key: return QStringLiteral("key_id");
    case UsageDimension::Project: return QStringLiteral("project_id");
    case UsageDimension::Model: return QStringLiteral("model");
    case UsageDimension::Customer: return QStringLiteral("customer_id");
    case UsageDimension::Status: return QStringLiteral("status");
    case UsageDimension::None: break;
    }
    return {};
}

} // namespace

QString usageDimensionName(UsageDimension d)
{
    switch (d) {
    case UsageDimension::None: return QStringLiteral("none");
    case UsageDimension::User: return QStringLiteral("user");
    case UsageDimension::Group: return QStringLiteral("group");
    case UsageDimension::Key: return QStringLiteral("key");
    case UsageDimension::Project: return QStringLiteral("project");
    case UsageDimension::Model: return QStringLiteral("model");
    case UsageDimension::Customer: return QStringLiteral("customer");
    case UsageDimension::Status: return QStringLiteral("status");
    }
    return {};
}

std::optional<UsageDimension> usageDimensionFromName(const QString& name)
{
    for (UsageDimension d : kDimensions)
        if (usageDimensionName(d) == name)
            return d;
    return std::nullopt;
}

UsageTotals& UsageTotals::operator+=(const UsageTotals& o)
{
    requests += o.requests;
    denied += o.denied;
    inputTokens += o.inputTokens;
    cachedTokens += o.cachedTokens;
    outputTokens += o.outputTokens;
    cost += o.cost;
    return *this;
}

Result<UsageReport> Service::usageReport(const UsageQuery& q) const
{
    awaitRecordedUsage();
    if (q.to <= q.from)
        return Error::invalid(QStringLiteral("to"), tr("must be after from"));
    if (q.top < 0)
        return Error::invalid(QStringLiteral("top"), tr("must not be negative"));
    if (q.groupId && !group(q.groupId))
        return Error::notFound(QStringLiteral("groupId"), tr("group %1 does not exist").arg(q.groupId));

    // The buckets: calendar windows in the organisation's time zone, clipped to the range.
    QList<std::pair<Instant, Instant>> buckets;
    if (q.granularity == WindowKind::Lifetime) {
        buckets.append({q.from, q.to});
    } else {
        if (q.granularity != WindowKind::Day && q.granularity != WindowKind::Week && q.granularity != WindowKind::Month)
            return Error::invalid(QStringLiteral("granularity"), tr("must be day, week or month"));
        const QTimeZone zone = QTimeZone(organization().timezone.toUtf8());
        for (Instant t = q.from; t < q.to;) {
            const Window w = Calendar::compute(q.granularity, t, zone);
            buckets.append({std::max(w.start, q.from), std::min(w.end, q.to)});
            if (buckets.size() > kMaxUsageBuckets)
                return Error::invalid(QStringLiteral("granularity"),
                                      tr("the range holds more than %1 buckets; choose a coarser granularity or a "
                                         "shorter range")
                                          .arg(kMaxUsageBuckets));
            t = w.end;
        }
    }

    // Ranges from local midnight to local midnight read the rollups when the grouping and the filters are all one
    // dimension; others read the records themselves. A group's usage is what counted for it when it was made
    // (UsageRecord::groupIds), so both read the groups recorded then, not today's members.
    const QTimeZone zone = rollupZone();
    const auto midnight = [&](Instant t) { return Calendar::compute(WindowKind::Day, t, zone).start == t; };
    QSet<UsageDimension> dimensions;
    if (q.groupBy != UsageDimension::None)
        dimensions << q.groupBy;
    if (q.userId)
        dimensions << UsageDimension::User;
    if (q.groupId)
        dimensions << UsageDimension::Group;
    if (q.keyId)
        dimensions << UsageDimension::Key;
    if (q.projectId)
        dimensions << UsageDimension::Project;
    if (q.customerId)
        dimensions << UsageDimension::Customer;
    if (!q.model.isEmpty())
        dimensions << UsageDimension::Model;
    const bool rollups = midnight(q.from) && midnight(q.to) && dimensions.size() <= 1;

    UsageReport report;
    QList<QHash<QString, UsageTotals>> byBucket(buckets.size());
    // Adds what the query returned for one key (an id, model or status; NULL or 0 for none) to a bucket.
    const auto add = [&](qsizetype bucket, const QVariant& k, bool idColumn, const UsageTotals& t) {
        if (t.requests == 0)
            return;
        if (q.groupBy == UsageDimension::Group && idColumn) { // the records' group_ids: ",3,7,"
            for (Id g : groupIdsFromText(k.toString()))
                byBucket[bucket][QString::number(g)] += t;
        } else if (q.groupBy == UsageDimension::None) {
            byBucket[bucket][QString()] += t;
        } else {
            byBucket[bucket][k.isNull() || (idColumn && k.toLongLong() == 0) ? QString() : k.toString()] += t;
        }
    };
    const auto totalsAt = [](const QSqlQuery& r, int base) {
        UsageTotals t;
        t.requests = r.value(base).toLongLong();
        t.denied = r.value(base + 1).toLongLong();
        t.inputTokens = r.value(base + 2).toLongLong();
        t.cachedTokens = r.value(base + 3).toLongLong();
        t.outputTokens = r.value(base + 4).toLongLong();
        t.cost = r.value(base + 5).toLongLong();
        return t;
    };
    QSqlDatabase db = m_db->connection();
    if (rollups) {
        const UsageDimension dimension = dimensions.isEmpty() ? UsageDimension::None : *dimensions.cbegin();
        QString where = QStringLiteral("period = ? AND dimension = ? AND start >= ? AND start < ?");
        QVariantList args {int(RollupPeriod::Day), int(dimension), q.from, q.to};
        const auto filter = [&](Id id, const QString& value) {
            if (id || !value.isEmpty()) {
                where += QStringLiteral(" AND key = ?");
                args << (id ? QString::number(id) : value);
            }
        };
        filter(q.userId, {});
        filter(q.groupId, {});
        filter(q.keyId, {});
        filter(q.projectId, {});
        filter(q.customerId, {});
        filter(0, q.model);
        // The total over everything the filters match, also beyond the top N.
        const bool filtered = q.userId || q.groupId || q.keyId || q.projectId || q.customerId || !q.model.isEmpty();
        QVariantList totalArgs = args;
        if (!filtered)
            totalArgs[1] = int(UsageDimension::None);
        auto total = runSql(db,
                            QStringLiteral("SELECT SUM(requests), SUM(denied), SUM(input_tokens), SUM(cached_tokens),"
                                           " SUM(output_tokens), SUM(cost) FROM usage_rollups WHERE ")
                                + where,
                            totalArgs);
        if (!total.ok())
            return total.error();
        if (total->next())
            report.total = totalsAt(*total, 0);
        // Top N by one of the rollup's own keys: found by the database, so only their rows are read.
        if (q.top > 0 && q.groupBy != UsageDimension::None) {
            auto top = runSql(db,
                              QStringLiteral("SELECT key FROM usage_rollups WHERE %1 GROUP BY key"
                                             " ORDER BY SUM(cost) DESC, SUM(requests) DESC, key LIMIT ?")
                                  .arg(where),
                              args + QVariantList {q.top});
            if (!top.ok())
                return top.error();
            QStringList marks;
            while (top->next()) {
                marks << QStringLiteral("?");
                args << top->value(0).toString();
            }
            if (marks.isEmpty())
                return report;
            where += QStringLiteral(" AND key IN (%1)").arg(marks.join(u','));
        }
        auto r = runSql(db,
                        QStringLiteral("SELECT start, key, requests, denied, input_tokens, cached_tokens, output_tokens,"
                                       " cost FROM usage_rollups WHERE ")
                            + where,
                        args);
        if (!r.ok())
            return r.error();
        while (r->next()) {
            const Instant day = r->value(0).toLongLong();
            const auto next = std::upper_bound(buckets.cbegin(), buckets.cend(), day,
                                               [](Instant t, const auto& b) { return t < b.first; });
            if (next == buckets.cbegin())
                continue;
            const QString key = r->value(1).toString();
            add(next - buckets.cbegin() - 1, key.isEmpty() ? QVariant() : QVariant(key), false, totalsAt(*r, 2));
        }
    } else {
        QString where = QStringLiteral("ts >= ? AND ts < ?");
        QVariantList filterArgs;
        const auto filter = [&](const char* condition, const QVariant& value) {
            where += QStringLiteral(" AND ") + QLatin1String(condition);
            filterArgs << value;
        };
        if (q.userId)
            filter("user_id = ?", q.userId);
        if (q.keyId)
            filter("key_id = ?", q.keyId);
        if (q.projectId)
            filter("project_id = ?", q.projectId);
        if (q.customerId)
            filter("customer_id = ?", q.customerId);
        if (!q.model.isEmpty())
            filter("model = ?", q.model);
        if (q.groupId)
            filter("group_ids LIKE ?", QStringLiteral("%,%1,%").arg(q.groupId));
        const QString column = columnOf(q.groupBy);
        const QString sql =
            QStringLiteral("SELECT %1 COUNT(*), SUM(CASE WHEN status = 'denied' THEN 1 ELSE 0 END), SUM(input_tokens),"
                           " SUM(cached_tokens), SUM(output_tokens), SUM(cost) FROM usage_records WHERE %2%3")
                .arg(column.isEmpty() ? QString() : column + u',', where,
                     column.isEmpty() ? QString() : QStringLiteral(" GROUP BY ") + column);
        const bool idColumn = column.endsWith(QLatin1String("_id")) || column == QLatin1String("group_ids");
        const int base = column.isEmpty() ? 0 : 1;
        for (qsizetype b = 0; b < buckets.size(); ++b) {
            auto r = runSql(db, sql, QVariantList {buckets[b].first, buckets[b].second} + filterArgs);
            if (!r.ok())
                return r.error();
            while (r->next()) {
                const UsageTotals t = totalsAt(*r, base);
                if (t.requests > 0)
                    report.total += t;
                add(b, base ? r->value(0) : QVariant(), idColumn, t);
            }
        }
    }
    for (qsizetype b = 0; b < buckets.size(); ++b)
        for (auto it = byBucket[b].cbegin(); it != byBucket[b].cend(); ++it)
            report.rows.append({buckets[b].first, buckets[b].second, it.key(), QString(), it.value()});

    if (q.top > 0 && q.groupBy != UsageDimension::None) {
        QHash<QString, Money> costOf;
        QHash<QString, qint64> requestsOf;
        for (const UsageRow& row : std::as_const(report.rows)) {
            costOf[row.key] += row.totals.cost;
            requestsOf[row.key] += row.totals.requests;
        }
        QStringList keys = costOf.keys();
        std::sort(keys.begin(), keys.end(), [&](const QString& a, const QString& b) {
            if (costOf[a] != costOf[b])
                return costOf[a] > costOf[b];
            if (requestsOf[a] != requestsOf[b])
                return requestsOf[a] > requestsOf[b];
            return a < b;
        });
        const QSet<QString> kept(keys.cbegin(), keys.cbegin() + std::min<qsizetype>(q.top, keys.size()));
        report.rows.removeIf([&](const UsageRow& row) { return !kept.contains(row.key); });
    }

    // Labels, then a stable order: by bucket, then highest cost first.
    std::shared_lock lock(m_stateLock);
    for (UsageRow& row : report.rows) {
        const Id id = row.key.toLongLong();
        switch (q.groupBy) {
        case UsageDimension::User:
            row.label = m_state->users.contains(id) ? m_state->users[id].email : tr("(deleted user %1)").arg(row.key);
            if (row.key.isEmpty())
                row.label = tr("(no user)");
            break;
        case UsageDimension::Group:
            row.label = m_state->groups.value(id).name;
            break;
        case UsageDimension::Key:
            row.label = m_state->keys.contains(id) ? m_state->keys[id].name + QStringLiteral(" (")
                                                         + m_state->keys[id].prefix + u')'
                                                   : tr("(deleted key %1)").arg(row.key);
            break;
        case UsageDimension::Project:
            row.label = m_state->projects.contains(id) ? m_state->projects[id].name
                                                       : tr("(deleted project %1)").arg(row.key);
            break;
        case UsageDimension::Customer:
            row.label = m_state->customers.contains(id) ? m_state->customers[id].identifier
                                                        : tr("(no customer)");
            break;
        case UsageDimension::Model:
        case UsageDimension::Status: row.label = row.key; break;
        case UsageDimension::None: break;
        }
    }
    std::sort(report.rows.begin(), report.rows.end(), [](const UsageRow& a, const UsageRow& b) {
        if (a.bucketStart != b.bucketStart)
            return a.bucketStart < b.bucketStart;
        if (a.totals.cost != b.totals.cost)
            return a.totals.cost > b.totals.cost;
        return a.key < b.key;
    });
    return report;
}

Result<QHash<Id, Money>> Service::monthToDateSpend(UsageDimension by) const
{
    awaitRecordedUsage();
    if (by != UsageDimension::User && by != UsageDimension::Group && by != UsageDimension::Key
        && by != UsageDimension::Project && by != UsageDimension::Customer)
        return Error::invalid(QStringLiteral("by"), tr("must be user, group, key, project or customer"));
    // The month's own rollup rows: one per id, however many days and records.
    const Window month = Calendar::compute(WindowKind::Month, m_clock.now(), rollupZone());
    auto r = runSql(m_db->connection(),
                    QStringLiteral("SELECT key, cost FROM usage_rollups WHERE period = ? AND dimension = ?"
                                   " AND start = ? AND key <> ''"),
                    {int(RollupPeriod::Month), int(by), month.start});
    if (!r.ok())
        return r.error();
    QHash<Id, Money> spend;
    while (r->next())
        spend[r->value(0).toLongLong()] += r->value(1).toLongLong();
    return spend;
}

} // namespace tollgate
