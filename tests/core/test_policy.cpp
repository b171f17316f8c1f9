// Policy resolution, docs/design.md "Policy semantics": every rule, table-driven.

#include "core/policy/policy.h"

#include <QTest>

#include <map>

using namespace tollgate;
using Level = PolicySource::Level;

namespace {

constexpr qint64 kOrg = 1;
enum GroupId : qint64 { Engineering = 10, Backend = 11, Platform = 12, Marketing = 20, Sales = 30 };

struct World
{
    PolicySettings org;
    std::map<qint64, GroupPolicyNode> groups;
    std::map<qint64, PolicySettings> settings;
    std::optional<PolicySettings> userOverride;
    QList<qint64> userGroups;

    void group(qint64 id, qint64 parent, const char* name)
    {
        groups[id] = {id, parent, QString::fromLatin1(name), nullptr};
    }
    PolicySettings& set(qint64 id)
    {
        PolicySettings& s = settings[id];
        groups[id].settings = &s;
        return s;
    }

    EffectivePolicy resolve()
    {
        PolicyInputs in;
        in.orgId = kOrg;
        in.orgName = QStringLiteral("Acme");
        in.orgDefault = &org;
        in.userId = 7;
        in.userName = QStringLiteral("Ada");
        in.userOverride = userOverride ? &*userOverride : nullptr;
        in.groupIds = std::span<const qint64>(userGroups.constData(), size_t(userGroups.size()));
        in.group = [this](qint64 id) -> const GroupPolicyNode* {
            auto it = groups.find(id);
            return it == groups.end() ? nullptr : &it->second;
        };
        return resolvePolicy(in);
    }
};

World company()
{
    World w;
    w.group(Engineering, 0, "Engineering");
    w.group(Backend, Engineering, "Backend");
    w.group(Platform, Backend, "Platform");
    w.group(Marketing, 0, "Marketing");
    w.group(Sales, 0, "Sales");
    return w;
}

struct Expect
{
    Limit value;
    Level level;
    qint64 entity; // the group (or user 7 / org 1) the value came from
    qint64 via = 0;
};

struct Case
{
    const char* name;
    Dimension dimension;
    std::function<void(World&)> setup;
    Expect expect;
};

} // namespace

class TestPolicy final : public QObject
{
    Q_OBJECT

private:
    inline static const std::vector<Case>* s_cases = nullptr;

private slots:
    void limits_data();
    void limits();
    void allowedModelsIntersect();
    void blockedModelsUnite();
    void bypassModelsLiftsEveryModelRule();
    void overrideModelListReplacesGroups();
    void checkModelExplainsRefusals();
    void cycleInGroupsDoesNotHang();
};

void TestPolicy::limits_data()
{
    QTest::addColumn<int>("index");
    static const std::vector<Case> cases = {
        {"step 5: nothing set anywhere is no limit",
         Dimension::MonthlyCost,
         [](World&) {},
         {Limit::unlimited(), Level::None, 0}},
        {"step 4: not in groups, the organization default",
         Dimension::MonthlyCost,
         [](World& w) { w.org[Dimension::MonthlyCost] = Limit::of(150); },
         {Limit::of(150), Level::Organization, kOrg}},
        {"step 3: a group's own setting",
         Dimension::MonthlyCost,
         [](World& w) {
             w.org[Dimension::MonthlyCost] = Limit::of(150);
             w.set(Marketing)[Dimension::MonthlyCost] = Limit::of(400);
             w.userGroups = {Marketing};
         },
         {Limit::of(400), Level::Group, Marketing}},
        {"step 3: a group without a setting falls back to the organization",
         Dimension::MonthlyCost,
         [](World& w) {
             w.org[Dimension::MonthlyCost] = Limit::of(150);
             w.userGroups = {Sales};
         },
         {Limit::of(150), Level::Organization, kOrg}},
        {"step 3: a subgroup inherits from its parent",
         Dimension::MonthlyCost,
         [](World& w) {
             w.org[Dimension::MonthlyCost] = Limit::of(150);
             w.set(Engineering)[Dimension::MonthlyCost] = Limit::of(300);
             w.userGroups = {Backend};
         },
         {Limit::of(300), Level::Group, Engineering, Backend}},
        {"step 3: a grandchild inherits from the nearest ancestor that sets it",
         Dimension::RequestsPerMinute,
         [](World& w) {
             w.set(Engineering)[Dimension::RequestsPerMinute] = Limit::of(60);
             w.set(Backend)[Dimension::RequestsPerMinute] = Limit::of(120);
             w.userGroups = {Platform};
         },
         {Limit::of(120), Level::Group, Backend, Platform}},
        {"step 3: a subgroup's own setting wins over its parent, even when looser",
         Dimension::MonthlyCost,
         [](World& w) {
             w.set(Engineering)[Dimension::MonthlyCost] = Limit::of(300);
             w.set(Backend)[Dimension::MonthlyCost] = Limit::of(900);
             w.userGroups = {Backend};
         },
         {Limit::of(900), Level::Group, Backend}},
        {"step 3: a user in two groups gets the most restrictive",
         Dimension::MonthlyCost,
         [](World& w) {
             w.set(Engineering)[Dimension::MonthlyCost] = Limit::of(300);
             w.set(Marketing)[Dimension::MonthlyCost] = Limit::of(200);
             w.userGroups = {Engineering, Marketing};
         },
         {Limit::of(200), Level::Group, Marketing}},
        {"step 3: in two groups, the organization default can be the most restrictive",
         Dimension::MonthlyCost,
         [](World& w) {
             w.org[Dimension::MonthlyCost] = Limit::of(150);
             w.set(Engineering)[Dimension::MonthlyCost] = Limit::of(500);
             w.userGroups = {Engineering, Sales};
         },
         {Limit::of(150), Level::Organization, kOrg}},
        {"step 3: a group that lifts the limit does not loosen another group's",
         Dimension::DailyCost,
         [](World& w) {
             w.set(Engineering)[Dimension::DailyCost] = Limit::unlimited();
             w.set(Marketing)[Dimension::DailyCost] = Limit::of(10);
             w.userGroups = {Engineering, Marketing};
         },
         {Limit::of(10), Level::Group, Marketing}},
        {"step 3: max tier is the smallest",
         Dimension::MaxTier,
         [](World& w) {
             w.set(Engineering)[Dimension::MaxTier] = Limit::of(4);
             w.set(Marketing)[Dimension::MaxTier] = Limit::of(2);
             w.userGroups = {Engineering, Marketing};
         },
         {Limit::of(2), Level::Group, Marketing}},
        {"step 2: an override loosens a team limit",
         Dimension::MonthlyCost,
         [](World& w) {
             w.set(Engineering)[Dimension::MonthlyCost] = Limit::of(300);
             w.userGroups = {Engineering};
             w.userOverride = PolicySettings {};
             (*w.userOverride)[Dimension::MonthlyCost] = Limit::of(1000);
         },
         {Limit::of(1000), Level::User, 7}},
        {"step 2: an override tightens a team limit",
         Dimension::MonthlyCost,
         [](World& w) {
             w.set(Engineering)[Dimension::MonthlyCost] = Limit::of(300);
             w.userGroups = {Engineering};
             w.userOverride = PolicySettings {};
             (*w.userOverride)[Dimension::MonthlyCost] = Limit::of(40);
         },
         {Limit::of(40), Level::User, 7}},
        {"step 2: an override can lift a limit entirely",
         Dimension::RequestsPerDay,
         [](World& w) {
             w.org[Dimension::RequestsPerDay] = Limit::of(1000);
             w.userOverride = PolicySettings {};
             (*w.userOverride)[Dimension::RequestsPerDay] = Limit::unlimited();
         },
         {Limit::unlimited(), Level::User, 7}},
        {"step 2: an override that sets another dimension leaves this one to the groups",
         Dimension::MonthlyCost,
         [](World& w) {
             w.set(Engineering)[Dimension::MonthlyCost] = Limit::of(300);
             w.userGroups = {Engineering};
             w.userOverride = PolicySettings {};
             (*w.userOverride)[Dimension::DailyCost] = Limit::of(5);
         },
         {Limit::of(300), Level::Group, Engineering}},
        {"step 1: bypass cost limits lifts the monthly cost limit at every level",
         Dimension::MonthlyCost,
         [](World& w) {
             w.org[Dimension::MonthlyCost] = Limit::of(150);
             w.set(Engineering)[Dimension::MonthlyCost] = Limit::of(300);
             w.userGroups = {Engineering};
             w.userOverride = PolicySettings {};
             (*w.userOverride)[Dimension::MonthlyCost] = Limit::of(20); // the bypass wins over the override too
             w.userOverride->bypassCostLimits = true;
         },
         {Limit::unlimited(), Level::Bypass, 7}},
        {"step 1: bypass cost limits covers token budgets",
         Dimension::DailyTokens,
         [](World& w) {
             w.org[Dimension::DailyTokens] = Limit::of(100000);
             w.userOverride = PolicySettings {};
             w.userOverride->bypassCostLimits = true;
         },
         {Limit::unlimited(), Level::Bypass, 7}},
        {"step 1: bypass cost limits leaves rate limits alone",
         Dimension::RequestsPerMinute,
         [](World& w) {
             w.set(Engineering)[Dimension::RequestsPerMinute] = Limit::of(60);
             w.userGroups = {Engineering};
             w.userOverride = PolicySettings {};
             w.userOverride->bypassCostLimits = true;
         },
         {Limit::of(60), Level::Group, Engineering}},
        {"step 1: bypass rate limits lifts requests per minute",
         Dimension::RequestsPerMinute,
         [](World& w) {
             w.set(Engineering)[Dimension::RequestsPerMinute] = Limit::of(60);
             w.userGroups = {Engineering};
             w.userOverride = PolicySettings {};
             w.userOverride->bypassRateLimits = true;
         },
         {Limit::unlimited(), Level::Bypass, 7}},
        {"step 1: bypass rate limits leaves cost limits alone",
         Dimension::DailyCost,
         [](World& w) {
             w.org[Dimension::DailyCost] = Limit::of(25);
             w.userOverride = PolicySettings {};
             w.userOverride->bypassRateLimits = true;
         },
         {Limit::of(25), Level::Organization, kOrg}},
        {"step 1: bypass model restrictions lifts the maximum tier",
         Dimension::MaxTier,
         [](World& w) {
             w.org[Dimension::MaxTier] = Limit::of(2);
             w.userOverride = PolicySettings {};
             w.userOverride->bypassModelRestrictions = true;
         },
         {Limit::unlimited(), Level::Bypass, 7}},
    };
    for (size_t i = 0; i < cases.size(); ++i)
        QTest::newRow(cases[i].name) << int(i);
    s_cases = &cases;
}

void TestPolicy::limits()
{
    QFETCH(int, index);
    const Case& c = (*s_cases)[size_t(index)];
    World w = company();
    c.setup(w);
    const EffectivePolicy p = w.resolve();
    const ResolvedLimit& r = p[c.dimension];
    QCOMPARE(r.value.state, c.expect.value.state);
    QCOMPARE(r.value.value, c.expect.value.value);
    QCOMPARE(r.source.level, c.expect.level);
    QCOMPARE(r.source.entityId, c.expect.entity);
    QCOMPARE(r.source.viaGroupId, c.expect.via);
}

void TestPolicy::allowedModelsIntersect()
{
    World w = company();
    w.set(Engineering).allowedModels = ModelRule::list({QStringLiteral("a"), QStringLiteral("b")});
    w.set(Marketing).allowedModels = ModelRule::list({QStringLiteral("b"), QStringLiteral("c")});
    w.userGroups = {Engineering, Marketing, Sales}; // Sales sets nothing: any model, does not narrow
    const EffectivePolicy p = w.resolve();
    QCOMPARE(p.allowedModels.rule.state, ModelRule::State::List);
    QCOMPARE(p.allowedModels.rule.models, QSet<QString>({QStringLiteral("b")}));
    QCOMPARE(p.allowedModels.sources.size(), 2);
    QVERIFY(checkModel(p, QStringLiteral("b"), 1).allowed);
    QVERIFY(!checkModel(p, QStringLiteral("a"), 1).allowed);

    // A subgroup inherits its parent's list.
    World sub = company();
    sub.set(Engineering).allowedModels = ModelRule::list({QStringLiteral("a")});
    sub.userGroups = {Platform};
    const EffectivePolicy q = sub.resolve();
    QCOMPARE(q.allowedModels.rule.models, QSet<QString>({QStringLiteral("a")}));
    QCOMPARE(q.allowedModels.sources.first().entityId, qint64(Engineering));
    QCOMPARE(q.allowedModels.sources.first().viaGroupId, qint64(Platform));
}

void TestPolicy::blockedModelsUnite()
{
    World w = company();
    w.org.blockedModels = ModelRule::list({QStringLiteral("z")});
    w.set(Engineering).blockedModels = ModelRule::list({QStringLiteral("x")});
    w.userGroups = {Engineering, Sales}; // Sales inherits the organization's list
    const EffectivePolicy p = w.resolve();
    QCOMPARE(p.blockedModels.rule.models, QSet<QString>({QStringLiteral("x"), QStringLiteral("z")}));
    QVERIFY(!checkModel(p, QStringLiteral("z"), 1).allowed);
    QVERIFY(!checkModel(p, QStringLiteral("x"), 1).allowed);
    QVERIFY(checkModel(p, QStringLiteral("y"), 1).allowed);

    // A group that sets an empty list unblocks for itself only.
    World only = company();
    only.org.blockedModels = ModelRule::list({QStringLiteral("z")});
    only.set(Engineering).blockedModels = ModelRule::list({});
    only.userGroups = {Engineering};
    QVERIFY(checkModel(only.resolve(), QStringLiteral("z"), 1).allowed);
}

void TestPolicy::bypassModelsLiftsEveryModelRule()
{
    World w = company();
    w.org.blockedModels = ModelRule::list({QStringLiteral("z")});
    w.org[Dimension::MaxTier] = Limit::of(1);
    w.set(Marketing).allowedModels = ModelRule::list({QStringLiteral("a")});
    w.userGroups = {Marketing};
    QVERIFY(!checkModel(w.resolve(), QStringLiteral("z"), 5).allowed);
    w.userOverride = PolicySettings {};
    w.userOverride->bypassModelRestrictions = true;
    const EffectivePolicy p = w.resolve();
    QVERIFY(checkModel(p, QStringLiteral("z"), 5).allowed);
    QCOMPARE(p.allowedModels.rule.state, ModelRule::State::Any);
    QCOMPARE(p.allowedModels.sources.first().level, Level::Bypass);
    // Not a cost or rate bypass.
    QVERIFY(!p.bypassCostLimits);
    QVERIFY(!p.bypassRateLimits);
}

void TestPolicy::overrideModelListReplacesGroups()
{
    World w = company();
    w.set(Marketing).allowedModels = ModelRule::list({QStringLiteral("a")});
    w.userGroups = {Marketing};
    w.userOverride = PolicySettings {};
    w.userOverride->allowedModels = ModelRule::list({QStringLiteral("a"), QStringLiteral("b")});
    const EffectivePolicy p = w.resolve();
    QVERIFY(checkModel(p, QStringLiteral("b"), 1).allowed);
    QCOMPARE(p.allowedModels.sources.first().level, Level::User);
}

void TestPolicy::checkModelExplainsRefusals()
{
    World w = company();
    w.set(Engineering)[Dimension::MaxTier] = Limit::of(3);
    w.userGroups = {Backend};
    const EffectivePolicy p = w.resolve();
    const ModelVerdict v = checkModel(p, QStringLiteral("big"), 5);
    QVERIFY(!v.allowed);
    QCOMPARE(v.source.entityId, qint64(Engineering));
    QVERIFY2(v.reason.contains(QLatin1String("tier 5")), qPrintable(v.reason));
    QVERIFY2(v.reason.contains(QLatin1String("Backend (inherited from Engineering)")), qPrintable(v.reason));
    QVERIFY(checkModel(p, QStringLiteral("small"), 3).allowed);
}

void TestPolicy::cycleInGroupsDoesNotHang()
{
    World w = company();
    w.groups[Engineering].parentId = Platform; // a cycle the service would have refused
    w.org[Dimension::MonthlyCost] = Limit::of(150);
    w.userGroups = {Backend};
    const EffectivePolicy p = w.resolve();
    QCOMPARE(p[Dimension::MonthlyCost].value, Limit::of(150));
}

QTEST_GUILESS_MAIN(TestPolicy)
#include "test_policy.moc"
