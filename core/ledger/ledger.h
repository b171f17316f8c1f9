#pragma once

#include "core/domain/domain.h"

#include <QList>

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tollgate {

// The scopes a request is counted in. docs/design.md "Policy semantics": every scope that applies is checked on its
// own.
enum class ScopeKind : quint8 { User, Key, Project, Group, Organization, Customer };
QString scopeKindName(ScopeKind s); // "user", "key", ...

// What a counter counts.
enum class Metric : quint8 { Cost, Tokens, Requests };
QString metricName(Metric m); // "cost", "tokens", "requests"

struct CounterKey
{
    ScopeKind scope = ScopeKind::User;
    Metric metric = Metric::Cost;
    WindowKind window = WindowKind::Month;
    Id scopeId = 0;
    Instant windowStart = 0;
    friend bool operator==(const CounterKey&, const CounterKey&) = default;
};

struct CounterKeyHash
{
    size_t operator()(const CounterKey& k) const noexcept
    {
        quint64 h = quint64(k.scopeId) * 0x9E3779B97F4A7C15ull;
        h ^= quint64(k.windowStart) + 0x7F4A7C159E3779B9ull + (h << 6) + (h >> 2);
        h ^= (quint64(k.scope) << 16 | quint64(k.metric) << 8 | quint64(k.window)) * 0xBF58476D1CE4E5B9ull;
        return size_t(h ^ (h >> 31));
    }
};

// One limit in force for a request, and after admission what the ledger saw.
struct LimitCheck
{
    ScopeKind scope = ScopeKind::User;
    Id scopeId = 0;
    QString scopeName;
    Metric metric = Metric::Cost;
    Window window;
    qint64 limit = 0;
    // Group budgets in "warn" mode are counted and reported, never refused on.
    bool enforce = true;
    // The setting this limit comes from: a policy dimension name ("monthlyCostLimit") or a scope cap
    // ("keyMonthlyCap", "projectMonthlyLimit", "groupMonthlyBudget", "organizationMonthlyBudget",
    // "customerRateLimit", "customerPeriodBudget", "customerTotalBudget").
    QString setting;
    PolicySource source; // for the user's policy: the level it resolved from

    // Filled in by the ledger.
    qint64 used = 0; // settled usage (and, for requests, admitted requests) in the window
    qint64 reserved = 0; // held by requests in flight
    qint64 requested = 0; // what this request needs (after any max_tokens reduction)
    bool passed = true;

    qint64 left() const { return std::max<qint64>(0, limit - used - reserved); }
    CounterKey key() const { return {scope, metric, window.kind, scopeId, window.start}; }
};

// What a request may cost at most. The estimate is input + maxOutputTokens of output.
struct AdmissionAmounts
{
    Money inputCost = 0; // input tokens at the input price
    qint64 inputTokens = 0;
    Money outputPrice = 0; // nano-dollars per output token
    qint64 maxOutputTokens = 0;
    // When > 0 and a cost or token limit has room for fewer output tokens than maxOutputTokens (but at least this
    // many), admit with the lowered max_tokens instead of refusing.
    qint64 minOutputTokens = 0;

    Money estimatedCost() const { return inputCost + outputPrice * maxOutputTokens; }
    qint64 estimatedTokens() const { return inputTokens + maxOutputTokens; }
};

struct Counter
{
    qint64 used = 0;
    qint64 reserved = 0;
    int holders = 0; // live reservations that point at this counter
    Instant windowEnd = kEndOfTime; // the counter can be forgotten after this, once no reservation holds it
};

// A successful admission's hold on counters; settle or release it exactly once.
class Reservation final
{
public:
    Reservation() = default;
    Reservation(Reservation&&) noexcept = default;
    Reservation& operator=(Reservation&&) noexcept = default;
    Q_DISABLE_COPY(Reservation)

    bool isActive() const { return !m_holds.empty(); }
    Money cost() const { return m_cost; }
    qint64 tokens() const { return m_tokens; }

private:
    friend class Ledger;
    friend class LocalLedger;
    friend class SharedLedger;
    struct Hold
    {
        Counter* counter;
        Metric metric;
    };
    std::vector<Hold> m_holds;
    Money m_cost = 0;
    qint64 m_tokens = 0;
};

struct Decision
{
    bool allowed = false;
    QList<LimitCheck> checks; // every limit in force, with used, reserved and left
    int binding = -1; // index into checks: the limit that refused, or the one closest to running out
    qint64 grantedOutputTokens = 0; // max_tokens to forward (lower than asked when reduced)
    bool reduced = false;
    qint64 retryAfterSeconds = 0; // when refused: until the binding window resets
    // Refused because the usage already recorded for a limit could not be read (a storage error): admission fails
    // closed, since starting that counter at zero could let the limit be overspent.
    bool unavailable = false;
    Reservation reservation;

    const LimitCheck* bindingCheck() const { return binding >= 0 ? &checks[binding] : nullptr; }
};

// The enforcement ledger. Admission reserves the largest possible cost on every counter that applies, all or
// nothing, so concurrent requests can never spend past a limit; settlement replaces the reservation by the real
// cost. Two implementations: LocalLedger counts in memory (one instance on its own database, SQLite's case);
// SharedLedger (core/ledger/sharedledger.h) counts in PostgreSQL for every instance on the database.
class Ledger
{
public:
    // Returns the settled usage already recorded for a counter's window (sum of cost or tokens, or count of
    // admitted requests), or nothing when it cannot be read; the counter is then not created, and a request that
    // needs it is refused (Decision::unavailable) until a later load succeeds.
    using Loader = std::function<std::optional<qint64>(const CounterKey&, const Window&)>;

    Ledger() = default;
    virtual ~Ledger() = default;
    Q_DISABLE_COPY_MOVE(Ledger)

    virtual Decision admit(QList<LimitCheck> checks, const AdmissionAmounts& amounts) = 0;
    // Fills used/reserved/left without reserving: the explanation of what admit() would decide now.
    virtual Decision explain(QList<LimitCheck> checks, const AdmissionAmounts& amounts) = 0;

    // Replaces the reservation by the real cost and tokens; `ticket` is the UsageRecord::ledgerTicket of the record
    // that will carry them (the shared ledger moves the amounts to the counters when that record is written).
    virtual void settle(Reservation& reservation, Money actualCost, qint64 actualTokens, quint64 ticket = 0) = 0;
    // Drops the reservation without charging (a request that never reached the provider).
    void release(Reservation& reservation) { settle(reservation, 0, 0); }

    // Forgets counters whose window has ended and that no reservation holds. Returns how many were dropped.
    virtual int prune() = 0;

    virtual qint64 counterCount() const = 0;
    // Used and reserved of one counter, if this instance knows it.
    virtual std::optional<Counter> peek(const CounterKey& key) const = 0;

protected:
    // The output tokens that fit under every enforced cost and token limit, given each limit's room.
    static qint64 grantOutput(const QList<LimitCheck>& checks, const std::vector<qint64>& room,
                              const AdmissionAmounts& amounts);
    // Sets requested and passed on every check, and allowed, binding and retryAfterSeconds on the decision.
    static void decide(Decision& d, QList<LimitCheck>& checks, Money cost, qint64 tokens, Instant now);
};

// Counters in this process's memory, created on first use with the usage already recorded in their window read
// through the loader (outside the lock); every admission and settlement under one lock.
class LocalLedger final : public Ledger
{
public:
    explicit LocalLedger(const Clock& clock, Loader loader = {});

    Decision admit(QList<LimitCheck> checks, const AdmissionAmounts& amounts) override;
    Decision explain(QList<LimitCheck> checks, const AdmissionAmounts& amounts) override;
    void settle(Reservation& reservation, Money actualCost, qint64 actualTokens, quint64 ticket = 0) override;
    int prune() override;
    qint64 counterCount() const override;
    std::optional<Counter> peek(const CounterKey& key) const override;

private:
    Decision evaluate(QList<LimitCheck> checks, const AdmissionAmounts& amounts, bool reserve);
    // False when a counter could not be loaded.
    bool ensureCounters(const QList<LimitCheck>& checks);

    const Clock& m_clock;
    Loader m_loader;
    mutable std::mutex m_mutex;
    std::unordered_map<CounterKey, Counter, CounterKeyHash> m_counters;
};

} // namespace tollgate
