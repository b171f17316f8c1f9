// Usage: usage reports.

#include "core/org/orgstate.h"
#include "core/storage/database.h"
#include "core/usage/usage.h"

#include <QCoreApplication>

#include <algorithm>
#include <charconv>

namespace tollgate {

namespace {

constexpr std::array kDimensions {UsageDimension::None,     UsageDimension::User,    UsageDimension::Group,
                                  UsageDimension::Key,      UsageDimension::Project, UsageDimension::Model,
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

Result<UsageReport> Usage::usageReport(const UsageQuery& q) const
{
    awaitRecordedUsage();
    if (q.to <= q.from)
        return Error::invalid(QStringLiteral("to"), tr("must be after from"));
    if (q.top < 0)
        return Error::invalid(QStringLiteral("top"), tr("must not be negative"));
    if (q.groupId && !m_org.current()->group(q.groupId))
        return Error::notFound(QStringLiteral("groupId"), tr("group %1 does not exist").arg(q.groupId));

    // The buckets: calendar windows in the organisation's time zone, clipped to the range.
    QList<std::pair<Instant, Instant>> buckets;
    if (q.granularity == WindowKind::Lifetime) {
        buckets.append({q.from, q.to});
    } else {
        if (q.granularity != WindowKind::Day && q.granularity != WindowKind::Week && q.granularity != WindowKind::Month)
            return Error::invalid(QStringLiteral("granularity"), tr("must be day, week or month"));
        const QTimeZone zone = QTimeZone(m_org.current()->org.timezone.toUtf8());
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
    QSqlDatabase db = m_db.connection();
    if (rollups) {
        const UsageDimension dimension = dimensions.isEmpty() ? UsageDimension::None : *dimensions.cbegin();
        QStringList keys; // the one the filters name, or the top N
        for (Id id : {q.userId, q.groupId, q.keyId, q.projectId, q.customerId})
            if (id)
                keys << QString::number(id);
        if (!q.model.isEmpty())
            keys << q.model;
        const RollupReader reader(db, zone);
        const QList<std::pair<Instant, Instant>> whole {{q.from, q.to}};
        // The total over everything the filters match, also beyond the top N: the few rows of all usage when
        // nothing is filtered.
        auto overRange = reader.sums(keys.isEmpty() ? UsageDimension::None : dimension, whole, keys);
        if (!overRange.ok())
            return overRange.error();
        for (const auto& [key, t] : overRange->first())
            report.total += t;
        if (q.top > 0 && q.groupBy != UsageDimension::None) {
            auto ranked = keys.isEmpty() ? rankingSums(dimension, q.from, q.to)
                                         : SharedSums(std::make_shared<const RollupSums>(overRange->first()));
            if (!ranked.ok())
                return ranked.error();
            std::vector<const RollupSums::value_type*> top;
            top.reserve(ranked.value()->size());
            for (const auto& e : *ranked.value())
                top.push_back(&e);
            const auto kept = top.begin() + std::min<qsizetype>(q.top, qsizetype(top.size()));
            std::partial_sort(top.begin(), kept, top.end(), [](const auto* a, const auto* b) {
                if (a->second.cost != b->second.cost)
                    return a->second.cost > b->second.cost;
                if (a->second.requests != b->second.requests)
                    return a->second.requests > b->second.requests;
                return a->first < b->first;
            });
            keys.clear();
            for (auto it = top.begin(); it != kept; ++it)
                keys << QString::fromStdString((*it)->first);
            if (keys.isEmpty())
                return report;
        }
        // Each bucket reads its own rows, for the top N or the filtered key only when there are.
        auto perBucket = reader.sums(dimension, buckets, keys);
        if (!perBucket.ok())
            return perBucket.error();
        for (qsizetype b = 0; b < perBucket->size(); ++b)
            for (const auto& [key, t] : std::as_const(perBucket->at(b)))
                add(b, key.empty() ? QVariant() : QVariant(QString::fromStdString(key)), false, t);
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
    const SnapshotPtr snap = m_org.current();
    for (UsageRow& row : report.rows) {
        const Id id = row.key.toLongLong();
        switch (q.groupBy) {
        case UsageDimension::User:
            row.label = snap->users.contains(id) ? snap->users[id].email : tr("(deleted user %1)").arg(row.key);
            if (row.key.isEmpty())
                row.label = tr("(no user)");
            break;
        case UsageDimension::Group: row.label = snap->groups.value(id).name; break;
        case UsageDimension::Key:
            row.label = snap->keys.contains(id)
                ? snap->keys[id].name + QStringLiteral(" (") + snap->keys[id].prefix + u')'
                : tr("(deleted key %1)").arg(row.key);
            break;
        case UsageDimension::Project:
            row.label = snap->projects.contains(id) ? snap->projects[id].name : tr("(deleted project %1)").arg(row.key);
            break;
        case UsageDimension::Customer:
            row.label = snap->customers.contains(id) ? snap->customers[id].identifier : tr("(no customer)");
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

Usage::SharedSums Usage::rankingSums(UsageDimension dimension, Instant from, Instant to) const
{
    const RankingKey key {dimension, from, to};
    std::unique_lock lock(m_rankingLock);
    if (auto it = m_rankings.constFind(key); it != m_rankings.cend()) {
        const std::shared_future<SharedSums> underWay = *it;
        lock.unlock();
        return underWay.get();
    }
    std::promise<SharedSums> promise;
    m_rankings.insert(key, promise.get_future().share());
    lock.unlock();
    auto sums = RollupReader(m_db.connection(), rollupZone())
                    .sums(dimension, {{from, to}}, {}, RollupReader::Measures::RequestsAndCost);
    const SharedSums result =
        sums.ok() ? SharedSums(std::make_shared<const RollupSums>(std::move(sums->first()))) : SharedSums(sums.error());
    lock.lock();
    m_rankings.remove(key); // only shared while it is being read: the next caller reads what is there then
    lock.unlock();
    promise.set_value(result);
    return result;
}

Result<QHash<Id, Money>> Usage::monthToDateSpend(UsageDimension by) const
{
    awaitRecordedUsage();
    if (by != UsageDimension::User && by != UsageDimension::Group && by != UsageDimension::Key
        && by != UsageDimension::Project && by != UsageDimension::Customer)
        return Error::invalid(QStringLiteral("by"), tr("must be user, group, key, project or customer"));
    // The month's own rollup rows: one per id, however many days and records.
    const QTimeZone zone = rollupZone();
    const Window month = Calendar::compute(WindowKind::Month, m_clock.now(), zone);
    auto sums = RollupReader(m_db.connection(), zone)
                    .sums(by, {{month.start, month.end}}, {}, RollupReader::Measures::RequestsAndCost);
    if (!sums.ok())
        return sums.error();
    QHash<Id, Money> spend;
    spend.reserve(qsizetype(sums->first().size()));
    for (const auto& [key, t] : sums->first()) {
        Id id = 0;
        std::from_chars(key.data(), key.data() + key.size(), id);
        if (id)
            spend[id] += t.cost;
    }
    return spend;
}

} // namespace tollgate
