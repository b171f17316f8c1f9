// Usage: the usage log. Records are written with their daily rollups in one transaction, and read back for the
// request log.

#include "core/org/orgstate.h"
#include "core/storage/database.h"
#include "core/storage/sqlitedirect.h"
#include "core/usage/usage.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSqlError>

namespace tollgate {

namespace {

// Not a UsageDimension: one row per day whose `requests` is the number of users with an admitted request that day.
constexpr int kActiveUsersDimension = 100;

const QString kInsertRecord = QStringLiteral(
    "INSERT INTO usage_records (ts, request_id, org_id, key_id, project_id, user_id, customer_id, model, provider_id,"
    " input_tokens, cached_tokens, output_tokens, cost, status, latency_ms, streamed, estimated, detail,"
    " group_ids, extras) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
const QString kUpsertRollup = QStringLiteral(
    "INSERT INTO usage_rollups (period, dimension, start, key, requests, denied, input_tokens, cached_tokens,"
    " output_tokens, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (period, dimension, start, key) DO UPDATE SET"
    " requests = usage_rollups.requests + excluded.requests,"
    " denied = usage_rollups.denied + excluded.denied,"
    " input_tokens = usage_rollups.input_tokens + excluded.input_tokens,"
    " cached_tokens = usage_rollups.cached_tokens + excluded.cached_tokens,"
    " output_tokens = usage_rollups.output_tokens + excluded.output_tokens,"
    " cost = usage_rollups.cost + excluded.cost");
const QString kReturningAdmitted = QStringLiteral(" RETURNING requests - denied");

// One row of usage_rollups: a record counts once per period (local day, week, month) in each dimension.
struct RollupKey
{
    RollupPeriod period = RollupPeriod::Day;
    UsageDimension dimension = UsageDimension::None;
    Instant start = 0;
    QString key;
    friend bool operator==(const RollupKey&, const RollupKey&) = default;
};

size_t qHash(const RollupKey& k, size_t seed = 0)
{
    return qHashMulti(seed, int(k.period), int(k.dimension), k.start, k.key);
}

// The start of the local day or month holding t; consecutive records are mostly in the same one, so the last is kept.
class PeriodOf
{
public:
    PeriodOf(QTimeZone zone, WindowKind kind)
        : m_zone(std::move(zone))
        , m_kind(kind)
    {
    }
    Instant operator()(Instant t)
    {
        if (!m_window.contains(t))
            m_window = Calendar::compute(m_kind, t, m_zone);
        return m_window.start;
    }

private:
    QTimeZone m_zone;
    WindowKind m_kind;
    Window m_window;
};

// What one usage record is rolled up by.
struct RecordKeys
{
    Instant time = 0;
    Id user = 0;
    Id key = 0;
    Id project = 0;
    Id customer = 0;
    QString model;
    QString status;
    QList<Id> groups;
};

QString idKey(Id id) { return id ? QString::number(id) : QStringLiteral(""); }

class Rollups
{
public:
    explicit Rollups(const QTimeZone& zone)
        : m_day(zone, WindowKind::Day)
        , m_week(zone, WindowKind::Week)
        , m_month(zone, WindowKind::Month)
    {
    }

    void add(const RecordKeys& r, const UsageTotals& t)
    {
        const std::array<std::pair<UsageDimension, QString>, 7> keys {{
            {UsageDimension::None, QStringLiteral("")},
            {UsageDimension::User, idKey(r.user)},
            {UsageDimension::Key, idKey(r.key)},
            {UsageDimension::Project, idKey(r.project)},
            {UsageDimension::Customer, idKey(r.customer)},
            {UsageDimension::Model, r.model},
            {UsageDimension::Status, r.status},
        }};
        for (const auto& [period, start] :
             {std::pair {RollupPeriod::Day, m_day(r.time)}, std::pair {RollupPeriod::Week, m_week(r.time)},
              std::pair {RollupPeriod::Month, m_month(r.time)}}) {
            for (const auto& [dimension, key] : keys)
                m_rows[{period, dimension, start, key}] += t;
            for (Id g : r.groups)
                m_rows[{period, UsageDimension::Group, start, QString::number(g)}] += t;
        }
    }
    bool isEmpty() const { return m_rows.isEmpty(); }
    qsizetype size() const { return m_rows.size(); }
    void clear() { m_rows.clear(); }

    // Adds the rows to the database through `write`, which runs the upsert for one row and, when asked, returns the
    // row's admitted requests after it (RETURNING): a user's day row tells whether this batch holds the user's first
    // admitted request of the day, and then the day's count of active users goes up by one.
    using WriteRow = std::function<Result<qint64>(const RollupKey&, const UsageTotals&, bool returning)>;
    Status upsert(const WriteRow& write) const
    {
        // In the table's own order: a batch's rows then touch each page of the table once, not once per row.
        std::vector<QHash<RollupKey, UsageTotals>::const_iterator> ordered;
        ordered.reserve(size_t(m_rows.size()));
        for (auto it = m_rows.cbegin(); it != m_rows.cend(); ++it)
            ordered.push_back(it);
        std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
            const RollupKey& x = a.key();
            const RollupKey& y = b.key();
            return std::tie(x.period, x.dimension, x.start, x.key) < std::tie(y.period, y.dimension, y.start, y.key);
        });
        QHash<Instant, qint64> newlyActive;
        for (const auto& it : ordered) {
            const RollupKey& k = it.key();
            const UsageTotals& t = it.value();
            const qint64 admitted = t.requests - t.denied;
            const bool counts = k.period == RollupPeriod::Day && k.dimension == UsageDimension::User && !k.key.isEmpty()
                && admitted > 0;
            auto r = write(k, t, counts);
            if (!r.ok())
                return Error::storage(Usage::tr("cannot write the usage rollups: %1").arg(r.error().message));
            if (counts && *r == admitted)
                ++newlyActive[k.start];
        }
        for (auto it = newlyActive.cbegin(); it != newlyActive.cend(); ++it) {
            UsageTotals active;
            active.requests = it.value();
            const RollupKey k {RollupPeriod::Day, UsageDimension(kActiveUsersDimension), it.key(), QStringLiteral("")};
            if (auto r = write(k, active, false); !r.ok())
                return Error::storage(Usage::tr("cannot write the usage rollups: %1").arg(r.error().message));
        }
        return {};
    }

    // Through SQLite's C API when it is there (storage/sqlitedirect.h), else Qt Sql.
    Status upsert(QSqlDatabase& tx) const
    {
        if (sqlite3* direct = DirectStatement::handle(tx))
            return upsert(direct);
        Statement up(tx, kUpsertRollup);
        Statement returning(tx, kUpsertRollup + kReturningAdmitted);
        return upsert([&](const RollupKey& k, const UsageTotals& t, bool wantAdmitted) -> Result<qint64> {
            auto r = (wantAdmitted ? returning : up)
                         .run({int(k.period), int(k.dimension), k.start, k.key, t.requests, t.denied, t.inputTokens,
                               t.cachedTokens, t.outputTokens, t.cost});
            if (!r.ok())
                return r.error();
            return wantAdmitted && r.value()->next() ? r.value()->value(0).toLongLong() : qint64(-1);
        });
    }

    Status upsert(sqlite3* db) const
    {
        DirectStatement up(db, kUpsertRollup);
        DirectStatement returning(db, kUpsertRollup + kReturningAdmitted);
        if (!up.prepared() || !returning.prepared())
            return Error::storage(up.error());
        return upsert([&](const RollupKey& k, const UsageTotals& t, bool wantAdmitted) -> Result<qint64> {
            DirectStatement& st = wantAdmitted ? returning : up;
            const qint64 values[] = {int(k.period), int(k.dimension), k.start};
            for (int i = 0; i < 3; ++i)
                st.bind(i, values[i]);
            st.bind(3, k.key);
            const qint64 sums[] = {t.requests, t.denied, t.inputTokens, t.cachedTokens, t.outputTokens, t.cost};
            for (int i = 0; i < 6; ++i)
                st.bind(4 + i, sums[i]);
            if (!wantAdmitted) {
                if (!st.run())
                    return Error::storage(st.error());
                return qint64(-1);
            }
            const qint64 admitted = st.next() ? st.column(0) : -1;
            if (!st.run()) // the rest of the statement (no more rows), then reset
                return Error::storage(st.error());
            return admitted;
        });
    }

private:
    PeriodOf m_day;
    PeriodOf m_week;
    PeriodOf m_month;
    QHash<RollupKey, UsageTotals> m_rows;
};

Status insertRecords(sqlite3* db, const QList<UsageRecord>& records);

// Through SQLite's C API when it is there (storage/sqlitedirect.h), else Qt Sql.
Status insertRecords(QSqlDatabase& tx, const QList<UsageRecord>& records)
{
    if (sqlite3* direct = DirectStatement::handle(tx))
        return insertRecords(direct, records);
    Statement insert(tx, kInsertRecord);
    for (const UsageRecord& r : records)
        if (auto q = insert.run({r.time,
                                 r.requestId.isNull() ? QStringLiteral("") : r.requestId,
                                 r.orgId,
                                 nullableId(r.keyId),
                                 nullableId(r.projectId),
                                 nullableId(r.userId),
                                 nullableId(r.customerId),
                                 r.model.isNull() ? QStringLiteral("") : r.model,
                                 nullableId(r.providerId),
                                 r.inputTokens,
                                 r.cachedTokens,
                                 r.outputTokens,
                                 r.cost,
                                 usageStatusName(r.status),
                                 r.latencyMs,
                                 r.streamed ? 1 : 0,
                                 r.estimated ? 1 : 0,
                                 r.detail.isEmpty() ? QVariant() : QVariant(r.detail),
                                 groupIdsText(r.groupIds.value_or(QList<Id>())),
                                 r.extras.isEmpty() ? QVariant() : QVariant(r.extras)});
            !q.ok())
            return Error::storage(Usage::tr("cannot write a usage record: %1").arg(q.error().message));
    return {};
}

Status insertRecords(sqlite3* db, const QList<UsageRecord>& records)
{
    // Rows go in 32 to a statement: a statement's run costs about as much as the B-tree work of a row.
    constexpr int kColumns = 20;
    constexpr qsizetype kRowsPerStatement = 32;
    const QString row = QStringLiteral(", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    DirectStatement one(db, kInsertRecord);
    std::optional<DirectStatement> many; // prepared only for a batch that fills it
    if (records.size() >= kRowsPerStatement)
        many.emplace(db, kInsertRecord + row.repeated(kRowsPerStatement - 1));
    if (!one.prepared() || (many && !many->prepared()))
        return Error::storage(Usage::tr("cannot write a usage record: %1").arg(one.error()));
    const auto bind = [](DirectStatement& st, int at, const UsageRecord& r) {
        st.bind(at + 0, r.time);
        st.bind(at + 1, r.requestId.isNull() ? QStringLiteral("") : r.requestId);
        st.bind(at + 2, r.orgId);
        st.bindId(at + 3, r.keyId);
        st.bindId(at + 4, r.projectId);
        st.bindId(at + 5, r.userId);
        st.bindId(at + 6, r.customerId);
        st.bind(at + 7, r.model.isNull() ? QStringLiteral("") : r.model);
        st.bindId(at + 8, r.providerId);
        st.bind(at + 9, r.inputTokens);
        st.bind(at + 10, r.cachedTokens);
        st.bind(at + 11, r.outputTokens);
        st.bind(at + 12, r.cost);
        st.bind(at + 13, usageStatusName(r.status));
        st.bind(at + 14, qint64(r.latencyMs));
        st.bind(at + 15, qint64(r.streamed ? 1 : 0));
        st.bind(at + 16, qint64(r.estimated ? 1 : 0));
        if (r.detail.isEmpty())
            st.bindNull(at + 17);
        else
            st.bind(at + 17, r.detail);
        st.bind(at + 18, groupIdsText(r.groupIds.value_or(QList<Id>())));
        if (r.extras.isEmpty())
            st.bindNull(at + 19);
        else
            st.bind(at + 19, r.extras);
    };
    qsizetype i = 0;
    for (; i + kRowsPerStatement <= records.size(); i += kRowsPerStatement) {
        for (qsizetype j = 0; j < kRowsPerStatement; ++j)
            bind(*many, int(j) * kColumns, records[i + j]);
        if (!many->run())
            return Error::storage(Usage::tr("cannot write a usage record: %1").arg(many->error()));
    }
    for (; i < records.size(); ++i) {
        bind(one, 0, records[i]);
        if (!one.run())
            return Error::storage(Usage::tr("cannot write a usage record: %1").arg(one.error()));
    }
    return {};
}

// One record's share of a rollup row.
UsageTotals totalsOf(bool denied, qint64 inputTokens, qint64 cachedTokens, qint64 outputTokens, Money cost)
{
    UsageTotals t;
    t.requests = 1;
    t.denied = denied ? 1 : 0;
    t.inputTokens = inputTokens;
    t.cachedTokens = cachedTokens;
    t.outputTokens = outputTokens;
    t.cost = cost;
    return t;
}

Status writeJournalMark(QSqlDatabase& tx, const JournalMark& mark)
{
    auto r = runSql(tx,
                    QStringLiteral("INSERT INTO usage_journal (name, applied) VALUES (?, ?)"
                                   " ON CONFLICT (name) DO UPDATE SET applied = excluded.applied"),
                    {mark.name, mark.offset});
    if (!r.ok())
        return Error::storage(Usage::tr("cannot note how far the usage journal is applied: %1").arg(r.error().message));
    return {};
}

} // namespace

Status Usage::recordUsage(const QList<UsageRecord>& records, const JournalMark* mark)
{
    if (records.isEmpty() && !mark)
        return {};
    // Records made without their groups (the demo, imports) count for the user's groups as they are now.
    QList<UsageRecord> completed;
    if (std::any_of(records.cbegin(), records.cend(), [](const UsageRecord& r) { return !r.groupIds; })) {
        completed = records;
        for (UsageRecord& r : completed)
            if (!r.groupIds)
                r.groupIds = groupsOfUser(r.userId);
    }
    const QList<UsageRecord>& all = completed.isEmpty() ? records : completed;
    Rollups rollups(rollupZone());
    for (const UsageRecord& r : all)
        rollups.add({r.time, r.userId, r.keyId, r.projectId, r.customerId,
                     r.model.isNull() ? QStringLiteral("") : r.model, usageStatusName(r.status), *r.groupIds},
                    totalsOf(r.status == UsageStatus::Denied, r.inputTokens, r.cachedTokens, r.outputTokens, r.cost));
    std::lock_guard writeLock(m_db.writeLock());
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (Status w = insertRecords(tx, all); !w.ok())
            return w;
        if (Status w = rollups.upsert(tx); !w.ok())
            return w;
        if (m_charge)
            if (Status w = m_charge(tx, all); !w.ok())
                return w;
        return mark ? writeJournalMark(tx, *mark) : Status {};
    });
    if (s.ok()) {
        if (m_charged)
            m_charged(all);
        m_usageRevision.fetch_add(1, std::memory_order_release);
    }
    return s;
}

Result<std::optional<qint64>> Usage::journalApplied(const QString& name) const
{
    auto q = runSql(m_db.connection(), QStringLiteral("SELECT applied FROM usage_journal WHERE name = ?"), {name});
    if (!q.ok())
        return q.error();
    if (!q->next())
        return std::optional<qint64>();
    return std::optional<qint64>(q->value(0).toLongLong());
}

Status Usage::setJournalApplied(const JournalMark& mark)
{
    std::lock_guard writeLock(m_db.writeLock());
    return m_db.transaction([&](QSqlDatabase& tx) { return writeJournalMark(tx, mark); });
}

Status Usage::forgetJournal(const QString& name)
{
    std::lock_guard writeLock(m_db.writeLock());
    auto r = runSql(m_db.connection(), QStringLiteral("DELETE FROM usage_journal WHERE name = ?"), {name});
    if (!r.ok())
        return r.error();
    return {};
}

Usage::Usage(Database& db, const Clock& clock, const OrgState& org)
    : m_db(db)
    , m_clock(clock)
    , m_org(org)
{
}

QTimeZone Usage::rollupZone() const { return m_org.current()->calendar->zone(); }

QList<Id> Usage::groupsOfUser(Id userId) const
{
    const SnapshotPtr snap = m_org.current();
    const User* u = snap->user(userId);
    return u ? snap->groupsOf(*u) : QList<Id>();
}

Status Usage::ensureRollups()
{
    const QString zone = m_org.current()->org.timezone;
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT timezone FROM usage_rollup_zone"));
    if (!r.ok())
        return r.error();
    if (r->next() && r->value(0).toString() == zone)
        return {};
    return rebuildRollups();
}

Status Usage::rebuildRollups()
{
    std::lock_guard writeLock(m_db.writeLock());
    const QTimeZone zone = rollupZone();
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        for (const char* sql : {"DELETE FROM usage_rollups", "DELETE FROM usage_rollup_zone"})
            if (auto r = runSql(tx, QString::fromLatin1(sql)); !r.ok())
                return r.error();
        if (auto r = runSql(tx, QStringLiteral("INSERT INTO usage_rollup_zone (timezone) VALUES (?)"),
                            {QString::fromUtf8(zone.id())});
            !r.ok())
            return r.error();
        // Records from before groups were recorded count for their users' groups as they are now.
        if (Status filled = fillRecordGroups(tx); !filled.ok())
            return filled;
        // In slices of records, so memory holds one slice's rollups at a time; rows the slices share are added up
        // by the upsert.
        QSqlQuery q(tx);
        q.setForwardOnly(true);
        if (!q.exec(QStringLiteral("SELECT ts, user_id, key_id, project_id, customer_id, model, status, input_tokens,"
                                   " cached_tokens, output_tokens, cost, group_ids FROM usage_records ORDER BY ts")))
            return Error::storage(q.lastError().text());
        Rollups rollups(zone);
        while (q.next()) {
            const QString status = q.value(6).toString();
            rollups.add({q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toLongLong(),
                         q.value(3).toLongLong(), q.value(4).toLongLong(), q.value(5).toString(), status,
                         groupIdsFromText(q.value(11).toString())},
                        totalsOf(status == usageStatusName(UsageStatus::Denied), q.value(7).toLongLong(),
                                 q.value(8).toLongLong(), q.value(9).toLongLong(), q.value(10).toLongLong()));
            if (rollups.size() >= 200'000) {
                if (Status u = rollups.upsert(tx); !u.ok())
                    return u;
                rollups.clear();
            }
        }
        return rollups.upsert(tx);
    });
    if (s.ok())
        m_usageRevision.fetch_add(1, std::memory_order_release);
    return s;
}

Status Usage::fillRecordGroups(QSqlDatabase& tx)
{
    auto missing = runSql(tx,
                          QStringLiteral("SELECT DISTINCT user_id FROM usage_records WHERE group_ids IS NULL"
                                         " AND user_id IS NOT NULL"));
    if (!missing.ok())
        return missing.error();
    QList<Id> users;
    while (missing->next())
        users.append(missing->value(0).toLongLong());
    Statement fill(tx,
                   QStringLiteral("UPDATE usage_records SET group_ids = ? WHERE user_id = ? AND group_ids IS NULL"));
    for (Id u : std::as_const(users))
        if (const QList<Id> groups = groupsOfUser(u); !groups.isEmpty())
            if (auto r = fill.run({groupIdsText(groups), u}); !r.ok())
                return r.error();
    if (auto r = runSql(tx, QStringLiteral("UPDATE usage_records SET group_ids = '' WHERE group_ids IS NULL")); !r.ok())
        return r.error();
    return {};
}

void Usage::addUsageBarrier(const void* owner, std::function<void()> barrier)
{
    std::unique_lock lock(m_barrierLock);
    m_usageBarriers.emplace_back(owner, std::move(barrier));
}

void Usage::removeUsageBarrier(const void* owner)
{
    std::unique_lock lock(m_barrierLock);
    std::erase_if(m_usageBarriers, [owner](const auto& b) { return b.first == owner; });
}

void Usage::awaitRecordedUsage() const
{
    std::shared_lock lock(m_barrierLock);
    for (const auto& [owner, barrier] : m_usageBarriers)
        barrier();
}

qint64 Usage::usageRecordCount() const
{
    awaitRecordedUsage();
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT COUNT(*) FROM usage_records"));
    if (!r.ok() || !r->next())
        return 0;
    return r->value(0).toLongLong();
}

Result<QList<UsageRecord>> Usage::usageLog(const UsageLogFilter& f) const
{
    awaitRecordedUsage();
    QString sql = QStringLiteral("SELECT id, ts, request_id, org_id, key_id, project_id, user_id, customer_id, model,"
                                 " provider_id, input_tokens, cached_tokens, output_tokens, cost, status, latency_ms,"
                                 " streamed, estimated, detail, group_ids, extras FROM usage_records WHERE 1 = 1");
    QVariantList args;
    const auto where = [&](const char* condition, const QVariant& value) {
        sql += QStringLiteral(" AND ") + QLatin1String(condition);
        args << value;
    };
    if (f.id)
        where("id = ?", f.id);
    if (f.from)
        where("ts >= ?", f.from);
    if (f.to)
        where("ts < ?", f.to);
    if (f.userId)
        where("user_id = ?", f.userId);
    if (f.keyId)
        where("key_id = ?", f.keyId);
    if (f.projectId)
        where("project_id = ?", f.projectId);
    if (f.customerId)
        where("customer_id = ?", f.customerId);
    if (f.groupId)
        where("group_ids LIKE ?", QStringLiteral("%,%1,%").arg(f.groupId));
    if (!f.model.isEmpty())
        where("model = ?", f.model);
    if (f.status)
        where("status = ?", usageStatusName(*f.status));
    if (f.beforeId)
        where("id < ?", f.beforeId);
    sql += QStringLiteral(" ORDER BY id DESC LIMIT ?");
    args << std::clamp(f.limit, 1, 10'000);
    auto q = runSql(m_db.connection(), sql, args);
    if (!q.ok())
        return q.error();
    QList<UsageRecord> out;
    while (q->next()) {
        UsageRecord r;
        r.id = q->value(0).toLongLong();
        r.time = q->value(1).toLongLong();
        r.requestId = q->value(2).toString();
        r.orgId = q->value(3).toLongLong();
        r.keyId = q->value(4).toLongLong();
        r.projectId = q->value(5).toLongLong();
        r.userId = q->value(6).toLongLong();
        r.customerId = q->value(7).toLongLong();
        r.model = q->value(8).toString();
        r.providerId = q->value(9).toLongLong();
        r.inputTokens = q->value(10).toLongLong();
        r.cachedTokens = q->value(11).toLongLong();
        r.outputTokens = q->value(12).toLongLong();
        r.cost = q->value(13).toLongLong();
        r.status = usageStatusFromName(q->value(14).toString()).value_or(UsageStatus::Ok);
        r.latencyMs = q->value(15).toInt();
        r.streamed = q->value(16).toInt() != 0;
        r.estimated = q->value(17).toInt() != 0;
        r.detail = q->value(18).toString();
        if (!q->value(19).isNull())
            r.groupIds = groupIdsFromText(q->value(19).toString());
        r.extras = q->value(20).toString();
        out.append(r);
    }
    return out;
}

Result<QList<std::pair<Instant, qint64>>> Usage::dailyActiveUsers(Instant from, Instant to) const
{
    awaitRecordedUsage();
    auto q = runSql(m_db.connection(),
                    QStringLiteral("SELECT start, requests FROM usage_rollups WHERE period = ? AND dimension = ?"
                                   " AND start >= ? AND start < ? AND key = '' ORDER BY start"),
                    {int(RollupPeriod::Day), kActiveUsersDimension, from, to});
    if (!q.ok())
        return q.error();
    QList<std::pair<Instant, qint64>> out;
    while (q->next())
        out.append({q->value(0).toLongLong(), q->value(1).toLongLong()});
    return out;
}

} // namespace tollgate
