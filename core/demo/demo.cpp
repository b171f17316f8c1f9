#include "core/demo/demo.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>

namespace tollgate {

namespace {

const QString kActor = QStringLiteral("demo");

Money dollars(qint64 d) { return d * kNanosPerDollar; }

struct Team
{
    const char* name;
    const char* parent;
    int size;
    QStringList models; // what its people mostly use
    double intensity; // requests per working day, on average
};

} // namespace

Result<DemoSummary> loadDemo(Service& s, quint32 seed)
{
    if (s.directory().userCount() > 0)
        return Error::conflict(QStringLiteral("demo"),
                               demo::tr("the organisation already has users; reset it instead"));
    QRandomGenerator rng(seed);
    DemoSummary sum;

    // The organisation: Berlin time, a company budget, sensible defaults for everyone.
    Organization org = s.directory().organization();
    org.name = QStringLiteral("Northwind Labs");
    org.timezone = QStringLiteral("Europe/Berlin");
    org.monthlyBudget = dollars(6000);
    org.defaultPolicy = {};
    org.defaultPolicy[Dimension::MonthlyCost] = Limit::of(dollars(150));
    org.defaultPolicy[Dimension::DailyCost] = Limit::of(dollars(25));
    org.defaultPolicy[Dimension::RequestsPerMinute] = Limit::of(60);
    org.defaultPolicy[Dimension::MaxTier] = Limit::of(4);
    org.defaultPolicy.blockedModels = ModelRule::list({QStringLiteral("claude-opus-4-1")});
    org.updatedAt = 0;
    if (auto r = s.directory().updateOrganization(org, kActor); !r.ok())
        return r.error();

    const QList<Team> teams {
        {"Engineering", nullptr, 0, {}, 0},
        {"Backend",
         "Engineering",
         12,
         {QStringLiteral("gpt-4.1"), QStringLiteral("claude-sonnet-4-5"), QStringLiteral("gpt-4.1-mini"),
          QStringLiteral("mock-small")},
         14},
        {"Frontend",
         "Engineering",
         8,
         {QStringLiteral("gpt-4.1-mini"), QStringLiteral("claude-haiku-4-5"), QStringLiteral("gpt-4o")},
         10},
        {"ML Research",
         "Engineering",
         6,
         {QStringLiteral("claude-sonnet-4-5"), QStringLiteral("o3"), QStringLiteral("claude-opus-4-1"),
          QStringLiteral("gpt-5")},
         18},
        {"Marketing",
         nullptr,
         8,
         {QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-4.1-mini"), QStringLiteral("claude-haiku-4-5")},
         7},
        {"Sales", nullptr, 6, {QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-5-mini")}, 4},
        {"Support",
         nullptr,
         7,
         {QStringLiteral("gpt-4o-mini"), QStringLiteral("claude-3-5-haiku-latest"), QStringLiteral("mock-small")},
         12},
        {"Leadership", nullptr, 3, {QStringLiteral("gpt-5"), QStringLiteral("claude-sonnet-4-5")}, 3},
    };
    QHash<QString, Id> groupIds;
    for (const Team& t : teams) {
        const Id parent = t.parent ? groupIds.value(QString::fromLatin1(t.parent)) : 0;
        auto g = s.directory().createGroup(QString::fromLatin1(t.name), parent, kActor);
        if (!g.ok())
            return g.error();
        groupIds.insert(g->name, g->id);
        ++sum.groups;
    }
    // Team settings and budgets.
    auto configure = [&](const char* name, auto edit) -> Status {
        auto g = s.directory().group(groupIds.value(QString::fromLatin1(name)));
        edit(*g);
        g->updatedAt = 0;
        auto r = s.directory().updateGroup(*g, kActor);
        return r.ok() ? Status() : Status(r.error());
    };
    const Status configured[] = {
        configure("Engineering",
                  [](Group& g) {
                      g.monthlyBudget = dollars(3500);
                      g.settings = PolicySettings {};
                      (*g.settings)[Dimension::MonthlyCost] = Limit::of(dollars(300));
                  }),
        configure("Backend",
                  [](Group& g) {
                      g.settings = PolicySettings {};
                      (*g.settings)[Dimension::RequestsPerMinute] = Limit::of(120);
                  }),
        configure("ML Research",
                  [](Group& g) {
                      g.settings = PolicySettings {};
                      (*g.settings)[Dimension::MonthlyCost] = Limit::of(dollars(800));
                      (*g.settings)[Dimension::DailyCost] = Limit::of(dollars(80));
                      (*g.settings)[Dimension::MaxTier] = Limit::of(5);
                      g.settings->blockedModels = ModelRule::list({});
                  }),
        configure("Marketing",
                  [](Group& g) {
                      g.monthlyBudget = dollars(400);
                      g.settings = PolicySettings {};
                      (*g.settings)[Dimension::DailyCost] = Limit::of(dollars(10));
                      g.settings->allowedModels =
                          ModelRule::list({QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-4.1-mini"),
                                           QStringLiteral("claude-haiku-4-5"), QStringLiteral("mock-small")});
                  }),
        configure("Support",
                  [](Group& g) {
                      g.monthlyBudget = dollars(450);
                      g.budgetAction = BudgetAction::Warn;
                  }),
    };
    for (const Status& st : configured)
        if (!st.ok())
            return st.error();

    static const char* first[] = {
        "Ada",   "Grace",    "Alan",      "Edsger", "Barbara", "Donald",  "Margaret", "Ken",    "Frances", "Dennis",
        "Radia", "Linus",    "Katherine", "John",   "Hedy",    "Tim",     "Sophie",   "Guido",  "Annie",   "Bjarne",
        "Jean",  "Niklaus",  "Mary",      "Leslie", "Joan",    "Vint",    "Karen",    "Bob",    "Adele",   "Whitfield",
        "Lynn",  "Yukihiro", "Shafi",     "Rasmus", "Anita",   "Brendan", "Ivan",     "Evelyn", "James",   "Hamid",
        "Fran",  "Larry",    "Susan",     "Andrew", "Elena",   "Jürgen",  "Zoë",      "Mário",  "Søren",   "Aiko"};
    static const char* last[] = {
        "Lovelace",    "Hopper",     "Turing",       "Dijkstra",   "Liskov",     "Knuth",    "Hamilton", "Thompson",
        "Allen",       "Ritchie",    "Perlman",      "Torvalds",   "Johnson",    "McCarthy", "Lamarr",   "Berners-Lee",
        "Wilson",      "van Rossum", "Easley",       "Stroustrup", "Sammet",     "Wirth",    "Keller",   "Lamport",
        "Clarke",      "Cerf",       "Spärck Jones", "Kahn",       "Goldberg",   "Diffie",   "Conway",   "Matsumoto",
        "Goldwasser",  "Lerdorf",    "Borg",         "Eich",       "Sutherland", "Berezin",  "Gosling",  "Karim",
        "Bilas",       "Page",       "Kare",         "Tanenbaum",  "Novak",      "Schmidt",  "Dubois",   "Silva",
        "Kierkegaard", "Tanaka"};
    QList<NewUser> people;
    QList<QString> teamOf;
    int index = 0;
    for (const Team& t : teams) {
        for (int i = 0; i < t.size; ++i, ++index) {
            NewUser nu;
            nu.name = QString::fromUtf8(first[index]) + u' ' + QString::fromUtf8(last[index]);
            QString local = QString::fromUtf8(first[index]).toLower() + u'.'
                + QString::fromUtf8(last[index]).toLower().remove(u' ');
            nu.email = local + QStringLiteral("@northwind.example");
            nu.groupIds = {groupIds.value(QString::fromLatin1(t.name))};
            people.append(nu);
            teamOf.append(QString::fromLatin1(t.name));
        }
    }
    // Tech leads sit in two groups; two people have left.
    people[0].groupIds.append(groupIds.value(QStringLiteral("Leadership")));
    people[20].groupIds.append(groupIds.value(QStringLiteral("Leadership")));
    people[40].groupIds.append(groupIds.value(QStringLiteral("Support")));
    people[17].status = UserStatus::Inactive;
    people[33].status = UserStatus::Inactive;
    auto created = s.directory().createUsers(people, kActor);
    if (!created.ok())
        return created.error();
    const QList<User> users = created.value();
    sum.users = int(users.size());

    // A few overrides that show each rule: one loosened, one tightened, one bypass.
    {
        PolicySettings loosen;
        loosen[Dimension::MonthlyCost] = Limit::of(dollars(1000));
        loosen.notes = demo::tr("Runs the evaluation suite; approved by Leadership");
        PolicySettings tighten;
        tighten[Dimension::MonthlyCost] = Limit::of(dollars(40));
        tighten.notes = demo::tr("Trial period");
        PolicySettings bypass;
        bypass.bypassRateLimits = true;
        bypass.notes = demo::tr("Load-tests the support bot");
        for (auto [who, p] : {std::pair {1, loosen}, std::pair {30, tighten}, std::pair {43, bypass}})
            if (auto st = s.directory().setUserPolicy(users[who].id, p, kActor); !st.ok())
                return st.error();
    }

    // Shared projects, their service keys, personal keys for some people, and one Marketing team key.
    struct ProjectSpec
    {
        const char* name;
        qint64 limitDollars;
    };
    QList<Project> projects;
    for (auto spec : {ProjectSpec {"Customer chatbot", 1500}, ProjectSpec {"Internal tools", 500},
                      ProjectSpec {"Support assistant", 600}}) {
        auto p = s.access().createProject(QString::fromLatin1(spec.name), dollars(spec.limitDollars), kActor);
        if (!p.ok())
            return p.error();
        projects.append(p.value());
    }
    sum.projects = int(s.access().projects().size());
    QList<ApiKey> serviceKeys;
    for (const Project& p : std::as_const(projects)) {
        NewKey nk;
        nk.name = p.name + demo::tr(" service");
        nk.projectId = p.id;
        nk.monthlyCap = *p.monthlyLimit / 2;
        // The chatbot is the organisation's SaaS product: its key sets its end customers' budgets.
        if (p.id == projects.first().id)
            nk.features.append(QLatin1String(kCustomerLimitsFeature));
        auto k = s.access().createKey(nk, kActor);
        if (!k.ok())
            return k.error();
        serviceKeys.append(k->key);
    }
    QHash<Id, Id> personalKey; // user -> key
    for (int i = 0; i < users.size(); i += 3) {
        NewKey nk;
        nk.name = demo::tr("%1's laptop").arg(users[i].name.section(u' ', 0, 0));
        nk.holderUserId = users[i].id;
        if (i % 2 == 0)
            nk.monthlyCap = dollars(100);
        auto k = s.access().createKey(nk, kActor);
        if (!k.ok())
            return k.error();
        personalKey.insert(users[i].id, k->key.id);
        if (i == 0)
            sum.sampleKeySecret = k->secret;
    }
    {
        NewKey nk;
        nk.name = demo::tr("Marketing team key");
        nk.projectId = projects[1].id;
        nk.groupIds = {groupIds.value(QStringLiteral("Marketing"))};
        nk.allowedModels = ModelRule::list({QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-4.1-mini")});
        auto k = s.access().createKey(nk, kActor);
        if (!k.ok())
            return k.error();
    }
    sum.keys = int(s.access().keys().size());

    // End customers of the chatbot.
    struct CustomerSpec
    {
        const char* id;
        const char* name;
        BudgetDuration duration;
        qint64 periodDollars;
        qint64 totalDollars;
        qint64 rpm;
        int markupBp;
    };
    const Instant now = s.clock().now();
    QList<Customer> customers;
    for (auto spec : {CustomerSpec {"acme-corp", "Acme Corporation", BudgetDuration::Monthly, 120, 0, 30, 2000},
                      CustomerSpec {"globex", "Globex", BudgetDuration::Weekly, 40, 0, 20, 1500},
                      CustomerSpec {"initech", "Initech", BudgetDuration::Custom, 90, 0, 0, 1000},
                      CustomerSpec {"umbrella", "Umbrella Health", BudgetDuration::Daily, 8, 0, 10, 2500},
                      CustomerSpec {"hooli", "Hooli", BudgetDuration::None, 0, 600, 60, 0},
                      CustomerSpec {"stark", "Stark Industries", BudgetDuration::Yearly, 1500, 3000, 0, 3000}}) {
        Customer c;
        c.identifier = QString::fromLatin1(spec.id);
        c.name = QString::fromLatin1(spec.name);
        c.email = QStringLiteral("billing@%1.example").arg(c.identifier);
        c.budgetDuration = spec.duration;
        if (spec.periodDollars)
            c.periodBudget = dollars(spec.periodDollars);
        if (spec.totalDollars)
            c.totalBudget = dollars(spec.totalDollars);
        if (spec.rpm)
            c.rateLimitPerMinute = spec.rpm;
        c.markupBasisPoints = spec.markupBp;
        if (spec.duration == BudgetDuration::Custom) {
            c.periodStart = now - 30LL * 86'400'000;
            c.periodEnd = now + 60LL * 86'400'000;
        }
        auto saved = s.customers().saveCustomer(c, kActor);
        if (!saved.ok())
            return saved.error();
        customers.append(saved.value());
    }
    sum.customers = int(customers.size());

    // 90 days of usage ending now: weekdays busier than weekends, each team with its own models and pace, a slow
    // growth over the quarter, a few errors and denials.
    const QTimeZone zone(org.timezone.toUtf8());
    const QDate today = QDateTime::fromMSecsSinceEpoch(now, zone).date();
    QHash<QString, ModelInfo> models;
    for (const ModelInfo& m : s.catalog().models())
        models.insert(m.id, m);
    QHash<QString, const Team*> teamByName;
    for (const Team& t : teams)
        teamByName.insert(QString::fromLatin1(t.name), &t);
    QList<UsageRecord> records;
    records.reserve(40'000);
    qint64 serial = 0;
    for (int back = 89; back >= 0; --back) {
        const QDate day = today.addDays(-back);
        const Instant dayStart = day.startOfDay(zone).toMSecsSinceEpoch();
        const bool weekend = day.dayOfWeek() >= 6;
        const double growth = 0.7 + 0.6 * (89 - back) / 89.0;
        auto addRecord = [&](const User& u, const QString& model, Id keyId, Id projectId, Id customerId) {
            const ModelInfo& m = models[model];
            UsageRecord r;
            Instant t = dayStart + 7 * 3'600'000LL + qint64(rng.bounded(12 * 3'600'000));
            if (t >= now)
                return;
            r.time = t;
            r.requestId = QStringLiteral("demo-%1").arg(++serial, 7, 10, QLatin1Char('0'));
            r.keyId = keyId;
            r.projectId = projectId;
            r.userId = u.id;
            r.customerId = customerId;
            r.model = model;
            r.providerId = m.providerId;
            r.streamed = rng.bounded(100) < 60;
            const quint32 roll = rng.bounded(1000);
            r.status = roll < 8 ? UsageStatus::Denied : roll < 25 ? UsageStatus::UpstreamError : UsageStatus::Ok;
            if (r.status == UsageStatus::Ok) {
                r.inputTokens = 150 + rng.bounded(3800);
                r.cachedTokens = rng.bounded(100) < 30 ? r.inputTokens / 2 : 0;
                r.outputTokens = m.maxOutputTokens ? 40 + rng.bounded(1400) : 0;
                r.cost = costOf(m, {r.inputTokens, r.cachedTokens, r.outputTokens});
                r.latencyMs = 250 + rng.bounded(4000);
                // Reasoning models think before they answer; some clients send a dated snapshot's id.
                QJsonObject extras;
                if (m.outputCapField == u"max_completion_tokens")
                    extras.insert(QStringLiteral("reasoning_tokens"), r.outputTokens / 3);
                if (serial % 10 == 0 && model.startsWith(u"claude-")) {
                    extras.insert(QStringLiteral("requested_model"), QString(model + QStringLiteral("-20260915")));
                    extras.insert(QStringLiteral("model_rule"), QString(model + QStringLiteral("-<date>")));
                }
                if (!extras.isEmpty())
                    r.extras = QString::fromUtf8(QJsonDocument(extras).toJson(QJsonDocument::Compact));
            } else {
                r.latencyMs = r.status == UsageStatus::Denied ? 1 : 100 + rng.bounded(900);
            }
            records.append(r);
        };
        for (qsizetype i = 0; i < users.size(); ++i) {
            const User& u = users[i];
            if (u.status == UserStatus::Inactive && back < 30)
                continue; // left a month ago
            const Team* t = teamByName.value(teamOf[i]);
            const double mean = t->intensity * growth * (weekend ? 0.12 : 1.0) * (0.5 + double(i % 5) / 4.0);
            const int n = int(rng.bounded(int(mean * 2) + 1));
            const Id keyId = personalKey.value(u.id);
            const Id projectId = keyId ? s.access().key(keyId)->projectId : u.privateProjectId;
            for (int k = 0; k < n; ++k)
                addRecord(u, t->models[rng.bounded(int(t->models.size()))], keyId, projectId, 0);
        }
        // The chatbot serves end customers through its service key, attributed to the project owner's team lead.
        const int bot = weekend ? 20 : 45;
        for (int k = 0; k < bot; ++k) {
            const Customer& c = customers[rng.bounded(int(customers.size()))];
            addRecord(users[0], k % 3 ? QStringLiteral("gpt-4o-mini") : QStringLiteral("claude-haiku-4-5"),
                      serviceKeys[0].id, projects[0].id, c.id);
        }
    }
    const Id orgId = s.directory().organization().id;
    for (UsageRecord& r : records)
        r.orgId = orgId;
    if (auto st = s.usage().recordUsage(records); !st.ok())
        return st.error();
    sum.usageRecords = records.size();
    return sum;
}

Result<DemoSummary> resetDemo(Service& s, quint32 seed)
{
    if (auto st = s.clearOrganizationData(QStringLiteral("demo")); !st.ok())
        return st.error();
    return loadDemo(s, seed);
}

} // namespace tollgate
