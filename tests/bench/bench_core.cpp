// Core micro-benchmarks. Run: build/tests/bench/bench_core (or tests/bench/run).
//  - AdmitSettle: resolve the policy, reserve on every counter, settle; 10,000 users in 1,000 nested groups, with
//    limits at every level; 1 and 2 threads (both cores contending on the same organisation budget).
//  - LoadUsers: open a database holding 100,000 users (everything is read into memory).
//  - RenameUser: one user renamed in an organisation of 1,000 and of 100,000 users (the cost of a write).
//  - RecordUsage: durable usage-record writes in batches.

#include "core/service/service.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <benchmark/benchmark.h>
#include <map>

using namespace tollgate;

namespace {

QTemporaryDir& dir()
{
    static QTemporaryDir d;
    return d;
}

ManualClock& clock()
{
    static ManualClock c(QDateTime(QDate(2026, 11, 21), QTime(12, 0), QTimeZone::utc()).toMSecsSinceEpoch());
    return c;
}

std::unique_ptr<Service> openAt(const QString& file)
{
    return std::move(Service::open(DatabaseLocation::parse(dir().filePath(file)).value(), clock()).value());
}

void addUsers(Service& s, int count, const QList<Id>& groups)
{
    for (int start = 0; start < count; start += 5000) {
        QList<NewUser> batch;
        for (int i = start; i < std::min(count, start + 5000); ++i) {
            NewUser nu;
            nu.email = QStringLiteral("user%1@example.com").arg(i);
            nu.name = QStringLiteral("User %1").arg(i);
            if (!groups.isEmpty())
                nu.groupIds = {groups[i % groups.size()], groups[(i * 7 + 3) % groups.size()]};
            if (i % 10 == 0)
                nu.monthlyLimit = (200'000 + i % 50) * kNanosPerDollar;
            batch.append(nu);
        }
        if (auto r = s.directory().createUsers(batch, QStringLiteral("bench")); !r.ok())
            qFatal("%s", qPrintable(r.error().toString()));
    }
}

struct Org
{
    std::unique_ptr<Service> service;
    QList<RequestScope> scopes;
};

Org& org()
{
    static Org o = [] {
        Org out;
        out.service = openAt(QStringLiteral("org.db"));
        Service& s = *out.service;
        Organization org = s.directory().organization();
        org.monthlyBudget = 1'000'000 * kNanosPerDollar;
        org.defaultPolicy[Dimension::MonthlyCost] = Limit::of(150'000 * kNanosPerDollar); // in force, never reached
        org.defaultPolicy[Dimension::RequestsPerMinute] = Limit::of(1'000'000'000);
        org.defaultPolicy[Dimension::MaxTier] = Limit::of(4);
        org.defaultPolicy.blockedModels = ModelRule::list({QStringLiteral("claude-opus-4-1")});
        (void)s.directory().updateOrganization(org, QStringLiteral("bench"));
        QList<Id> groups;
        for (int top = 0; top < 100; ++top) {
            auto t = s.directory().createGroup(QStringLiteral("Team %1").arg(top), 0, QStringLiteral("bench"));
            Group g = *t;
            g.monthlyBudget = 100'000 * kNanosPerDollar;
            g.settings = PolicySettings {};
            (*g.settings)[Dimension::DailyCost] = Limit::of((20'000 + top) * kNanosPerDollar);
            (void)s.directory().updateGroup(g, QStringLiteral("bench"));
            groups << t->id;
            for (int sub = 0; sub < 9; ++sub) {
                auto c = s.directory().createGroup(QStringLiteral("Team %1.%2").arg(top).arg(sub), t->id,
                                                   QStringLiteral("bench"));
                if (sub % 3 == 0) {
                    Group cg = *c;
                    cg.settings = PolicySettings {};
                    (*cg.settings)[Dimension::RequestsPerHour] = Limit::of(100'000'000 + sub);
                    (void)s.directory().updateGroup(cg, QStringLiteral("bench"));
                }
                groups << c->id;
            }
        }
        addUsers(s, 10'000, groups);
        const QList<User> users = s.directory().users();
        for (int i = 0; i < 64; ++i) {
            NewKey nk;
            nk.name = QStringLiteral("key %1").arg(i);
            nk.holderUserId = users[i * 100].id;
            nk.monthlyCap = 10'000 * kNanosPerDollar;
            auto k = s.access().createKey(nk, QStringLiteral("bench"));
            out.scopes.append({k->key.id, users[i * 100].id, 0, QStringLiteral("mock-small")});
        }
        return out;
    }();
    return o;
}

void AdmitSettle(benchmark::State& state)
{
    Org& o = org();
    Service& s = *o.service;
    const RequestScope scope = o.scopes[state.thread_index() % o.scopes.size()];
    AdmissionAmounts amounts;
    amounts.inputCost = 100 * 100; // 100 tokens at mock-small's input price
    amounts.inputTokens = 100;
    amounts.outputPrice = 400;
    amounts.maxOutputTokens = 256;
    qint64 checks = 0;
    for (auto _ : state) {
        Decision d = s.enforcement().admit(scope, amounts);
        if (!d.allowed)
            state.SkipWithError("refused");
        checks = d.checks.size();
        s.enforcement().ledger().settle(d.reservation, 100 * 100 + 50 * 400, 150);
    }
    state.counters["limits_checked"] = double(checks);
}
BENCHMARK(AdmitSettle)->Threads(1)->Threads(2)->UseRealTime()->Repetitions(5)->ReportAggregatesOnly(true);

void LoadUsers(benchmark::State& state)
{
    static const bool prepared = [] {
        auto s = openAt(QStringLiteral("users100k.db"));
        addUsers(*s, 100'000, {});
        return true;
    }();
    Q_UNUSED(prepared);
    qint64 users = 0;
    for (auto _ : state) {
        auto s = openAt(QStringLiteral("users100k.db"));
        users = s->directory().userCount();
    }
    state.counters["users"] = double(users);
}
BENCHMARK(LoadUsers)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// One user renamed in an organisation of N users: validation, the transaction with its audit entry, and the new
// snapshot (only the parts a write changes are copied). N = 1,000 is the baseline for N = 100,000 in the same run.
void RenameUser(benchmark::State& state)
{
    const int users = int(state.range(0));
    static std::map<int, std::unique_ptr<Service>> orgs; // google benchmark calls this more than once per size
    std::unique_ptr<Service>& s = orgs[users];
    if (!s) {
        s = openAt(QStringLiteral("rename%1.db").arg(users));
        addUsers(*s, users, {});
    }
    User u = *s->directory().userByEmail(QStringLiteral("user%1@example.com").arg(users / 2));
    int i = 0;
    for (auto _ : state) {
        u.name = QStringLiteral("Renamed %1").arg(++i);
        u.updatedAt = 0;
        if (!s->directory().updateUser(u, QStringLiteral("bench")).ok())
            state.SkipWithError("write failed");
        clock().advance(1);
    }
    state.counters["users"] = double(users);
}
BENCHMARK(RenameUser)->Arg(1000)->Arg(100'000)->Unit(benchmark::kMicrosecond)->UseRealTime();

void RecordUsage(benchmark::State& state)
{
    Service& s = *org().service;
    const qint64 batch = state.range(0);
    QList<UsageRecord> records;
    for (qint64 i = 0; i < batch; ++i) {
        UsageRecord r;
        r.time = clock().now();
        r.requestId = QStringLiteral("bench-%1").arg(i);
        r.orgId = s.directory().organization().id;
        r.userId = 1;
        r.model = QStringLiteral("mock-small");
        r.inputTokens = 100;
        r.outputTokens = 50;
        r.cost = 30'000;
        records.append(r);
    }
    for (auto _ : state)
        if (!s.usage().recordUsage(records).ok())
            state.SkipWithError("write failed");
    state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(RecordUsage)->Arg(1)->Arg(64)->Arg(512)->UseRealTime();

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    org(); // set up outside the timed region
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
