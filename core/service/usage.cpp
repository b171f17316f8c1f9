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
    case UsageDimension::User:
    case UsageDimension::Group: return QStringLiteral("user_id");
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

    // Ranges from local midnight to local midnight read the daily rollups (a row per day, user, key, model...);
    // others read the records themselves.
    const QTimeZone zone = rollupZone();
    const auto midnight = [&](Instant t) { return Calendar::compute(WindowKind::Day, t, zone).start == t; };
    const bool rollups = midnight(q.from) && midnight(q.to);
    QString where = rollups ? QStringLiteral("day >= ? AND day < ?") : QStringLiteral("ts >= ? AND ts < ?");
    QVariantList filterArgs;
    const auto filter = [&](const char* column, const QVariant& value) {
        where += QStringLiteral(" AND %1 = ?").arg(QLatin1String(column));
        filterArgs << value;
    };
    if (q.userId)
        filter("user_id", q.userId);
    if (q.keyId)
        filter("key_id", q.keyId);
    if (q.projectId)
        filter("project_id", q.projectId);
    if (q.customerId)
        filter("customer_id", q.customerId);
    if (!q.model.isEmpty())
        filter("model", q.model);
    if (q.groupId) {
        QStringList marks;
        for (Id g : groupTree(q.groupId)) {
            marks << QStringLiteral("?");
            filterArgs << g;
        }
        where += QStringLiteral(" AND user_id IN (SELECT user_id FROM group_members WHERE group_id IN (%1))")
                     .arg(marks.join(u','));
    }
    const QString column = columnOf(q.groupBy);
    const QString sql =
        (rollups ? QStringLiteral("SELECT %1 SUM(requests), SUM(CASE WHEN status = 'denied' THEN requests ELSE 0 END),"
                                  " SUM(input_tokens), SUM(cached_tokens), SUM(output_tokens), SUM(cost)"
                                  " FROM usage_daily WHERE %2%3")
                 : QStringLiteral("SELECT %1 COUNT(*), SUM(CASE WHEN status = 'denied' THEN 1 ELSE 0 END),"
                                  " SUM(input_tokens), SUM(cached_tokens), SUM(output_tokens), SUM(cost)"
                                  " FROM usage_records WHERE %2%3"))
            .arg(column.isEmpty() ? QString() : column + u',', where,
                 column.isEmpty() ? QString() : QStringLiteral(" GROUP BY ") + column);
    // The rollups hold 0 where a record holds NULL (no key, no customer...).
    const bool idColumn = column.endsWith(QLatin1String("_id"));

    // Group membership (for by-group reports): user -> the groups whose tree holds the user.
    QHash<Id, QList<Id>> groupsOfUser;
    if (q.groupBy == UsageDimension::Group) {
        for (const Group& g : groups()) {
            QSet<Id> seen;
            for (Id sub : groupTree(g.id))
                for (Id u : groupMembers(sub))
                    if (!seen.contains(u)) {
                        seen.insert(u);
                        groupsOfUser[u].append(g.id);
                    }
        }
    }

    UsageReport report;
    QSqlDatabase db = m_db->connection();
    for (const auto& [start, end] : std::as_const(buckets)) {
        QVariantList args {start, end};
        args += filterArgs;
        auto r = runSql(db, sql, args);
        if (!r.ok())
            return r.error();
        QHash<QString, UsageTotals> byKey;
        const int base = column.isEmpty() ? 0 : 1;
        while (r->next()) {
            UsageTotals t;
            t.requests = r->value(base).toLongLong();
            if (t.requests == 0)
                continue;
            t.denied = r->value(base + 1).toLongLong();
            t.inputTokens = r->value(base + 2).toLongLong();
            t.cachedTokens = r->value(base + 3).toLongLong();
            t.outputTokens = r->value(base + 4).toLongLong();
            t.cost = r->value(base + 5).toLongLong();
            report.total += t;
            const QVariant k = base ? r->value(0) : QVariant();
            if (q.groupBy == UsageDimension::Group) {
                for (Id g : groupsOfUser.value(k.toLongLong()))
                    byKey[QString::number(g)] += t;
            } else {
                byKey[k.isNull() || (idColumn && k.toLongLong() == 0) ? QString() : k.toString()] += t;
            }
        }
        for (auto it = byKey.cbegin(); it != byKey.cend(); ++it)
            report.rows.append({start, end, it.key(), QString(), it.value()});
    }

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
    UsageQuery q;
    const Window month = Calendar::compute(WindowKind::Month, m_clock.now(), rollupZone());
    q.from = month.start;
    q.to = month.end;
    q.groupBy = by;
    auto report = usageReport(q);
    if (!report.ok())
        return report.error();
    QHash<Id, Money> spend;
    for (const UsageRow& row : std::as_const(report->rows))
        if (!row.key.isEmpty())
            spend[row.key.toLongLong()] += row.totals.cost;
    return spend;
}

} // namespace tollgate
