#include "core/usage/rollupread.h"

#include "core/storage/database.h"
#include "core/storage/sqlitedirect.h"

#include <QMap>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>
#include <unordered_map>

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

// Totals per key, found by the key's text. Ids (most keys: up to hundreds of thousands of users) live in an
// open-addressing table by their number, so adding a row costs a multiplication and a probe, not a string hash, a
// node allocation and the cache misses of a node-based map; other keys (models, statuses: a few) in a hash map.
class KeyTotals
{
public:
    UsageTotals& at(std::string_view key)
    {
        qint64 id = 0;
        if (isId(key, id))
            return m_totals[entryOf(id)];
        auto it = m_texts.find(std::string(key));
        if (it == m_texts.end()) {
            it = m_texts.emplace(std::string(key), m_totals.size()).first;
            m_totals.emplace_back();
            m_ids.push_back(0);
        }
        return m_totals[it->second];
    }

    // The keys with requests in the range (months and weeks less days bring in keys that add up to nothing).
    RollupSums take() const
    {
        RollupSums out;
        out.reserve(m_totals.size());
        for (size_t i = 0; i < m_totals.size(); ++i)
            if (m_totals[i].requests != 0 && m_ids[i])
                out.emplace_back(std::to_string(m_ids[i]), m_totals[i]);
        for (const auto& [key, i] : m_texts)
            if (m_totals[i].requests != 0)
                out.emplace_back(key, m_totals[i]);
        return out;
    }

private:
    // The text QString::number() writes for a positive id: digits without a leading zero.
    static bool isId(std::string_view key, qint64& id)
    {
        if (key.empty() || key.size() > 18 || key[0] == '0')
            return false;
        id = 0;
        for (char c : key) {
            if (c < '0' || c > '9')
                return false;
            id = id * 10 + (c - '0');
        }
        return true;
    }
    size_t entryOf(qint64 id)
    {
        if ((m_used + 1) * 2 > m_slots.size())
            grow();
        const size_t mask = m_slots.size() - 1;
        for (size_t i = slotOf(id, mask);; i = (i + 1) & mask) {
            if (m_slots[i] == 0) {
                m_slots[i] = qint32(m_totals.size() + 1);
                ++m_used;
                m_totals.emplace_back();
                m_ids.push_back(id);
                return m_totals.size() - 1;
            }
            if (m_ids[size_t(m_slots[i] - 1)] == id)
                return size_t(m_slots[i] - 1);
        }
    }
    static size_t slotOf(qint64 id, size_t mask) { return size_t((quint64(id) * 0x9E3779B97F4A7C15ULL) >> 20) & mask; }
    void grow()
    {
        std::vector<qint32> table(std::max<size_t>(1024, m_slots.size() * 2), 0);
        const size_t mask = table.size() - 1;
        for (qint32 e : m_slots)
            if (e) {
                size_t i = slotOf(m_ids[size_t(e - 1)], mask);
                while (table[i])
                    i = (i + 1) & mask;
                table[i] = e;
            }
        m_slots = std::move(table);
    }

    std::vector<qint32> m_slots; // entry + 1; 0: empty
    size_t m_used = 0;
    std::vector<UsageTotals> m_totals; // per entry
    std::vector<qint64> m_ids; // per entry; 0 for a text key
    std::unordered_map<std::string, size_t> m_texts;
};

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
                                             const QList<std::pair<Instant, Instant>>& buckets, const QStringList& keys,
                                             Measures measures) const
{
    m_rowsRead = 0;
    if (buckets.isEmpty())
        return QList<RollupSums>();

    // The used days over every week and month a plan may read.
    Instant spanFrom = buckets.first().first;
    Instant spanTo = buckets.first().second;
    for (const auto& [from, to] : buckets) {
        spanFrom = std::min(spanFrom, from);
        spanTo = std::max(spanTo, to);
    }
    // A plan looks at the days of the months around its range and of the weeks around those.
    const auto around = [this](Instant from, Instant to) {
        const Window firstMonth = Calendar::compute(WindowKind::Month, from, m_zone);
        const Window lastMonth = Calendar::compute(WindowKind::Month, to - 1, m_zone);
        return std::pair {Calendar::compute(WindowKind::Week, firstMonth.start, m_zone).start,
                          Calendar::compute(WindowKind::Week, lastMonth.end - 1, m_zone).end};
    };
    const auto [daysFrom, daysTo] = around(spanFrom, spanTo);
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
    for (qsizetype b = 0; b < buckets.size(); ++b) {
        const auto [from, to] = around(buckets[b].first, buckets[b].second);
        const auto first = std::lower_bound(used->cbegin(), used->cend(), from);
        const QList<Instant> near(first, std::lower_bound(first, used->cend(), to));
        for (const RollupSegment& s : planRollups(buckets[b].first, buckets[b].second, m_zone, near))
            uses[{int(s.period), s.start}].append({b, s.coefficient});
    }

    QByteArrayList keyBytes;
    for (const QString& k : keys)
        keyBytes.append(k.toUtf8());
    std::vector<KeyTotals> totals(size_t(buckets.size()));
    const auto addRow = [&](const QList<Use>& to, std::string_view key, const UsageTotals& t) {
        ++m_rowsRead;
        for (const Use& u : to)
            addScaled(totals[size_t(u.bucket)].at(key), t, u.coefficient);
    };

    const bool all = measures == Measures::All;
    sqlite3* direct = DirectStatement::handle(m_db);
    for (int period : {int(RollupPeriod::Day), int(RollupPeriod::Week), int(RollupPeriod::Month)}) {
        QList<Instant> starts;
        for (auto it = uses.lowerBound({period, std::numeric_limits<Instant>::min()});
             it != uses.cend() && it.key().first == period; ++it)
            starts.append(it.key().second);
        for (qsizetype s = 0; s < starts.size(); s += kChunk) {
            const QList<Instant> someStarts = starts.mid(s, kChunk);
            for (qsizetype k = 0; k < std::max<qsizetype>(keys.size(), 1); k += kChunk) {
                const QStringList someKeys = keys.mid(k, kChunk);
                QString sql =
                    QStringLiteral("SELECT start, key, requests, cost%1 FROM usage_rollups WHERE period = ?"
                                   " AND dimension = ? AND start IN (%2)")
                        .arg(all ? QStringLiteral(", denied, input_tokens, cached_tokens, output_tokens") : QString(),
                             marks(someStarts.size()));
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
                        t.cost = st.column(3);
                        if (all) {
                            t.denied = st.column(4);
                            t.inputTokens = st.column(5);
                            t.cachedTokens = st.column(6);
                            t.outputTokens = st.column(7);
                        }
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
                        t.cost = q.value(3).toLongLong();
                        if (all) {
                            t.denied = q.value(4).toLongLong();
                            t.inputTokens = q.value(5).toLongLong();
                            t.cachedTokens = q.value(6).toLongLong();
                            t.outputTokens = q.value(7).toLongLong();
                        }
                        addRow(uses.value({period, q.value(0).toLongLong()}), q.value(1).toString().toStdString(), t);
                    }
                }
            }
        }
    }
    QList<RollupSums> out;
    out.reserve(buckets.size());
    for (const KeyTotals& t : totals)
        out.append(t.take());
    return out;
}

} // namespace tollgate
