#include "service/rollupread.h"

#include "storage/database.h"
#include "storage/sqlitedirect.h"

#include <QMap>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>

namespace tollgate {

namespace {

// What reading a row costs, relative to a day row (a week or a month holds a few more keys than a day).
constexpr int kDayCost = 2;
constexpr int kWeekCost = 3;
constexpr int kMonthCost = 3;

// Statements carry at most this many starts and keys each.
constexpr qsizetype kChunk = 200;

void addScaled(UsageTotals& to, const UsageTotals& t, int k)
{
    to.requests += k * t.requests;
    to.denied += k * t.denied;
    to.inputTokens += k * t.inputTokens;
    to.cachedTokens += k * t.cachedTokens;
    to.outputTokens += k * t.outputTokens;
    to.cost += k * t.cost;
}

QString marks(qsizetype n)
{
    QString out = QStringLiteral("?");
    out.reserve(n * 2);
    for (qsizetype i = 1; i < n; ++i)
        out += QStringLiteral(",?");
    return out;
}

} // namespace

QList<RollupSegment> planRollups(Instant from, Instant to, const QTimeZone& zone, const QList<Instant>& usedDays)
{
    // How many times each used day is counted so far; the range's own days must end at 1, the others at 0.
    QMap<Instant, int> need;
    QMap<Instant, int> counted;
    for (Instant d : usedDays) {
        need.insert(d, d >= from && d < to ? 1 : 0);
        counted.insert(d, 0);
    }
    const auto daysIn = [&](const Window& w) {
        QList<Instant> out;
        for (auto it = need.lowerBound(w.start); it != need.cend() && it.key() < w.end; ++it)
            out.append(it.key());
        return out;
    };
    // Rows still to read for these days if nothing else is used, and if the period's row is added k times.
    const auto left = [&](const QList<Instant>& days, int k) {
        int n = 0;
        for (Instant d : days)
            n += need[d] - counted[d] - k != 0 ? kDayCost : 0;
        return n;
    };
    QList<RollupSegment> plan;
    const auto take = [&](RollupPeriod period, const Window& w, const QList<Instant>& days, int k) {
        plan.append({period, w.start, k});
        for (Instant d : days)
            counted[d] += k;
    };

    // Months, then ISO weeks, each where its row and the days it must give back cost less than its days.
    for (Instant t = from; t < to;) {
        const Window m = Calendar::compute(WindowKind::Month, t, zone);
        const QList<Instant> days = daysIn(m);
        if (kMonthCost + left(days, 1) < left(days, 0))
            take(RollupPeriod::Month, m, days, 1);
        t = m.end;
    }
    QList<Window> weeks;
    for (auto it = need.cbegin(); it != need.cend(); ++it)
        if (it.value() != counted[it.key()] && (weeks.isEmpty() || weeks.last().end <= it.key()))
            weeks.append(Calendar::compute(WindowKind::Week, it.key(), zone));
    for (const Window& w : std::as_const(weeks)) {
        const QList<Instant> days = daysIn(w);
        const int none = left(days, 0);
        for (int k : {1, -1})
            if (kWeekCost + left(days, k) < none) {
                take(RollupPeriod::Week, w, days, k);
                break;
            }
    }
    for (auto it = need.cbegin(); it != need.cend(); ++it)
        if (const int k = it.value() - counted[it.key()]; k != 0)
            plan.append({RollupPeriod::Day, it.key(), k});
    return plan;
}

RollupReader::RollupReader(const QSqlDatabase& db, const QTimeZone& zone)
    : m_db(db)
    , m_zone(zone)
{
}

Result<QList<Instant>> RollupReader::usedDays(Instant from, Instant to) const
{
    // Every record has a row in the dimension of all usage (0) for its day.
    auto r = runSql(m_db,
                    QStringLiteral("SELECT start FROM usage_rollups WHERE period = ? AND dimension = ? AND start >= ?"
                                   " AND start < ? ORDER BY start"),
                    {int(RollupPeriod::Day), int(UsageDimension::None), from, to});
    if (!r.ok())
        return r.error();
    QList<Instant> days;
    while (r->next())
        days.append(r->value(0).toLongLong());
    return days;
}

Result<QList<RollupSums>> RollupReader::sums(UsageDimension dimension,
                                             const QList<std::pair<Instant, Instant>>& buckets,
                                             const QStringList& keys) const
{
    m_rowsRead = 0;
    QList<RollupSums> out(buckets.size());
    if (buckets.isEmpty())
        return out;

    // The used days over every week and month a plan may read.
    Instant spanFrom = buckets.first().first;
    Instant spanTo = buckets.first().second;
    for (const auto& [from, to] : buckets) {
        spanFrom = std::min(spanFrom, from);
        spanTo = std::max(spanTo, to);
    }
    const Window firstMonth = Calendar::compute(WindowKind::Month, spanFrom, m_zone);
    const Window lastMonth = Calendar::compute(WindowKind::Month, spanTo - 1, m_zone);
    const Instant daysFrom = Calendar::compute(WindowKind::Week, firstMonth.start, m_zone).start;
    const Instant daysTo = Calendar::compute(WindowKind::Week, lastMonth.end - 1, m_zone).end;
    auto used = usedDays(daysFrom, daysTo);
    if (!used.ok())
        return used.error();

    // Which buckets each row goes to, and how many times.
    struct Use
    {
        qsizetype bucket;
        int coefficient;
    };
    QMap<std::pair<int, Instant>, QList<Use>> uses; // (period, start)
    for (qsizetype b = 0; b < buckets.size(); ++b)
        for (const RollupSegment& s : planRollups(buckets[b].first, buckets[b].second, m_zone, *used))
            uses[{int(s.period), s.start}].append({b, s.coefficient});

    QByteArrayList keyBytes;
    for (const QString& k : keys)
        keyBytes.append(k.toUtf8());
    const auto addRow = [&](const QList<Use>& to, std::string_view key, const UsageTotals& t) {
        ++m_rowsRead;
        for (const Use& u : to) {
            RollupSums& sums = out[u.bucket];
            auto it = sums.find(key);
            if (it == sums.end())
                it = sums.emplace(std::string(key), UsageTotals {}).first;
            addScaled(it->second, t, u.coefficient);
        }
    };

    sqlite3* direct = DirectStatement::handle(m_db);
    for (int period : {int(RollupPeriod::Day), int(RollupPeriod::Week), int(RollupPeriod::Month)}) {
        QList<Instant> starts;
        for (auto it = uses.lowerBound({period, std::numeric_limits<Instant>::min()}); it != uses.cend() && it.key().first == period; ++it)
            starts.append(it.key().second);
        for (qsizetype s = 0; s < starts.size(); s += kChunk) {
            const QList<Instant> someStarts = starts.mid(s, kChunk);
            for (qsizetype k = 0; k < std::max<qsizetype>(keys.size(), 1); k += kChunk) {
                const QStringList someKeys = keys.mid(k, kChunk);
                QString sql = QStringLiteral("SELECT start, key, requests, denied, input_tokens, cached_tokens,"
                                             " output_tokens, cost FROM usage_rollups WHERE period = ?"
                                             " AND dimension = ? AND start IN (%1)")
                                  .arg(marks(someStarts.size()));
                if (!someKeys.isEmpty())
                    sql += QStringLiteral(" AND key IN (%1)").arg(marks(someKeys.size()));
                QVariantList args {period, int(dimension)};
                for (Instant t : someStarts)
                    args << t;
                for (const QString& key : someKeys)
                    args << key;
                if (direct) {
                    // Many rows: SQLite's C API, keys read in place.
                    DirectStatement st(direct, sql);
                    if (!st.prepared())
                        return Error::storage(st.error());
                    for (int i = 0; i < args.size(); ++i) {
                        if (args[i].typeId() == QMetaType::QString)
                            st.bind(i, args[i].toString());
                        else
                            st.bind(i, args[i].toLongLong());
                    }
                    const QList<Use>* to = nullptr;
                    Instant toStart = -1;
                    while (st.next()) {
                        if (const Instant start = st.column(0); start != toStart || !to) {
                            to = &uses.find({period, start}).value();
                            toStart = start;
                        }
                        UsageTotals t;
                        t.requests = st.column(2);
                        t.denied = st.column(3);
                        t.inputTokens = st.column(4);
                        t.cachedTokens = st.column(5);
                        t.outputTokens = st.column(6);
                        t.cost = st.column(7);
                        addRow(*to, st.text(1), t);
                    }
                    if (!st.finished())
                        return Error::storage(st.error());
                } else {
                    QSqlQuery q(m_db);
                    q.setForwardOnly(true);
                    if (!q.prepare(sql))
                        return Error::storage(q.lastError().text());
                    for (const QVariant& a : std::as_const(args))
                        q.addBindValue(a);
                    if (!q.exec())
                        return Error::storage(q.lastError().text());
                    while (q.next()) {
                        UsageTotals t;
                        t.requests = q.value(2).toLongLong();
                        t.denied = q.value(3).toLongLong();
                        t.inputTokens = q.value(4).toLongLong();
                        t.cachedTokens = q.value(5).toLongLong();
                        t.outputTokens = q.value(6).toLongLong();
                        t.cost = q.value(7).toLongLong();
                        addRow(uses.value({period, q.value(0).toLongLong()}), q.value(1).toString().toStdString(), t);
                    }
                }
            }
        }
    }
    // A key the months and weeks brought in that has no usage in the bucket itself adds up to nothing.
    for (RollupSums& sums : out)
        std::erase_if(sums, [](const auto& e) { return e.second.requests == 0; });
    return out;
}

} // namespace tollgate
