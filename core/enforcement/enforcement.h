#pragma once

#include "core/ledger/ledger.h"
#include "core/ledger/sharedledger.h"
#include "core/org/snapshot.h"
#include "core/policy/policy.h"

#include <QCoreApplication>
#include <QHash>

#include <atomic>
#include <memory>
#include <shared_mutex>

namespace tollgate {

class Database;
class OrgState;

// Who is asking, for what: the input to admission and to the explanation of a decision.
struct RequestScope
{
    Id keyId = 0;
    Id userId = 0; // the principal (the key's holder, or the group member named by the request)
    Id customerId = 0;
    QString model;
};

// The outcome of resolving a request's principal and model before any counter is touched.
struct Preflight
{
    bool allowed = true;
    QString reason; // why not
    QString code; // "model_not_found", "model_not_allowed", "key_model_not_allowed", "user_inactive"
    PolicySource source;
    EffectivePolicy policy;
    ModelInfo model;
    QList<LimitCheck> checks; // every limit in force
    QList<Id> groups; // what the request counts for (UsageRecord::groupIds), whether allowed or not
};

// The one money path: what limits a request is under (preflight), reserving its worst case on every counter at
// once (admit), what would be decided (explain), and replacing the reservation by what the request really cost
// (settle). The gateway, the admin API's explain endpoint, the console and the tests all go through these calls.
// Counters start from the usage recorded in their window; when that cannot be read, admission fails closed.
class Enforcement final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Enforcement)

public:
    Enforcement(const Database& db, const Clock& clock, const OrgState& org);
    ~Enforcement();
    Q_DISABLE_COPY_MOVE(Enforcement)

    // Resolves the policy and model access in `s`, and lists every limit in force for the request. Cached per key,
    // principal, customer and model until the snapshot changes or the first of its limit windows ends.
    Preflight preflight(const Snapshot& s, const RequestScope& scope) const;
    Preflight preflight(const RequestScope& scope) const;
    // Preflight, then reserve on every counter: the gateway's admission.
    Decision admit(const Snapshot& s, const RequestScope& scope, const AdmissionAmounts& amounts,
                   Preflight* preflightOut = nullptr);
    Decision admit(const RequestScope& scope, const AdmissionAmounts& amounts, Preflight* preflightOut = nullptr);
    // What admit() would decide now, reserving nothing.
    Decision explain(const RequestScope& scope, const AdmissionAmounts& amounts, Preflight* preflightOut = nullptr);
    // Replaces the decision's reservation by the record's cost and tokens; once per admitted request, before its
    // record is written (Usage::recordUsage or the UsageWriter). Stamps the record's ledgerTicket.
    void settle(Decision& decision, UsageRecord& record);
    // In the transaction that writes usage records, and after it committed: the shared ledger moves what they cost
    // into its counters (Usage::setCharges). Nothing for the local ledger, which counted them at settle().
    Status charge(QSqlDatabase& tx, const QList<UsageRecord>& records);
    void charged(const QList<UsageRecord>& records);
    // Whether the counters are shared by every instance on the database (PostgreSQL).
    bool shared() const { return m_shared != nullptr; }

    // The counters, for benchmarks and the tests of the ledger's behaviour under the service.
    Ledger& ledger() { return *m_ledger; }
    // Forgets every counter (they reload from the records): after the usage records were deleted.
    void reset();

private:
    Preflight resolve(const Snapshot& s, const RequestScope& scope) const;
    QList<LimitCheck> limitsFor(const Snapshot& s, const RequestScope& scope, const EffectivePolicy& policy,
                                const QList<Id>& groups) const;
    std::optional<qint64> loadCounter(const CounterKey& key, const Window& window) const;

    const Database& m_db;
    const Clock& m_clock;
    const OrgState& m_org;
    std::unique_ptr<Ledger> m_ledger;
    SharedLedger* m_shared = nullptr; // m_ledger, when it is one
    std::atomic<quint64> m_tickets {0};

    struct PreflightKey
    {
        Id keyId = 0;
        Id userId = 0;
        Id customerId = 0;
        QString model;
        friend bool operator==(const PreflightKey&, const PreflightKey&) = default;
        friend size_t qHash(const PreflightKey& k, size_t seed = 0)
        {
            return qHashMulti(seed, k.keyId, k.userId, k.customerId, k.model);
        }
    };
    struct CachedPreflight
    {
        quint64 version = 0; // of the snapshot it was resolved in
        Instant validFrom = 0;
        Instant validUntil = 0;
        Preflight preflight;
    };
    mutable std::shared_mutex m_preflightLock;
    mutable QHash<PreflightKey, CachedPreflight> m_preflights;
};

} // namespace tollgate
