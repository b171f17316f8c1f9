#include "core/ledger/ledger.h"

#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcLedger, "tollgate.core.ledger", QtInfoMsg)

namespace tollgate {

QString scopeKindName(ScopeKind s)
{
    switch (s) {
    case ScopeKind::User: return QStringLiteral("user");
    case ScopeKind::Key: return QStringLiteral("key");
    case ScopeKind::Project: return QStringLiteral("project");
    case ScopeKind::Group: return QStringLiteral("group");
    case ScopeKind::Organization: return QStringLiteral("organization");
    case ScopeKind::Customer: return QStringLiteral("customer");
    }
    return {};
}

QString metricName(Metric m)
{
    switch (m) {
    case Metric::Cost: return QStringLiteral("cost");
    case Metric::Tokens: return QStringLiteral("tokens");
    case Metric::Requests: return QStringLiteral("requests");
    }
    return {};
}

LocalLedger::LocalLedger(const Clock& clock, Loader loader)
    : m_clock(clock)
    , m_loader(std::move(loader))
{
}

bool LocalLedger::ensureCounters(const QList<LimitCheck>& checks)
{
    // Find the missing counters under the lock, load them without it (the loader may query the database), then
    // insert them unless another thread won the race.
    std::vector<CounterKey> missing;
    {
        std::lock_guard lock(m_mutex);
        for (const LimitCheck& c : checks) {
            const CounterKey k = c.key();
            if (!m_counters.contains(k))
                missing.push_back(k);
        }
    }
    if (missing.empty())
        return true;
    std::vector<std::optional<Counter>> loaded(missing.size());
    bool complete = true;
    for (size_t i = 0; i < missing.size(); ++i) {
        for (const LimitCheck& c : checks) {
            if (c.key() == missing[i]) {
                Counter counter;
                counter.windowEnd = c.window.end;
                if (m_loader) {
                    const std::optional<qint64> used = m_loader(missing[i], c.window);
                    if (!used) {
                        qCWarning(lcLedger).noquote()
                            << "refusing admission: the" << metricName(c.metric) << "recorded for"
                            << scopeKindName(c.scope) << c.scopeId << "could not be read";
                        complete = false;
                        break;
                    }
                    counter.used = *used;
                }
                loaded[i] = counter;
                break;
            }
        }
    }
    std::lock_guard lock(m_mutex);
    for (size_t i = 0; i < missing.size(); ++i)
        if (loaded[i])
            m_counters.try_emplace(missing[i], *loaded[i]);
    return complete;
}

Decision LocalLedger::admit(QList<LimitCheck> checks, const AdmissionAmounts& amounts)
{
    return evaluate(std::move(checks), amounts, true);
}

Decision LocalLedger::explain(QList<LimitCheck> checks, const AdmissionAmounts& amounts)
{
    return evaluate(std::move(checks), amounts, false);
}

qint64 Ledger::grantOutput(const QList<LimitCheck>& checks, const std::vector<qint64>& room,
                           const AdmissionAmounts& amounts)
{
    qint64 granted = amounts.maxOutputTokens;
    for (qsizetype i = 0; i < checks.size(); ++i) {
        const LimitCheck& c = checks[i];
        if (!c.enforce || c.metric == Metric::Requests)
            continue;
        const qint64 fixed = c.metric == Metric::Cost ? amounts.inputCost : amounts.inputTokens;
        const qint64 perToken = c.metric == Metric::Cost ? amounts.outputPrice : 1;
        if (perToken <= 0)
            continue;
        const qint64 r = room[size_t(i)];
        const qint64 fit = r >= fixed ? (r - fixed) / perToken : -1;
        if (fit < granted && fit >= amounts.minOutputTokens && amounts.minOutputTokens > 0)
            granted = fit;
    }
    return granted;
}

void Ledger::decide(Decision& d, QList<LimitCheck>& checks, Money cost, qint64 tokens, Instant now)
{
    bool allowed = true;
    Instant latestReset = 0;
    for (qsizetype i = 0; i < checks.size(); ++i) {
        LimitCheck& c = checks[i];
        c.requested = c.metric == Metric::Cost ? cost : c.metric == Metric::Tokens ? tokens : 1;
        c.passed = c.used + c.reserved + c.requested <= c.limit;
        if (!c.passed && c.enforce) {
            allowed = false;
            if (d.binding < 0 || c.window.end > latestReset) {
                d.binding = int(i);
                latestReset = c.window.end;
            }
        }
    }
    d.allowed = allowed;
    if (!allowed) {
        const qint64 wait = latestReset == kEndOfTime ? 0 : (latestReset - now + 999) / 1000;
        d.retryAfterSeconds = std::max<qint64>(1, wait);
        d.grantedOutputTokens = 0;
        return;
    }
    // The binding limit is the one that runs out first at this request's size.
    double fewest = 0;
    for (qsizetype i = 0; i < checks.size(); ++i) {
        const LimitCheck& c = checks[i];
        if (!c.enforce)
            continue;
        const double remaining = double(c.left()) / double(std::max<qint64>(1, c.requested));
        if (d.binding < 0 || remaining < fewest) {
            d.binding = int(i);
            fewest = remaining;
        }
    }
}

Decision LocalLedger::evaluate(QList<LimitCheck> checks, const AdmissionAmounts& amounts, bool reserve)
{
    const Instant now = m_clock.now();
    Decision d;
    if (!ensureCounters(checks)) {
        d.unavailable = true;
        d.checks = std::move(checks);
        d.retryAfterSeconds = 1;
        return d;
    }
    std::vector<Counter*> counters(size_t(checks.size()), nullptr);
    std::vector<qint64> room(size_t(checks.size()), 0);

    std::lock_guard lock(m_mutex);
    for (qsizetype i = 0; i < checks.size(); ++i) {
        // try_emplace: a counter pruned between ensureCounters() and here (its window just ended) starts empty.
        Counter& c = m_counters.try_emplace(checks[i].key(), Counter {0, 0, 0, checks[i].window.end}).first->second;
        counters[size_t(i)] = &c;
        checks[i].used = c.used;
        checks[i].reserved = c.reserved;
        room[size_t(i)] = checks[i].limit - c.used - c.reserved;
    }
    const qint64 granted = grantOutput(checks, room, amounts);
    d.grantedOutputTokens = granted;
    d.reduced = granted < amounts.maxOutputTokens;
    const Money cost = amounts.inputCost + amounts.outputPrice * granted;
    const qint64 tokens = amounts.inputTokens + granted;
    decide(d, checks, cost, tokens, now);
    if (d.allowed && reserve) {
        Reservation& r = d.reservation;
        r.m_cost = cost;
        r.m_tokens = tokens;
        r.m_holds.reserve(size_t(checks.size()));
        for (qsizetype i = 0; i < checks.size(); ++i) {
            Counter* c = counters[size_t(i)];
            switch (checks[i].metric) {
            case Metric::Cost: c->reserved += cost; break;
            case Metric::Tokens: c->reserved += tokens; break;
            case Metric::Requests: c->used += 1; break; // rate limits count admitted requests
            }
            ++c->holders;
            r.m_holds.push_back({c, checks[i].metric});
        }
        if (r.m_holds.empty())
            r.m_holds.push_back({nullptr, Metric::Requests}); // an admitted request with no limits still settles
    }
    d.checks = std::move(checks);
    return d;
}

void LocalLedger::settle(Reservation& r, Money actualCost, qint64 actualTokens, quint64)
{
    if (r.m_holds.empty())
        return;
    std::lock_guard lock(m_mutex);
    for (const Reservation::Hold& h : r.m_holds) {
        if (!h.counter)
            continue;
        switch (h.metric) {
        case Metric::Cost:
            h.counter->reserved -= r.m_cost;
            h.counter->used += actualCost;
            break;
        case Metric::Tokens:
            h.counter->reserved -= r.m_tokens;
            h.counter->used += actualTokens;
            break;
        case Metric::Requests: break;
        }
        --h.counter->holders;
    }
    r.m_holds.clear();
}

int LocalLedger::prune()
{
    const Instant now = m_clock.now();
    std::lock_guard lock(m_mutex);
    int dropped = 0;
    for (auto it = m_counters.begin(); it != m_counters.end();) {
        const bool ended = now >= it->second.windowEnd;
        if (ended && it->second.holders == 0) {
            it = m_counters.erase(it);
            ++dropped;
        } else {
            ++it;
        }
    }
    qCDebug(lcLedger) << "pruned" << dropped << "counters";
    return dropped;
}

qint64 LocalLedger::counterCount() const
{
    std::lock_guard lock(m_mutex);
    return qint64(m_counters.size());
}

std::optional<Counter> LocalLedger::peek(const CounterKey& key) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_counters.find(key);
    if (it == m_counters.end())
        return std::nullopt;
    return it->second;
}

} // namespace tollgate
