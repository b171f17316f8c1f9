// The ledger shared by every instance on one PostgreSQL database: counters and leases in the database.

#include "core/ledger/sharedledger.h"

#include "core/storage/database.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSysInfo>
#include <QUuid>

#include <algorithm>
#include <map>

Q_LOGGING_CATEGORY(lcShared, "tollgate.core.ledger.shared", QtInfoMsg)

namespace tollgate {

namespace {

constexpr qint64 kSliceDivisor = 16; // a slice is this part of the headroom left
constexpr qint64 kSliceMinimum = 64; // no slice when fewer requests than this fit in the headroom left
constexpr qint64 kIdleMs = 250; // a lease unused for this long goes back
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr int kHeartbeatTicks = 20; // two seconds

// The database's clock in milliseconds: leases expire by it, whichever instance looks.
const QString kNow = QStringLiteral("CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)");
const QString kKey =
    QStringLiteral("scope = ? AND scope_id = ? AND metric = ? AND window_kind = ? AND window_start = ?");

QVariantList keyArgs(const CounterKey& k)
{
    return {int(k.scope), k.scopeId, int(k.metric), int(k.window), k.windowStart};
}

QVariantList operator+(QVariantList a, const QVariantList& b)
{
    a += b;
    return a;
}

bool keyLess(const CounterKey& a, const CounterKey& b)
{
    return std::tuple(int(a.scope), a.scopeId, int(a.metric), int(a.window), a.windowStart)
        < std::tuple(int(b.scope), b.scopeId, int(b.metric), int(b.window), b.windowStart);
}

struct KeyOrder
{
    bool operator()(const CounterKey& a, const CounterKey& b) const { return keyLess(a, b); }
};

const QString kKeyColumns = QStringLiteral("scope, scope_id, metric, window_kind, window_start");
const QString kJoin = QStringLiteral("c.scope = v.scope AND c.scope_id = v.scope_id AND c.metric = v.metric AND"
                                     " c.window_kind = v.window_kind AND c.window_start = v.window_start");

// A VALUES list of `count` rows of placeholders, each cast to its column's type (PostgreSQL does not infer them):
// one statement for every counter of a request instead of one per counter.
QString valueRows(qsizetype count, int extraBigints)
{
    QStringList cells {QStringLiteral("CAST(? AS INTEGER)"), QStringLiteral("CAST(? AS BIGINT)"),
                       QStringLiteral("CAST(? AS INTEGER)"), QStringLiteral("CAST(? AS INTEGER)"),
                       QStringLiteral("CAST(? AS BIGINT)")};
    for (int i = 0; i < extraBigints; ++i)
        cells << QStringLiteral("CAST(? AS BIGINT)");
    const QString row = u'(' + cells.join(QStringLiteral(", ")) + u')';
    return QStringList(count, row).join(QStringLiteral(", "));
}

CounterKey keyAt(const QSqlQuery& q, int first = 0)
{
    return {ScopeKind(q.value(first).toInt()), Metric(q.value(first + 2).toInt()),
            WindowKind(q.value(first + 3).toInt()), q.value(first + 1).toLongLong(), q.value(first + 4).toLongLong()};
}

struct Row
{
    qint64 used = 0;
    qint64 reserved = 0;
};
using Rows = std::map<CounterKey, Row, KeyOrder>;

// Locks the counters' rows, in key order (the order of every transaction here, so instances never deadlock), and
// reads them.
Result<Rows> lockCounters(QSqlDatabase& tx, const std::vector<CounterKey>& keys)
{
    QVariantList args;
    for (const CounterKey& k : keys)
        args += keyArgs(k);
    auto r = runSql(tx,
                    QStringLiteral("SELECT %1, used, reserved FROM limit_counters WHERE (%1) IN (VALUES %2) ORDER BY"
                                   " scope, scope_id, metric, window_kind, window_start FOR UPDATE")
                        .arg(kKeyColumns, valueRows(qsizetype(keys.size()), 0)),
                    args);
    if (!r.ok())
        return r.error();
    Rows rows;
    while (r->next())
        rows[keyAt(*r)] = {r->value(5).toLongLong(), r->value(6).toLongLong()};
    return rows;
}

// Adds `used` and `reserved` (either may be negative) to counters already locked.
Status addToCounters(QSqlDatabase& tx, const std::vector<std::tuple<CounterKey, qint64, qint64>>& changes)
{
    if (changes.empty())
        return {};
    QVariantList args;
    for (const auto& [k, used, reserved] : changes)
        args += keyArgs(k) + QVariantList {used, reserved};
    auto r = runSql(tx,
                    QStringLiteral("UPDATE limit_counters c SET used = c.used + v.used, reserved = c.reserved +"
                                   " v.reserved FROM (VALUES %1) AS v(%2, used, reserved) WHERE %3")
                        .arg(valueRows(qsizetype(changes.size()), 2), kKeyColumns, kJoin),
                    args);
    return r.ok() ? Status {} : Status(r.error());
}

// Takes amounts out of an instance's leases; returns the keys that had a lease.
Result<std::vector<CounterKey>> takeFromLeases(QSqlDatabase& tx, const QString& instance,
                                               const std::vector<std::pair<CounterKey, qint64>>& amounts)
{
    QVariantList args;
    for (const auto& [k, amount] : amounts)
        args += keyArgs(k) + QVariantList {amount};
    args << instance;
    auto r = runSql(tx,
                    QStringLiteral("UPDATE limit_leases c SET amount = c.amount - v.amount FROM (VALUES %1) AS"
                                   " v(%2, amount) WHERE %3 AND c.instance = ? RETURNING c.scope, c.scope_id,"
                                   " c.metric, c.window_kind, c.window_start")
                        .arg(valueRows(qsizetype(amounts.size()), 1), kKeyColumns, kJoin),
                    args);
    if (!r.ok())
        return r.error();
    std::vector<CounterKey> held;
    while (r->next())
        held.push_back(keyAt(*r));
    return held;
}

} // namespace

SharedLedger::SharedLedger(const Database& db, const Clock& clock, Loader loader)
    : m_db(db)
    , m_clock(clock)
    , m_loader(std::move(loader))
    , m_instance(QStringLiteral("%1:%2:%3")
                     .arg(QSysInfo::machineHostName())
                     .arg(QCoreApplication::applicationPid())
                     .arg(QUuid::createUuid().toString(QUuid::Id128).left(12)))
{
    bool ok = false;
    const int seconds = qEnvironmentVariableIntValue("TOLLGATE_LEASE_SECONDS", &ok);
    if (ok && seconds > 0)
        m_leaseMs = qint64(seconds) * 1000;
    auto r = runSql(m_db.connection(),
                    QStringLiteral("INSERT INTO limit_instances (instance, expires_at) VALUES (?, %1 + ?)").arg(kNow),
                    {m_instance, m_leaseMs});
    if (!r.ok())
        qCWarning(lcShared).noquote() << "cannot register this instance's leases:" << r.error().message;
    m_db.closeThreadConnection();
    qCInfo(lcShared).noquote() << "limits are counted in the database, shared by every instance; this one is"
                               << m_instance;
    m_thread = std::thread([this] { maintain(); });
}

SharedLedger::~SharedLedger()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

SharedLedger::Stats SharedLedger::stats() const
{
    std::lock_guard lock(m_mutex);
    return m_stats;
}

qint64 SharedLedger::need(Metric metric, Money cost, qint64 tokens)
{
    switch (metric) {
    case Metric::Cost: return cost;
    case Metric::Tokens: return tokens;
    case Metric::Requests: return 1;
    }
    return 0;
}

std::vector<SharedLedger::Shared*> SharedLedger::entries(const QList<LimitCheck>& checks)
{
    std::vector<Shared*> out;
    out.reserve(size_t(checks.size()));
    for (const LimitCheck& c : checks) {
        auto [it, inserted] = m_counters.try_emplace(c.key());
        if (inserted) {
            it->second.key = c.key();
            it->second.windowEnd = c.window.end;
        }
        out.push_back(&it->second);
    }
    return out;
}

bool SharedLedger::takeLocal(const std::vector<Shared*>& counters, const QList<LimitCheck>& checks, Money cost,
                             qint64 tokens, Decision& d)
{
    for (size_t i = 0; i < counters.size(); ++i) {
        const LimitCheck& check = checks[qsizetype(i)];
        if (counters[i]->free() < need(check.metric, cost, tokens))
            return false;
        // A limit changed since the lease was taken (lowered by an admin): the database decides again.
        if (check.enforce && counters[i]->limitSeen != check.limit)
            return false;
    }
    const Instant now = m_clock.now();
    Reservation& r = d.reservation;
    r.m_cost = cost;
    r.m_tokens = tokens;
    r.m_holds.clear();
    for (size_t i = 0; i < counters.size(); ++i) {
        Shared* c = counters[i];
        c->inflight += need(checks[qsizetype(i)].metric, cost, tokens);
        ++c->holders;
        c->lastUse = now;
        r.m_holds.push_back({c, checks[qsizetype(i)].metric});
    }
    if (r.m_holds.empty())
        r.m_holds.push_back({nullptr, Metric::Requests});
    return true;
}

Decision SharedLedger::admit(QList<LimitCheck> checks, const AdmissionAmounts& amounts)
{
    const Money fullCost = amounts.estimatedCost();
    const qint64 fullTokens = amounts.estimatedTokens();
    auto admitted = [&](Decision& d, Money cost, qint64 tokens) {
        // Far from every limit: what the leases say (this instance's view of used and reserved).
        // (The leases hold the request: a view older than them is brought within the limit.)
        for (LimitCheck& c : checks) {
            const Shared& s = m_counters.at(c.key());
            const qint64 requested = need(c.metric, cost, tokens);
            c.used = s.used;
            c.reserved = std::max<qint64>(0, s.reserved - s.free());
            if (c.enforce) {
                c.used = std::min(c.used, std::max<qint64>(0, c.limit - requested));
                c.reserved = std::clamp<qint64>(c.reserved, 0, std::max<qint64>(0, c.limit - c.used - requested));
            }
        }
        decide(d, checks, cost, tokens, m_clock.now());
        d.checks = std::move(checks);
    };
    {
        std::lock_guard lock(m_mutex);
        Decision d;
        if (takeLocal(entries(checks), checks, fullCost, fullTokens, d)) {
            ++m_stats.localAdmissions;
            d.grantedOutputTokens = amounts.maxOutputTokens;
            admitted(d, fullCost, fullTokens);
            return d;
        }
    }
    std::lock_guard trips(m_tripMutex);
    for (int failed = 0;;) {
        {
            std::lock_guard lock(m_mutex);
            Decision d;
            if (takeLocal(entries(checks), checks, fullCost, fullTokens, d)) {
                ++m_stats.localAdmissions;
                d.grantedOutputTokens = amounts.maxOutputTokens;
                admitted(d, fullCost, fullTokens);
                return d;
            }
        }
        Decision d;
        QList<LimitCheck> attempt = checks;
        const Trip t = trip(attempt, amounts, d, failed);
        if (t == Trip::Failed)
            ++failed;
        else if (t != Trip::Again)
            return d;
    }
}

SharedLedger::Trip SharedLedger::trip(QList<LimitCheck>& checks, const AdmissionAmounts& amounts, Decision& d,
                                      int attempt)
{
    const Instant now = m_clock.now();
    const size_t n = size_t(checks.size());
    std::vector<Shared*> counters;
    std::vector<qint64> free(n);
    std::vector<bool> known(n);
    {
        std::lock_guard lock(m_mutex);
        ++m_stats.trips;
        counters = entries(checks);
        for (size_t i = 0; i < n; ++i) {
            free[i] = counters[i]->free();
            known[i] = counters[i]->rowKnown;
        }
    }
    auto unavailable = [&](const QString& why) {
        qCWarning(lcShared).noquote() << "refusing admission: the shared limits cannot be read:" << why;
        d = Decision {};
        d.unavailable = true;
        d.retryAfterSeconds = 1;
        d.checks = checks;
        return Trip::Refused;
    };
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return keyLess(checks[qsizetype(a)].key(), checks[qsizetype(b)].key()); });

    std::vector<qint64> used(n), reserved(n), room(n), take(n, 0);
    std::vector<bool> tight(n, false);
    bool allowed = false;
    Money cost = 0;
    qint64 tokens = 0;
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        // A counter's first row starts from the usage already recorded in its window (read on this connection).
        std::vector<qint64> initial(n, 0);
        for (size_t i = 0; i < n; ++i) {
            if (known[i] || !m_loader)
                continue;
            const std::optional<qint64> used = m_loader(checks[qsizetype(i)].key(), checks[qsizetype(i)].window);
            if (!used)
                return Error::storage(QStringLiteral("the usage recorded for a limit could not be read"));
            initial[i] = *used;
        }
        std::vector<CounterKey> keys;
        QVariantList fresh;
        qsizetype freshRows = 0;
        for (size_t i : order) {
            const LimitCheck& c = checks[qsizetype(i)];
            keys.push_back(c.key());
            if (!known[i]) {
                fresh += keyArgs(c.key()) + QVariantList {c.window.end, initial[i]};
                ++freshRows;
            }
        }
        if (freshRows) {
            auto r = runSql(tx,
                            QStringLiteral("INSERT INTO limit_counters (%1, window_end, used, reserved) SELECT v.*, 0"
                                           " FROM (VALUES %2) AS v ON CONFLICT DO NOTHING")
                                .arg(kKeyColumns, valueRows(freshRows, 2)),
                            fresh);
            if (!r.ok())
                return r.error();
        }
        auto rows = lockCounters(tx, keys);
        if (!rows.ok())
            return rows.error();
        for (size_t i = 0; i < n; ++i) {
            const LimitCheck& c = checks[qsizetype(i)];
            auto it = rows->find(c.key());
            if (it == rows->end())
                return Error::storage(QStringLiteral("a limit counter is missing"));
            used[i] = it->second.used;
            reserved[i] = it->second.reserved;
            // This instance's own unused lease is in `reserved` but holds nothing.
            room[i] = c.enforce ? c.limit - used[i] - reserved[i] + free[i] : std::numeric_limits<qint64>::max() / 4;
        }
        const qint64 granted = grantOutput(checks, room, amounts);
        d.grantedOutputTokens = granted;
        d.reduced = granted < amounts.maxOutputTokens;
        cost = amounts.inputCost + amounts.outputPrice * granted;
        tokens = amounts.inputTokens + granted;
        for (size_t i = 0; i < n; ++i) {
            LimitCheck& c = checks[qsizetype(i)];
            c.used = used[i];
            c.reserved = std::max<qint64>(0, reserved[i] - free[i]);
        }
        decide(d, checks, cost, tokens, now);
        allowed = d.allowed;
        if (!allowed)
            return {}; // commits the new rows only
        std::vector<std::tuple<CounterKey, qint64, qint64>> adds;
        QVariantList leases;
        for (size_t i : order) {
            const LimitCheck& c = checks[qsizetype(i)];
            const qint64 want = need(c.metric, cost, tokens);
            const qint64 shortfall = std::max<qint64>(0, want - free[i]);
            if (shortfall == 0)
                continue;
            qint64 slice = 0;
            if (c.enforce) {
                const qint64 after = c.limit - used[i] - reserved[i] - shortfall;
                if (want > 0 && after / want >= kSliceMinimum)
                    slice = after / kSliceDivisor;
                tight[i] = slice == 0;
            }
            take[i] = shortfall + slice;
            adds.emplace_back(c.key(), 0, take[i]);
            leases += QVariantList {m_instance} + keyArgs(c.key()) + QVariantList {take[i]};
        }
        if (adds.empty())
            return {};
        if (Status u = addToCounters(tx, adds); !u.ok())
            return u;
        const QString leaseRow = QStringLiteral("(?, ?, ?, ?, ?, ?, ?)");
        auto l =
            runSql(tx,
                   QStringLiteral("INSERT INTO limit_leases (instance, %1, amount) VALUES %2 ON CONFLICT (instance,"
                                  " %1) DO UPDATE SET amount = limit_leases.amount + EXCLUDED.amount")
                       .arg(kKeyColumns, QStringList(qsizetype(adds.size()), leaseRow).join(QStringLiteral(", "))),
                   leases);
        return l.ok() ? Status {} : Status(l.error());
    });
    if (!s.ok()) {
        // A deadlock or a serialization failure between instances is worth another try; a database that is gone is
        // not (admission fails closed, with the request id in the error the client gets).
        if (attempt < 3)
            return Trip::Failed;
        return unavailable(s.error().message);
    }

    std::lock_guard lock(m_mutex);
    for (size_t i = 0; i < n; ++i) {
        Shared* c = counters[i];
        c->rowKnown = true;
        c->used = used[i];
        c->reserved = reserved[i] + take[i];
        c->granted += take[i];
        if (take[i] > 0)
            c->tight = tight[i];
        const LimitCheck& check = checks[qsizetype(i)];
        if (check.enforce && check.limit < c->limitSeen)
            c->tight = true; // lowered: what this instance leased under the old limit goes back
        c->limitSeen = check.limit;
    }
    if (!allowed) {
        d.checks = checks;
        return Trip::Refused;
    }
    Decision taken;
    if (!takeLocal(counters, checks, cost, tokens, taken))
        return Trip::Again; // requests served from the leases took what this trip added: go again
    d.reservation = std::move(taken.reservation);
    d.checks = checks;
    return Trip::Admitted;
}

Decision SharedLedger::explain(QList<LimitCheck> checks, const AdmissionAmounts& amounts)
{
    Decision d;
    const size_t n = size_t(checks.size());
    std::vector<qint64> room(n);
    for (size_t i = 0; i < n; ++i) {
        LimitCheck& c = checks[qsizetype(i)];
        qint64 own = 0;
        {
            std::lock_guard lock(m_mutex);
            if (auto it = m_counters.find(c.key()); it != m_counters.end())
                own = it->second.free();
        }
        auto r =
            runSql(m_db.connection(), QStringLiteral("SELECT used, reserved FROM limit_counters WHERE %1").arg(kKey),
                   keyArgs(c.key()));
        if (!r.ok()) {
            d.unavailable = true;
            d.retryAfterSeconds = 1;
            d.checks = std::move(checks);
            return d;
        }
        if (r->next()) {
            c.used = r->value(0).toLongLong();
            c.reserved = std::max<qint64>(0, r->value(1).toLongLong() - own);
        } else {
            const std::optional<qint64> used = m_loader ? m_loader(c.key(), c.window) : std::optional<qint64>(0);
            if (!used) {
                d.unavailable = true;
                d.retryAfterSeconds = 1;
                d.checks = std::move(checks);
                return d;
            }
            c.used = *used;
            c.reserved = 0;
        }
        room[i] = c.limit - c.used - c.reserved;
    }
    const qint64 granted = grantOutput(checks, room, amounts);
    d.grantedOutputTokens = granted;
    d.reduced = granted < amounts.maxOutputTokens;
    decide(d, checks, amounts.inputCost + amounts.outputPrice * granted, amounts.inputTokens + granted, m_clock.now());
    d.checks = std::move(checks);
    return d;
}

void SharedLedger::settle(Reservation& r, Money actualCost, qint64 actualTokens, quint64 ticket)
{
    if (r.m_holds.empty())
        return;
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        auto& pending = m_pending[ticket];
        for (const Reservation::Hold& h : r.m_holds) {
            if (!h.counter)
                continue;
            auto* c = static_cast<Shared*>(h.counter);
            c->inflight -= need(h.metric, r.m_cost, r.m_tokens);
            const qint64 actual = need(h.metric, actualCost, actualTokens);
            c->spent += actual;
            --c->holders;
            pending.emplace_back(c, actual);
            if (c->tight && c->free() > 0)
                wake = m_returnSoon = true;
        }
        if (pending.empty() || !ticket)
            m_pending.erase(ticket); // no record will name it: what it spent stays leased until shutdown
    }
    r.m_holds.clear();
    if (wake)
        m_wake.notify_all(); // close to a limit, what this request did not use goes back now
}

Status SharedLedger::charge(QSqlDatabase& tx, const QList<UsageRecord>& records)
{
    std::map<CounterKey, std::pair<Shared*, qint64>, KeyOrder> own;
    QList<const UsageRecord*> foreign;
    {
        std::lock_guard lock(m_mutex);
        m_charging.clear();
        for (const UsageRecord& rec : records) {
            auto it = rec.ledgerTicket ? m_pending.find(rec.ledgerTicket) : m_pending.end();
            if (it != m_pending.end()) {
                for (const auto& [counter, amount] : it->second) {
                    auto& slot = own[counter->key];
                    slot.first = counter;
                    slot.second += amount;
                }
            } else if (rec.status != UsageStatus::Denied) {
                foreign.append(&rec);
            }
        }
    }
    if (!own.empty()) {
        std::vector<CounterKey> keys;
        std::vector<std::pair<CounterKey, qint64>> amounts;
        for (const auto& [key, slot] : own) {
            keys.push_back(key);
            amounts.emplace_back(key, slot.second);
        }
        if (auto locked = lockCounters(tx, keys); !locked.ok())
            return locked.error();
        auto held = takeFromLeases(tx, m_instance, amounts);
        if (!held.ok())
            return held.error();
        // Without its lease (taken back while this instance was cut off) the amount is no longer in reserved.
        std::vector<std::tuple<CounterKey, qint64, qint64>> adds;
        for (const auto& [key, amount] : amounts) {
            const bool leased = std::find(held->begin(), held->end(), key) != held->end();
            adds.emplace_back(key, amount, leased ? -amount : 0);
            m_charging.emplace_back(own[key].first, amount);
        }
        if (Status u = addToCounters(tx, adds); !u.ok())
            return u;
    }
    if (foreign.isEmpty())
        return {};
    auto any = runSql(tx, QStringLiteral("SELECT EXISTS (SELECT 1 FROM limit_counters)"));
    if (!any.ok())
        return any.error();
    if (!any->next() || !any->value(0).toBool())
        return {};
    for (const UsageRecord* rec : std::as_const(foreign)) {
        std::vector<std::pair<ScopeKind, Id>> scopes {{ScopeKind::User, rec->userId},
                                                      {ScopeKind::Key, rec->keyId},
                                                      {ScopeKind::Project, rec->projectId},
                                                      {ScopeKind::Customer, rec->customerId},
                                                      {ScopeKind::Organization, rec->orgId}};
        for (Id g : rec->groupIds.value_or(QList<Id> {}))
            scopes.emplace_back(ScopeKind::Group, g);
        for (const auto& [scope, id] : scopes) {
            if (!id)
                continue;
            auto u = runSql(tx,
                            QStringLiteral("UPDATE limit_counters SET used = used + CASE metric WHEN ? THEN ? WHEN ?"
                                           " THEN ? ELSE 1 END WHERE scope = ? AND scope_id = ? AND window_start <= ?"
                                           " AND window_end > ?"),
                            {int(Metric::Cost), rec->cost, int(Metric::Tokens), rec->inputTokens + rec->outputTokens,
                             int(scope), id, rec->time, rec->time});
            if (!u.ok())
                return u.error();
        }
    }
    return {};
}

void SharedLedger::charged(const QList<UsageRecord>& records)
{
    std::lock_guard lock(m_mutex);
    for (const auto& [counter, amount] : m_charging) {
        counter->spent -= amount;
        counter->granted -= amount;
        counter->used += amount;
        counter->reserved -= amount;
    }
    m_charging.clear();
    for (const UsageRecord& rec : records)
        if (rec.ledgerTicket)
            m_pending.erase(rec.ledgerTicket);
}

void SharedLedger::maintain()
{
    int ticks = 0;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(lock, kTick, [this] { return m_stop || m_returnSoon; });
            if (m_stop)
                break;
            m_returnSoon = false;
        }
        returnFree(false);
        if (++ticks % kHeartbeatTicks == 0) {
            heartbeat();
            reclaimExpired();
            prune();
        }
    }
    releaseAll();
    m_db.closeThreadConnection();
}

void SharedLedger::returnFree(bool everything)
{
    // Taken from the leases here first, so no admission uses what is on its way back.
    std::map<CounterKey, std::pair<Shared*, qint64>, KeyOrder> back;
    const Instant now = m_clock.now();
    {
        std::lock_guard lock(m_mutex);
        for (auto& [key, c] : m_counters) {
            const qint64 f = c.free();
            if (f <= 0)
                continue;
            if (everything || c.tight || now - c.lastUse >= kIdleMs || now >= c.windowEnd) {
                c.granted -= f;
                back[key] = {&c, f};
            }
        }
    }
    if (back.empty())
        return;
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        std::vector<CounterKey> keys;
        std::vector<std::pair<CounterKey, qint64>> amounts;
        for (const auto& [key, slot] : back) {
            keys.push_back(key);
            amounts.emplace_back(key, slot.second);
        }
        if (auto locked = lockCounters(tx, keys); !locked.ok())
            return locked.error();
        auto held = takeFromLeases(tx, m_instance, amounts);
        if (!held.ok())
            return held.error();
        std::vector<std::tuple<CounterKey, qint64, qint64>> adds;
        for (const CounterKey& key : *held)
            adds.emplace_back(key, 0, -back[key].second);
        return addToCounters(tx, adds);
    });
    std::lock_guard lock(m_mutex);
    for (auto& [key, slot] : back) {
        if (s.ok())
            slot.first->reserved -= slot.second;
        else
            slot.first->granted += slot.second; // still leased: try again later
    }
    if (!s.ok())
        qCWarning(lcShared).noquote() << "cannot return unused leases:" << s.error().message;
}

void SharedLedger::heartbeat()
{
    auto r = runSql(m_db.connection(),
                    QStringLiteral("UPDATE limit_instances SET expires_at = %1 + ? WHERE instance = ?").arg(kNow),
                    {m_leaseMs, m_instance});
    if (!r.ok()) {
        qCWarning(lcShared).noquote() << "cannot renew this instance's leases:" << r.error().message;
        return;
    }
    if (r->numRowsAffected() > 0)
        return;
    // Cut off for longer than the lease time: the others took the leases back. Register again and hold what the
    // requests in flight and the unwritten records still need.
    qCCritical(lcShared).noquote() << "this instance's leases expired (it could not reach the database for"
                                   << m_leaseMs / 1000 << "s); holding its requests in flight again";
    std::vector<std::pair<CounterKey, qint64>> hold;
    {
        std::lock_guard lock(m_mutex);
        for (auto& [key, c] : m_counters) {
            c.granted = c.inflight + c.spent;
            if (c.granted > 0)
                hold.emplace_back(key, c.granted);
        }
    }
    std::sort(hold.begin(), hold.end(), [](const auto& a, const auto& b) { return keyLess(a.first, b.first); });
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        auto i = runSql(
            tx, QStringLiteral("INSERT INTO limit_instances (instance, expires_at) VALUES (?, %1 + ?)").arg(kNow),
            {m_instance, m_leaseMs});
        if (!i.ok())
            return i.error();
        for (const auto& [key, amount] : hold) {
            auto u = runSql(tx, QStringLiteral("UPDATE limit_counters SET reserved = reserved + ? WHERE %1").arg(kKey),
                            QVariantList {amount} + keyArgs(key));
            if (!u.ok())
                return u.error();
            auto l = runSql(tx,
                            QStringLiteral("INSERT INTO limit_leases (instance, scope, scope_id, metric, window_kind,"
                                           " window_start, amount) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                            QVariantList {m_instance} + keyArgs(key) + QVariantList {amount});
            if (!l.ok())
                return l.error();
        }
        return {};
    });
    if (!s.ok())
        qCWarning(lcShared).noquote() << "cannot register this instance again:" << s.error().message;
}

void SharedLedger::reclaimExpired()
{
    auto gone = runSql(m_db.connection(),
                       QStringLiteral("SELECT instance FROM limit_instances WHERE expires_at < %1").arg(kNow));
    if (!gone.ok())
        return;
    QStringList instances;
    while (gone->next())
        instances << gone->value(0).toString();
    for (const QString& instance : std::as_const(instances)) {
        int leases = 0;
        Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
            if (auto dropped = dropLeases(tx, instance); !dropped.ok())
                return dropped.error();
            else
                leases = *dropped;
            auto i = runSql(
                tx, QStringLiteral("DELETE FROM limit_instances WHERE instance = ? AND expires_at < %1").arg(kNow),
                {instance});
            return i.ok() ? Status {} : Status(i.error());
        });
        if (s.ok())
            qCInfo(lcShared).noquote() << "took back" << leases << "leases of" << instance
                                       << "(it stopped renewing them)";
        else
            qCWarning(lcShared).noquote() << "cannot take back the leases of" << instance << ":" << s.error().message;
    }
    // Counters of windows that ended an hour ago and that nobody holds.
    runSql(m_db.connection(),
           QStringLiteral("DELETE FROM limit_counters c WHERE window_end < ? AND NOT EXISTS (SELECT 1 FROM limit_leases"
                          " l WHERE l.scope = c.scope AND l.scope_id = c.scope_id AND l.metric = c.metric AND"
                          " l.window_kind = c.window_kind AND l.window_start = c.window_start)"),
           {m_clock.now() - 3'600'000});
}

Result<int> SharedLedger::dropLeases(QSqlDatabase& tx, const QString& instance)
{
    auto l = runSql(tx, QStringLiteral("SELECT %1 FROM limit_leases WHERE instance = ?").arg(kKeyColumns), {instance});
    if (!l.ok())
        return l.error();
    std::vector<CounterKey> keys;
    while (l->next())
        keys.push_back(keyAt(*l));
    if (keys.empty())
        return 0;
    std::sort(keys.begin(), keys.end(), keyLess);
    // The counters first, then the leases: the order every transaction here takes them in.
    if (auto locked = lockCounters(tx, keys); !locked.ok())
        return locked.error();
    auto d =
        runSql(tx, QStringLiteral("DELETE FROM limit_leases WHERE instance = ? RETURNING %1, amount").arg(kKeyColumns),
               {instance});
    if (!d.ok())
        return d.error();
    std::vector<std::tuple<CounterKey, qint64, qint64>> adds;
    while (d->next())
        adds.emplace_back(keyAt(*d), 0, -d->value(5).toLongLong());
    if (Status u = addToCounters(tx, adds); !u.ok())
        return u.error();
    return int(adds.size());
}

void SharedLedger::releaseAll()
{
    returnFree(true);
    // What is left is held by records that never reached the database: they stay journalled, and count when the
    // journal is replayed.
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        if (auto dropped = dropLeases(tx, m_instance); !dropped.ok())
            return dropped.error();
        auto i = runSql(tx, QStringLiteral("DELETE FROM limit_instances WHERE instance = ?"), {m_instance});
        return i.ok() ? Status {} : Status(i.error());
    });
    if (!s.ok())
        qCWarning(lcShared).noquote() << "cannot return this instance's leases (they expire in" << m_leaseMs / 1000
                                      << "s):" << s.error().message;
}

int SharedLedger::prune()
{
    const Instant now = m_clock.now();
    std::lock_guard lock(m_mutex);
    int dropped = 0;
    for (auto it = m_counters.begin(); it != m_counters.end();) {
        const Shared& c = it->second;
        if (now >= c.windowEnd && c.holders == 0 && c.inflight == 0 && c.spent == 0 && c.granted == 0) {
            it = m_counters.erase(it);
            ++dropped;
        } else {
            ++it;
        }
    }
    return dropped;
}

qint64 SharedLedger::counterCount() const
{
    std::lock_guard lock(m_mutex);
    return qint64(m_counters.size());
}

std::optional<Counter> SharedLedger::peek(const CounterKey& key) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_counters.find(key);
    if (it == m_counters.end())
        return std::nullopt;
    return Counter(it->second);
}

} // namespace tollgate
