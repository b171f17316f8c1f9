// The ledger shared by every instance on one PostgreSQL database: counters and leases in the database.

#include "core/ledger/sharedledger.h"

#include "core/ledger/countersql.h"
#include "core/storage/database.h"

#include <QCoreApplication>
#include <QSysInfo>
#include <QUuid>

#include <algorithm>
#include <map>

namespace tollgate {

using namespace countersql;

namespace {
constexpr qint64 kSliceDivisor = 16; // a slice is this part of the headroom left
constexpr qint64 kSliceMinimum = 64; // no slice when fewer requests than this fit in the headroom left
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
    // From this instance's leases, when they hold the whole request.
    auto fromLeases = [&]() -> std::optional<Decision> {
        std::lock_guard lock(m_mutex);
        Decision d;
        if (!takeLocal(entries(checks), checks, fullCost, fullTokens, d))
            return std::nullopt;
        d.grantedOutputTokens = amounts.maxOutputTokens;
        admitted(d, fullCost, fullTokens);
        return d;
    };
    if (auto d = fromLeases())
        return std::move(*d);
    std::lock_guard trips(m_tripMutex);
    for (int failed = 0;;) {
        if (auto d = fromLeases())
            return std::move(*d); // another admission's transaction leased enough meanwhile
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
            const std::optional<qint64> recorded = m_loader(checks[qsizetype(i)].key(), checks[qsizetype(i)].window);
            if (!recorded)
                return Error::storage(QStringLiteral("the usage recorded for a limit could not be read"));
            initial[i] = *recorded;
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
        std::vector<std::pair<CounterKey, qint64>> amounts;
        for (const auto& [key, slot] : own)
            amounts.emplace_back(key, slot.second);
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
