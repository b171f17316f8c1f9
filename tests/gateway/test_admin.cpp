#include "core/service/service.h"
#include "gateway/host.h"
#include "httptestclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkInterface>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

// The admin REST API over real sockets: authentication and roles, every resource, validation, versions, audit.
class TestAdmin : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Service> m_service;
    std::unique_ptr<GatewayHost> m_host;
    quint16 m_port = 0;
    const QString m_owner = QStringLiteral("tga-owner-from-environment-0123456789");
    QString m_admin, m_viewer;
    Id m_orgId = 0;

    TestResponse call(const QByteArray& method, const QByteArray& path, const QByteArray& body = {},
                      const QString& key = {}, QList<QByteArray> headers = {})
    {
        headers << "Authorization: Bearer " + (key.isEmpty() ? m_admin : key).toUtf8();
        return sendRaw(m_port, makeRequest(method, "/api/admin" + path, body, headers));
    }
    TestResponse get(const QByteArray& path, const QString& key = {}) { return call("GET", path, {}, key); }
    // JSON written with single quotes (moc cannot read raw string literals).
    static QByteArray j(const char* text) { return QByteArray(text).replace('\'', '"'); }
    static QByteArray js(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Compact); }
    QByteArray org() const { return "/organizations/" + QByteArray::number(m_orgId); }

    qint64 auditCount()
    {
        QSqlQuery q(m_service->database().connection());
        q.exec(QStringLiteral("SELECT COUNT(*) FROM audit_log"));
        q.next();
        return q.value(0).toLongLong();
    }
    qint64 userCount() { return m_service->directory().userCount(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        Service::Options options;
        options.initialAdminKey = m_owner;
        auto s = Service::open(*DatabaseLocation::parse(m_dir.filePath(QStringLiteral("a.db"))),
                               SystemClock::instance(), options);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
        m_service = std::move(s.value());
        QVERIFY(m_service->access().takeInitialAdminSecret().isEmpty()); // given, not made up: nothing to show
        m_orgId = m_service->directory().organization().id;
        GatewayConfig config;
        config.server.port = 0;
        config.server.threads = 2;
        m_host = std::make_unique<GatewayHost>(*m_service);
        QCOMPARE(m_host->start(config), QString());
        m_port = m_host->port();

        // The owner makes an admin and a viewer key; the secrets come back once.
        m_admin = m_owner;
        const TestResponse a = call("POST", "/admin-keys", j("{'name':'ci','role':'admin'}"));
        QCOMPARE(a.status, 201);
        m_admin = a.json().value(QLatin1String("key")).toString();
        QVERIFY(m_admin.startsWith(QLatin1String("tga-")));
        const TestResponse v = call("POST", "/admin-keys", j("{'name':'auditor','role':'viewer'}"), m_owner);
        QCOMPARE(v.status, 201);
        m_viewer = v.json().value(QLatin1String("key")).toString();
        QVERIFY(!get("/admin-keys", m_owner).body.contains(m_viewer.toUtf8())); // never listed
    }

    void cleanupTestCase() { m_host->stop(5'000); }

    void madeUpOwnerKeyIsHandedOutOnce()
    {
        auto s = Service::open(*DatabaseLocation::parse(QStringLiteral(":memory:")), SystemClock::instance());
        QVERIFY(s.ok());
        const QString secret = s.value()->access().takeInitialAdminSecret();
        QVERIFY(secret.startsWith(QLatin1String("tga-")));
        QVERIFY(s.value()->access().takeInitialAdminSecret().isEmpty());
        QCOMPARE(s.value()->access().authenticateAdmin(secret)->role, AdminRole::Owner);
        Service::Options weak;
        weak.initialAdminKey = QStringLiteral("short");
        auto refused =
            Service::open(*DatabaseLocation::parse(QStringLiteral(":memory:")), SystemClock::instance(), weak);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().field, QStringLiteral("TOLLGATE_ADMIN_KEY"));
    }

    void authentication()
    {
        QCOMPARE(sendRaw(m_port, makeRequest("GET", "/api/admin/me")).status, 401);
        QCOMPARE(get("/me", QStringLiteral("tga-not-a-key")).status, 401);
        const TestResponse me = get("/me");
        QCOMPARE(me.status, 200);
        QCOMPARE(me.json().value(QLatin1String("role")).toString(), QStringLiteral("admin"));
        // A gateway key is refused, and told why.
        NewKey k;
        k.name = QStringLiteral("service");
        k.projectId = m_service->access().createProject(QStringLiteral("Gate"), std::nullopt, QStringLiteral("t"))->id;
        const QString gatewayKey = m_service->access().createKey(k, QStringLiteral("t"))->secret;
        const TestResponse g = get("/users", gatewayKey);
        QCOMPARE(g.status, 403);
        QCOMPARE(g.json()[QLatin1String("error")][QLatin1String("code")].toString(), QStringLiteral("gateway_key"));
        // An admin key cannot call the LLM routes either.
        QCOMPARE(
            sendRaw(m_port, makeRequest("GET", "/v1/models", {}, {"Authorization: Bearer " + m_admin.toUtf8()})).status,
            401);
    }

    void roles()
    {
        QCOMPARE(get("/users", m_viewer).status, 200);
        const TestResponse w = call("POST", "/users", j("{'email':'v@example.org','name':'V'}"), m_viewer);
        QCOMPARE(w.status, 403);
        QCOMPARE(w.json()[QLatin1String("error")][QLatin1String("code")].toString(), QStringLiteral("role_too_low"));
        QCOMPARE(m_service->directory().userByEmail(QStringLiteral("v@example.org")).has_value(), false);
        QCOMPARE(call("PATCH", org(), j("{'name':'Hacked'}"), m_viewer).status, 403);
        QCOMPARE(get("/admin-keys").status, 403); // admin keys are the owner's
        QCOMPARE(call("POST", "/admin-keys", j("{'name':'x','role':'owner'}")).status, 403);

        // Revoked keys stop working at once; the last owner cannot be revoked.
        const TestResponse t = call("POST", "/admin-keys", j("{'name':'temp','role':'viewer'}"), m_owner);
        const QString temp = t.json().value(QLatin1String("key")).toString();
        const QByteArray tempId = QByteArray::number(t.json()[QLatin1String("data")][QLatin1String("id")].toInteger());
        QCOMPARE(get("/me", temp).status, 200);
        QCOMPARE(call("DELETE", "/admin-keys/" + tempId, {}, m_owner).status, 204);
        QCOMPARE(get("/me", temp).status, 401);
        const TestResponse last = call("DELETE", "/admin-keys/1", {}, m_owner);
        QCOMPARE(last.status, 409);
        QCOMPARE(get("/me", m_owner).status, 200);
    }

    void organizationAndDefaults()
    {
        const TestResponse o = get(org());
        QCOMPARE(o.status, 200);
        QVERIFY(o.headers.value("ETag").size() > 2);
        QCOMPARE(get("/organizations/999").status, 404);
        QCOMPARE(call("PATCH", "/organizations/999", j("{'name':'X'}")).status, 404);
        const TestResponse p =
            call("PATCH", org(),
                 j("{'timezone':'Europe/Berlin','default_policy':{'daily_cost_limit':20,'requests_per_minute':100}}"));
        QCOMPARE(p.status, 200);
        QCOMPARE(p.json()[QLatin1String("default_policy")][QLatin1String("daily_cost_limit")].toDouble(), 20.0);
        QCOMPARE(m_service->directory().organization().defaultPolicy[Dimension::DailyCost].value, 20 * kNanosPerDollar);
        const TestResponse bad = call("PATCH", org(), j("{'timezone':'Mars/Olympus'}"));
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json()[QLatin1String("error")][QLatin1String("param")].toString(), QStringLiteral("$.timezone"));
        // The policy on its own, merged: null unsets, "unlimited" lifts.
        const TestResponse pol =
            call("PATCH", org() + "/policy", j("{'daily_cost_limit':null,'monthly_token_limit':'unlimited'}"));
        QCOMPARE(pol.status, 200);
        QVERIFY(!pol.json().contains(QLatin1String("daily_cost_limit")));
        QCOMPARE(pol.json().value(QLatin1String("monthly_token_limit")).toString(), QStringLiteral("unlimited"));
        QCOMPARE(pol.json().value(QLatin1String("requests_per_minute")).toInteger(), 100);
        // A stale version is refused.
        const TestResponse stale = call("PATCH", org(), j("{'name':'Stale','version':1}"));
        QCOMPARE(stale.status, 409);
        QCOMPARE(stale.json()[QLatin1String("error")][QLatin1String("code")].toString(),
                 QStringLiteral("version_mismatch"));
        QCOMPARE(stale.json()[QLatin1String("error")][QLatin1String("param")].toString(), QStringLiteral("$.version"));
    }

    void usersCrudAndVersions()
    {
        const TestResponse c =
            call("POST", "/users", j("{'email':'grace@example.org','name':'Grace Hopper','monthly_limit':'40'}"));
        QCOMPARE(c.status, 201);
        const QJsonObject u = c.json();
        const QByteArray path = "/users/" + QByteArray::number(u.value(QLatin1String("id")).toInteger());
        QCOMPARE(u.value(QLatin1String("monthly_limit")).toDouble(), 40.0);
        QCOMPARE(get(path).json().value(QLatin1String("email")).toString(), QStringLiteral("grace@example.org"));
        const qint64 version = u.value(QLatin1String("version")).toInteger();

        // Two admins edit the same version: the second is refused, by body version or by If-Match.
        QCOMPARE(call("PATCH", path,
                      js({{QStringLiteral("name"), QStringLiteral("Grace B. Hopper")},
                          {QStringLiteral("version"), version}}))
                     .status,
                 200);
        QCOMPARE(
            call("PATCH", path,
                 js({{QStringLiteral("name"), QStringLiteral("Lost update")}, {QStringLiteral("version"), version}}))
                .status,
            409);
        QCOMPARE(call("PATCH", path, j("{'name':'Lost too'}"), {}, {"If-Match: \"" + QByteArray::number(version) + '"'})
                     .status,
                 409);
        QCOMPARE(m_service->directory().user(u.value(QLatin1String("id")).toInteger())->name,
                 QStringLiteral("Grace B. Hopper"));

        QCOMPARE(call("POST", path + "/deactivate").json().value(QLatin1String("status")).toString(),
                 QStringLiteral("inactive"));
        QCOMPARE(call("POST", path + "/activate").json().value(QLatin1String("status")).toString(),
                 QStringLiteral("active"));
        QCOMPARE(call("DELETE", path).status, 204);
        QCOMPARE(get(path).status, 404);
        QCOMPARE(call("DELETE", path).status, 404);
    }

    void namesRoundTripUnchanged_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("quotes") << QStringLiteral("O'Brien \"Bobby\" Tables");
        QTest::newRow("sql") << QStringLiteral("Robert'); DROP TABLE users;-- SELECT * FROM audit_log");
        QTest::newRow("semicolons") << QStringLiteral("a;b;;c; --");
        QTest::newRow("cjk") << QStringLiteral("山田 太郎");
        QTest::newRow("arabic") << QStringLiteral("مريم العربية");
        QTest::newRow("cyrillic+emoji") << QStringLiteral("Ёжик в тумане 🦔");
    }
    void namesRoundTripUnchanged()
    {
        QFETCH(QString, name);
        static int n = 0;
        const QString email = QStringLiteral("rt%1@example.org").arg(++n);
        const TestResponse c =
            call("POST", "/users", js({{QStringLiteral("email"), email}, {QStringLiteral("name"), name}}));
        QCOMPARE(c.status, 201);
        QCOMPARE(get("/users/" + QByteArray::number(c.json().value(QLatin1String("id")).toInteger()))
                     .json()
                     .value(QLatin1String("name"))
                     .toString(),
                 name);
        const TestResponse g = call("POST", "/groups", js({{QStringLiteral("name"), name}}));
        QCOMPARE(g.status, 201);
        QCOMPARE(get("/groups/" + QByteArray::number(g.json().value(QLatin1String("id")).toInteger()))
                     .json()
                     .value(QLatin1String("name"))
                     .toString(),
                 name);
        // Found again by a filter holding the same characters.
        const TestResponse found = get("/users?q=" + QUrl::toPercentEncoding(name));
        QCOMPARE(found.json().value(QLatin1String("total")).toInt(), 1);
    }

    void listPagingSortingFiltering()
    {
        QJsonArray batch;
        for (int i = 0; i < 30; ++i)
            batch.append(QJsonObject {
                {QStringLiteral("email"), QStringLiteral("page%1@list.example").arg(i, 2, 10, QLatin1Char('0'))},
                {QStringLiteral("name"), QStringLiteral("Pager %1").arg(29 - i, 2, 10, QLatin1Char('0'))},
                {QStringLiteral("status"), i % 3 == 0 ? QStringLiteral("inactive") : QStringLiteral("active")}});
        QCOMPARE(call("POST", "/users/bulk", js({{QStringLiteral("users"), batch}})).status, 201);
        const QJsonObject page = get("/users?email=list.example&sort=name&order=desc&limit=5&offset=5").json();
        QCOMPARE(page.value(QLatin1String("total")).toInt(), 30);
        const QJsonArray data = page.value(QLatin1String("data")).toArray();
        QCOMPARE(data.size(), 5);
        QCOMPARE(data.first()[QLatin1String("name")].toString(), QStringLiteral("Pager 24"));
        QCOMPARE(get("/users?email=list.example&status=inactive").json().value(QLatin1String("total")).toInt(), 10);
        QCOMPARE(get("/users?sort=salary").status, 400);
        QCOMPARE(get("/users?limit=0").status, 400);
        QCOMPARE(get("/users?limit=abc").status, 400);
        QCOMPARE(get("/users?group_id=987654").status, 404);
    }

    void bulkIsAllOrNothing()
    {
        // 10,000 users in one request, one transaction; a bad last row refuses all of them.
        QJsonArray batch;
        for (int i = 0; i < 10'000; ++i)
            batch.append(QJsonObject {{QStringLiteral("email"), QStringLiteral("bulk%1@bulk.example").arg(i)},
                                      {QStringLiteral("name"), QStringLiteral("Bulk %1").arg(i)}});
        QJsonArray broken = batch;
        broken[9'999] = QJsonObject {{QStringLiteral("email"), QStringLiteral("not-an-email")},
                                     {QStringLiteral("name"), QStringLiteral("Bad")}};
        const qint64 before = userCount();
        const qint64 auditBefore = auditCount();
        const TestResponse refused = call("POST", "/users/bulk", js({{QStringLiteral("users"), broken}}));
        QCOMPARE(refused.status, 400);
        QCOMPARE(refused.json()[QLatin1String("error")][QLatin1String("param")].toString(),
                 QStringLiteral("$.users[9999].email"));
        QCOMPARE(userCount(), before);
        QCOMPARE(auditCount(), auditBefore);

        const TestResponse ok = call("POST", "/users/bulk", js({{QStringLiteral("users"), batch}}));
        QCOMPARE(ok.status, 201);
        QCOMPARE(ok.json().value(QLatin1String("created")).toInt(), 10'000);
        QCOMPARE(userCount(), before + 10'000);

        // Bulk monthly limit on all of them; one unknown id refuses the whole change.
        QJsonArray ids;
        for (const QJsonValue& v : ok.json().value(QLatin1String("data")).toArray())
            ids.append(v[QLatin1String("id")]);
        QJsonArray withUnknown = ids;
        withUnknown[9'999] = 99'999'999;
        QCOMPARE(call("POST", "/users/bulk/monthly-limit",
                      js({{QStringLiteral("user_ids"), withUnknown}, {QStringLiteral("monthly_limit"), 5}}))
                     .status,
                 404);
        QVERIFY(!m_service->directory().user(ids[0].toInteger())->policyOverride);
        const TestResponse limited =
            call("POST", "/users/bulk/monthly-limit",
                 js({{QStringLiteral("user_ids"), ids}, {QStringLiteral("monthly_limit"), 5}}));
        QCOMPARE(limited.status, 200);
        for (qsizetype i : {qsizetype(0), qsizetype(5'000), qsizetype(9'999)})
            QCOMPARE((*m_service->directory().user(ids[i].toInteger())->policyOverride)[Dimension::MonthlyCost].value,
                     5 * kNanosPerDollar);
        // A group gains all 10,000 at once.
        const Id group =
            call("POST", "/groups", j("{'name':'Everyone bulk'}")).json().value(QLatin1String("id")).toInteger();
        const TestResponse added =
            call("POST", "/groups/" + QByteArray::number(group) + "/members", js({{QStringLiteral("user_ids"), ids}}));
        QCOMPARE(added.status, 200);
        QCOMPARE(added.json().value(QLatin1String("member_count")).toInt(), 10'000);

        // More than 10,000 items in one request: refused before anything is read.
        QJsonArray huge = ids;
        huge.append(1);
        const TestResponse tooMany =
            call("POST", "/users/bulk/status",
                 js({{QStringLiteral("user_ids"), huge}, {QStringLiteral("status"), QStringLiteral("inactive")}}));
        QCOMPARE(tooMany.status, 400);
        QCOMPARE(tooMany.json()[QLatin1String("error")][QLatin1String("param")].toString(),
                 QStringLiteral("$.user_ids"));
        QCOMPARE(m_service->directory().user(ids[0].toInteger())->status, UserStatus::Active);
    }

    void groupsAndMembers()
    {
        const auto id = [](const TestResponse& r) {
            return QByteArray::number(r.json().value(QLatin1String("id")).toInteger());
        };
        const QByteArray eng = id(call("POST", "/groups",
                                       j("{'name':'Engineering','settings':{'monthly_cost_limit':100},'monthly_budget':"
                                         "1000,'budget_action':'warn'}")));
        const QByteArray backend = id(call("POST", "/groups", "{\"name\":\"Backend\",\"parent_id\":" + eng + "}"));
        const QByteArray ops = id(call("POST", "/groups", j("{'name':'Ops'}")));
        const QJsonObject e = get("/groups/" + eng).json();
        QCOMPARE(e[QLatin1String("settings")][QLatin1String("monthly_cost_limit")].toDouble(), 100.0);
        QCOMPARE(e[QLatin1String("budget_action")].toString(), QStringLiteral("warn"));
        // Reparenting into its own subtree is a cycle.
        const TestResponse cycle = call("PATCH", "/groups/" + eng, "{\"parent_id\":" + backend + "}");
        QCOMPARE(cycle.status, 409);
        QCOMPARE(cycle.json()[QLatin1String("error")][QLatin1String("param")].toString(),
                 QStringLiteral("$.parent_id"));
        QCOMPARE(call("PATCH", "/groups/" + backend, j("{'name':'Backend Platform','parent_id':null}")).status, 200);
        QCOMPARE(m_service->directory().group(backend.toLongLong())->parentId, 0);
        // A bad setting inside settings is named by its path.
        const TestResponse bad = call("PATCH", "/groups/" + eng, j("{'settings':{'max_tier':99}}"));
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json()[QLatin1String("error")][QLatin1String("param")].toString(),
                 QStringLiteral("$.settings.max_tier"));

        const Id a =
            m_service->directory()
                .createUser(
                    {QStringLiteral("m1@example.org"), QStringLiteral("M1"), UserStatus::Active, {}, std::nullopt},
                    QStringLiteral("t"))
                ->id;
        const Id b =
            m_service->directory()
                .createUser(
                    {QStringLiteral("m2@example.org"), QStringLiteral("M2"), UserStatus::Active, {}, std::nullopt},
                    QStringLiteral("t"))
                ->id;
        const QByteArray both = js({{QStringLiteral("user_ids"), QJsonArray {a, b}}});
        QCOMPARE(call("POST", "/groups/" + eng + "/members", both).json().value(QLatin1String("member_count")).toInt(),
                 2);
        QCOMPARE(get("/groups/" + eng + "/members").json().value(QLatin1String("total")).toInt(), 2);
        const TestResponse moved =
            call("POST", "/groups/" + eng + "/members/move",
                 js({{QStringLiteral("user_ids"), QJsonArray {a}}, {QStringLiteral("to_group_id"), ops.toLongLong()}}));
        QCOMPARE(moved.status, 200);
        QCOMPARE(m_service->directory().user(a)->groupIds, QList<Id> {ops.toLongLong()});
        QCOMPARE(m_service->directory().groupMembers(eng.toLongLong()), QList<Id> {b});
        QCOMPARE(call("POST", "/groups/" + eng + "/members/remove", both).status, 200);
        QVERIFY(m_service->directory().groupMembers(eng.toLongLong()).isEmpty());
        QCOMPARE(call("POST", "/groups/" + eng + "/members/move",
                      js({{QStringLiteral("user_ids"), QJsonArray {a}}, {QStringLiteral("to_group_id"), 424242}}))
                     .status,
                 404);
        QCOMPARE(call("DELETE", "/groups/" + ops).status, 204);
        QVERIFY(m_service->directory().user(a)->groupIds.isEmpty());
    }

    void userPoliciesFixedPaths()
    {
        const Id uid =
            m_service->directory()
                .createUser(
                    {QStringLiteral("pol@example.org"), QStringLiteral("Pol"), UserStatus::Active, {}, std::nullopt},
                    QStringLiteral("t"))
                ->id;
        const QByteArray path = org() + "/user-policies";
        const TestResponse created =
            call("POST", path,
                 js({{QStringLiteral("user_id"), uid},
                     {QStringLiteral("monthly_cost_limit"), 12.5},
                     {QStringLiteral("allowed_models"), QJsonArray {QStringLiteral("mock-small")}},
                     {QStringLiteral("bypass_rate_limits"), true},
                     {QStringLiteral("notes"), QStringLiteral("on call")}}));
        QCOMPARE(created.status, 201);
        const QJsonObject eff = created.json()[QLatin1String("effective")].toObject();
        QCOMPARE(eff[QLatin1String("monthly_cost_limit")][QLatin1String("source")].toString(), QStringLiteral("user"));
        QCOMPARE(eff[QLatin1String("requests_per_minute")][QLatin1String("source")].toString(),
                 QStringLiteral("bypass"));
        // Merged: another field keeps the first ones; by email too.
        const TestResponse merged = call("POST", path, j("{'email':'pol@example.org','daily_token_limit':50000}"));
        QCOMPARE(merged.status, 200);
        const QJsonObject o = merged.json()[QLatin1String("override")].toObject();
        QCOMPARE(o[QLatin1String("monthly_cost_limit")].toDouble(), 12.5);
        QCOMPARE(o[QLatin1String("daily_token_limit")].toInteger(), 50000);
        QCOMPARE(o[QLatin1String("notes")].toString(), QStringLiteral("on call"));
        // The gateway enforces what was saved: the explanation shows the user's limit as the source.
        const PolicySettings stored = *m_service->directory().user(uid)->policyOverride;
        QCOMPARE(stored[Dimension::MonthlyCost].value, 12'500'000'000LL);
        QVERIFY(stored.bypassRateLimits);
        const QJsonObject explained = get("/explain?user_id=" + QByteArray::number(uid) + "&model=mock-small").json();
        bool sawUserLimit = false;
        for (const QJsonValue& l : explained[QLatin1String("limits")].toArray())
            if (l[QLatin1String("setting")].toString() == u"monthlyCostLimit"
                && l[QLatin1String("scope")].toString() == u"user")
                sawUserLimit = l[QLatin1String("source")][QLatin1String("level")].toString() == u"user";
        QVERIFY(sawUserLimit);
        const QJsonObject denied = get("/explain?user_id=" + QByteArray::number(uid) + "&model=mock-large").json();
        QCOMPARE(denied[QLatin1String("decision")].toString(), QStringLiteral("denied"));
        // Replace drops what is not given; the list has the user with the override.
        QCOMPARE(call("POST", path,
                      js({{QStringLiteral("user_id"), uid},
                          {QStringLiteral("replace"), true},
                          {QStringLiteral("requests_per_day"), 10}}))
                     .status,
                 200);
        QCOMPARE(m_service->directory().user(uid)->policyOverride->bypassRateLimits, false);
        const QJsonObject list =
            get(path + "?overrides_only=true&effective=true&user_id=" + QByteArray::number(uid)).json();
        bool listed = false;
        for (const QJsonValue& v : list[QLatin1String("data")].toArray())
            listed |= v[QLatin1String("user_id")].toInteger() == uid
                && v[QLatin1String("override")][QLatin1String("requests_per_day")].toInteger() == 10;
        QVERIFY(listed);
        QCOMPARE(call("DELETE", path + "/" + QByteArray::number(uid)).status, 204);
        QVERIFY(!m_service->directory().user(uid)->policyOverride);
        // Bad input names the field; nothing is half-applied.
        const TestResponse bad =
            call("POST", path,
                 js({{QStringLiteral("user_id"), uid},
                     {QStringLiteral("monthly_cost_limit"), 10},
                     {QStringLiteral("blocked_models"), QJsonArray {QStringLiteral("no-such-model")}}}));
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json()[QLatin1String("error")][QLatin1String("param")].toString(),
                 QStringLiteral("$.blocked_models"));
        QVERIFY(!m_service->directory().user(uid)->policyOverride);
        QCOMPARE(call("POST", path, j("{'user_id':99999999,'max_tier':2}")).status, 404);
        QCOMPARE(call("POST", "/organizations/77/user-policies", j("{'user_id':1}")).status, 404);
    }

    void keysProjectsCustomers()
    {
        const TestResponse p = call("POST", "/projects", j("{'name':'Support bot','monthly_limit':250}"));
        QCOMPARE(p.status, 201);
        const Id project = p.json().value(QLatin1String("id")).toInteger();
        QCOMPARE(call("PATCH", "/projects/" + QByteArray::number(project), j("{'monthly_limit':null}"))
                     .json()
                     .value(QLatin1String("monthly_limit"))
                     .type(),
                 QJsonValue::Null);

        const TestResponse k =
            call("POST", "/keys",
                 js({{QStringLiteral("name"), QStringLiteral("bot key")},
                     {QStringLiteral("project_id"), project},
                     {QStringLiteral("limit"), 20},
                     {QStringLiteral("allowed_models"), QJsonArray {QStringLiteral("mock-small")}}}));
        QCOMPARE(k.status, 201);
        const QString secret = k.json().value(QLatin1String("key")).toString();
        const QByteArray keyPath =
            "/keys/" + QByteArray::number(k.json()[QLatin1String("data")][QLatin1String("id")].toInteger());
        QVERIFY(secret.startsWith(QLatin1String("tg-")));
        QVERIFY(!get(keyPath).body.contains(secret.toUtf8()));
        QVERIFY(!get("/keys").body.contains(secret.toUtf8()));
        QCOMPARE(get(keyPath).json().value(QLatin1String("limit_remaining")).toDouble(), 20.0);
        // The new key works at the gateway; its limit can be changed; a disabled key does not.
        const QByteArray bearer = "Authorization: Bearer " + secret.toUtf8();
        QCOMPARE(sendRaw(m_port, makeRequest("GET", "/v1/models", {}, {bearer})).status, 200);
        QCOMPARE(call("PATCH", keyPath, j("{'limit':35}")).json().value(QLatin1String("limit")).toDouble(), 35.0);
        QCOMPARE(call("PATCH", keyPath, j("{'limit':'lots'}")).status, 400);
        QCOMPARE(call("PATCH", keyPath, j("{'disabled':true}")).status, 200);
        QCOMPARE(sendRaw(m_port, makeRequest("GET", "/v1/models", {}, {bearer})).status, 401);
        QCOMPARE(get(keyPath + "/usage?granularity=day&from=2026-01-01&to=2026-01-08").status, 200);
        QCOMPARE(call("DELETE", keyPath).status, 204);
        QCOMPARE(get(keyPath).status, 404);
        QCOMPARE(call("POST", "/keys", j("{'name':'orphan'}"))
                     .json()[QLatin1String("error")][QLatin1String("param")]
                     .toString(),
                 QStringLiteral("$.project_id"));

        // Customers with the Respan fields; POST is create-or-update by customer_identifier.
        const QByteArray acme =
            j("{'customer_identifier':'acme','name':'Acme','email':'ops@acme.example','period_budget':100,'budget_"
              "duration':'monthly','total_budget':'1000.50','markup_percentage':12.5,'rate_limit_per_minute':30}");
        const TestResponse c1 = call("POST", "/customers", acme);
        QCOMPARE(c1.status, 201);
        QCOMPARE(c1.json().value(QLatin1String("total_budget")).toDouble(), 1000.5);
        QCOMPARE(c1.json().value(QLatin1String("markup_percentage")).toDouble(), 12.5);
        QCOMPARE(call("POST", "/customers", j("{'customer_identifier':'acme','period_budget':150}")).status, 200);
        QCOMPARE(*m_service->customers().customerByIdentifier(QStringLiteral("acme"))->periodBudget,
                 150 * kNanosPerDollar);
        QCOMPARE(m_service->customers().customerByIdentifier(QStringLiteral("acme"))->rateLimitPerMinute, 30);
        // An admin locks a customer's limits against customer_params; only the admin API and console change it.
        QCOMPARE(c1.json().value(QLatin1String("limits_locked")).toBool(), false);
        const QByteArray acmePath =
            "/customers/" + QByteArray::number(c1.json().value(QLatin1String("id")).toInteger());
        QCOMPARE(call("PATCH", acmePath, j("{'limits_locked':true}")).json().value(QLatin1String("limits_locked")),
                 QJsonValue(true));
        QVERIFY(m_service->customers().customerByIdentifier(QStringLiteral("acme"))->limitsLocked);
        QCOMPARE(call("PATCH", acmePath, j("{'limits_locked':'yes'}")).status, 400);
        QCOMPARE(call("PATCH", acmePath, j("{'limits_locked':false}")).status, 200);
        const TestResponse custom =
            call("POST", "/customers",
                 j("{'customer_identifier':'trial','period_start':'2026-01-01','period_end':'2025-01-01'}"));
        QCOMPARE(custom.status, 400);
        QCOMPARE(custom.json()[QLatin1String("error")][QLatin1String("param")].toString(),
                 QStringLiteral("$.period_end"));
        QCOMPARE(call("POST", "/customers", j("{'customer_identifier':'x','budget_duration':'fortnightly'}")).status,
                 400);
        const QByteArray cPath = "/customers/" + QByteArray::number(c1.json().value(QLatin1String("id")).toInteger());
        QCOMPARE(call("DELETE", cPath).status, 204);
        QCOMPARE(get(cPath).status, 404);
    }

    void catalog()
    {
        const TestResponse p = call(
            "POST", "/providers",
            j("{'name':'Internal "
              "vLLM','kind':'openai','base_url':'https://llm.internal.example/v1','secret':'sk-super-secret-value'}"));
        QCOMPARE(p.status, 201);
        QVERIFY(!p.body.contains("sk-super-secret-value"));
        QCOMPARE(p.json().value(QLatin1String("has_secret")).toBool(), true);
        // A server's secrets are encrypted in the database (core/secrets/vault.h), never there as typed.
        QCOMPARE(p.json().value(QLatin1String("secret_storage")).toString(), QStringLiteral("encrypted"));
        const Id provider = p.json().value(QLatin1String("id")).toInteger();
        {
            auto stored = runSql(m_service->database().connection(),
                                 QStringLiteral("SELECT secret FROM providers WHERE id = ?"), {provider});
            QVERIFY(stored.ok() && stored->next());
            QVERIFY(stored->value(0).toString().startsWith(QLatin1String("enc:v1:")));
        }
        QVERIFY(!get("/providers").body.contains("sk-super-secret-value"));
        QVERIFY(!get("/audit?entity=provider").body.contains("sk-super-secret-value"));
        QCOMPARE(call("PATCH", "/providers/" + QByteArray::number(provider), j("{'base_url':'ftp://nope'}")).status,
                 400);
        QCOMPARE(m_service->catalog().provider(provider)->secret, QStringLiteral("sk-super-secret-value"));
        // Sending the stored secret somewhere else needs the secret again.
        const QByteArray providerPath = "/providers/" + QByteArray::number(provider);
        const TestResponse moved =
            call("PATCH", providerPath, j("{'base_url':'https://listener.attacker.example/v1'}"));
        QCOMPARE(moved.status, 409);
        QVERIFY2(moved.body.contains("$.secret"), moved.body.constData());
        QCOMPARE(m_service->catalog().provider(provider)->baseUrl, QStringLiteral("https://llm.internal.example/v1"));
        QCOMPARE(call("PATCH", providerPath, j("{'kind':'anthropic'}")).status, 409);
        QCOMPARE(call("PATCH", providerPath, j("{'name':'Internal vLLM 2'}")).status, 200); // the address stays: fine
        QCOMPARE(
            call("PATCH", providerPath, j("{'base_url':'https://llm2.internal.example/v1','secret':'sk-the-new-one'}"))
                .status,
            200);
        const QByteArray audit = get("/audit?entity=provider").body;
        QVERIFY(audit.contains("https://llm.internal.example/v1")
                && audit.contains("https://llm2.internal.example/v1"));
        QVERIFY(!audit.contains("sk-the-new-one"));

        const TestResponse m = call("POST", "/models",
                                    js({{QStringLiteral("id"), QStringLiteral("org/llama-4-70b")},
                                        {QStringLiteral("provider_id"), provider},
                                        {QStringLiteral("tier"), 2},
                                        {QStringLiteral("input_price_per_million"), 0.6},
                                        {QStringLiteral("output_price_per_million"), QStringLiteral("2.40")}}));
        QVERIFY2(m.status == 201, m.body.constData());
        QCOMPARE(m_service->catalog().model(QStringLiteral("org/llama-4-70b"))->outputPrice, 2'400);
        // Prices not given follow their defaults, as in the catalog file: cached input is the input price.
        QCOMPARE(m.json().value(QLatin1String("cached_input_price_per_million")).toDouble(), 0.6);
        QVERIFY(m.json()
                    .value(QLatin1String("defaulted"))
                    .toArray()
                    .contains(QStringLiteral("cached_input_price_per_million")));
        // Every component can be set, and a bad one is named.
        const TestResponse priced =
            call("PATCH", "/models/org%2Fllama-4-70b",
                 j("{'cache_write_price_per_million':'0.75','long_context_threshold':128000,"
                   "'long_context_output_price_per_million':3.6,'web_search_price_per_thousand':'25'}"));
        QVERIFY2(priced.status == 200, priced.body.constData());
        const ModelInfo llama = *m_service->catalog().model(QStringLiteral("org/llama-4-70b"));
        QCOMPARE(llama.cacheWritePrice, 750);
        QCOMPARE(llama.longContextThreshold, 128'000);
        QCOMPARE(llama.longOutputPrice, 3'600);
        QCOMPARE(llama.longInputPrice, 1'200); // not set: 2 x input
        QCOMPARE(llama.webSearchPrice, 25'000'000);
        const TestResponse bad = call("PATCH", "/models/org%2Fllama-4-70b", j("{'audio_input_price_per_million':'x'}"));
        QCOMPARE(bad.status, 400);
        QVERIFY2(bad.body.contains("audio_input_price_per_million"), bad.body.constData());
        QCOMPARE(call("PATCH", "/models/org%2Fllama-4-70b", j("{'input_price_per_million':null}")).status, 400);
        // null returns a component to its default, which follows the price it is taken from.
        QCOMPARE(call("PATCH", "/models/org%2Fllama-4-70b",
                      j("{'cache_write_price_per_million':null,'input_price_per_million':0.8}"))
                     .status,
                 200);
        QCOMPARE(m_service->catalog().model(QStringLiteral("org/llama-4-70b"))->cacheWritePrice, 800); // openai kind
        QCOMPARE(call("POST", "/models",
                      js({{QStringLiteral("id"), QStringLiteral("org/llama-4-70b")},
                          {QStringLiteral("provider_id"), provider}}))
                     .status,
                 409);
        // A model id with a slash travels percent-encoded in the path.
        QCOMPARE(call("PATCH", "/models/org%2Fllama-4-70b", j("{'tier':3,'approved':false}"))
                     .json()
                     .value(QLatin1String("tier"))
                     .toInt(),
                 3);
        QCOMPARE(call("PATCH", "/models/org%2Fllama-4-70b", j("{'tier':11}")).status, 400);
        QCOMPARE(call("DELETE", "/providers/" + QByteArray::number(provider)).status, 409); // still serves a model
        // Aliases and patterns: created, resolved, refused while they name a model that goes, then removed.
        QCOMPARE(call("PUT", "/model-aliases/llama-*", j("{'model':'org/llama-4-70b','note':'new releases'}")).status,
                 201);
        QCOMPARE(call("PUT", "/model-aliases/llama-*", j("{'model':'org/llama-4-70b'}")).status, 200);
        QCOMPARE(call("PUT", "/model-aliases/llama", j("{'model':'no-such-model'}")).status, 404);
        QCOMPARE(call("PUT", "/model-aliases/mock-small", j("{'model':'org/llama-4-70b'}")).status, 409);
        QCOMPARE(call("PUT", "/model-aliases/*", j("{'model':'org/llama-4-70b'}")).status, 400);
        const QJsonObject resolved = get("/model-aliases/resolve/llama-5-405b").json();
        QCOMPARE(resolved.value(QLatin1String("model")).toString(), QStringLiteral("org/llama-4-70b"));
        QCOMPARE(resolved.value(QLatin1String("matched_by")).toString(), QStringLiteral("llama-*"));
        QCOMPARE(resolved.value(QLatin1String("forwarded_as")).toString(), QStringLiteral("llama-5-405b"));
        QCOMPARE(get("/model-aliases/resolve/nothing-like-it").status, 404);
        QVERIFY(get("/model-aliases").body.contains("\"pattern\":\"llama-*\""));
        QVERIFY(get("/audit?entity=model_alias").body.contains("llama-*"));
        QCOMPARE(call("DELETE", "/models/org%2Fllama-4-70b").status, 409); // an alias names it
        QCOMPARE(call("DELETE", "/model-aliases/llama-*").status, 204);
        QCOMPARE(call("DELETE", "/model-aliases/llama-*").status, 404);
        QCOMPARE(call("DELETE", "/models/org%2Fllama-4-70b").status, 204);
        QCOMPARE(call("DELETE", "/providers/" + QByteArray::number(provider)).status, 204);
    }

    void usageReports()
    {
        // Known records in January 2025 (UTC days; the org's zone was set to Europe/Berlin above: days start at 23:00
        // UTC).
        const Id u1 = m_service->directory()
                          .createUser({QStringLiteral("use1@example.org"),
                                       QStringLiteral("Use One"),
                                       UserStatus::Active,
                                       {},
                                       std::nullopt},
                                      QStringLiteral("t"))
                          ->id;
        const Id u2 = m_service->directory()
                          .createUser({QStringLiteral("use2@example.org"),
                                       QStringLiteral("Use Two"),
                                       UserStatus::Active,
                                       {},
                                       std::nullopt},
                                      QStringLiteral("t"))
                          ->id;
        const Instant day1 =
            QDateTime(QDate(2025, 1, 10), QTime(12, 0), QTimeZone("Europe/Berlin")).toMSecsSinceEpoch();
        const Instant day2 = day1 + 24 * 3600 * 1000;
        QList<UsageRecord> records;
        const auto add = [&](Instant t, Id user, const QString& model, Money cost,
                             UsageStatus status = UsageStatus::Ok) {
            UsageRecord r;
            r.time = t;
            r.requestId = QStringLiteral("req_%1").arg(records.size());
            r.orgId = m_orgId;
            r.userId = user;
            r.model = model;
            r.inputTokens = 100;
            r.outputTokens = 10;
            r.cost = cost;
            r.status = status;
            records.append(r);
        };
        add(day1, u1, QStringLiteral("mock-small"), 1'000'000'000);
        add(day1, u2, QStringLiteral("mock-small"), 250'000'000);
        add(day2, u1, QStringLiteral("mock-large"), 3'000'000'001);
        add(day2, u2, QStringLiteral("mock-small"), 0, UsageStatus::Denied);
        QVERIFY(m_service->usage().recordUsage(records).ok());

        const QByteArray range = "from=2025-01-01&to=2025-02-01";
        const QJsonObject total = get("/usage?" + range).json();
        QCOMPARE(total[QLatin1String("total")][QLatin1String("cost_nanos")].toInteger(), 4'250'000'001LL);
        QCOMPARE(total[QLatin1String("total")][QLatin1String("requests")].toInteger(), 4);
        QCOMPARE(total[QLatin1String("total")][QLatin1String("denied")].toInteger(), 1);
        const QJsonArray byDay =
            get("/usage?" + range + "&group_by=user&granularity=day").json()[QLatin1String("data")].toArray();
        QCOMPARE(byDay.size(), 4);
        QCOMPARE(byDay[0][QLatin1String("label")].toString(), QStringLiteral("use1@example.org"));
        QCOMPARE(byDay[0][QLatin1String("bucket_start")].toString(), QStringLiteral("2025-01-09T23:00:00.000Z"));
        const QJsonArray top = get("/usage?" + range + "&group_by=user&top=1").json()[QLatin1String("data")].toArray();
        QCOMPARE(top.size(), 1);
        QCOMPARE(top[0][QLatin1String("key")].toString(), QString::number(u1));
        QCOMPARE(top[0][QLatin1String("cost_nanos")].toInteger(), 4'000'000'001LL);
        const TestResponse csv = get("/usage?" + range + "&group_by=model&format=csv");
        QCOMPARE(csv.status, 200);
        QVERIFY(csv.headers.value("Content-Type").startsWith("text/csv"));
        QVERIFY2(csv.body.contains(",model,mock-large,mock-large,1,0,100,0,10,3.000000001\r\n"), csv.body.constData());
        QCOMPARE(get("/usage?from=2020-01-01&to=2026-01-01&granularity=day").status, 400); // too many buckets
        QCOMPARE(get("/usage?group_by=planet").status, 400);
        QCOMPARE(get("/usage?from=yesterday").status, 400);
        QCOMPARE(get("/usage?from=2025-02-01&to=2025-01-01").status, 400);
    }

    void everyChangeIsAudited()
    {
        const qint64 before = auditCount();
        const TestResponse c = call("POST", "/users", j("{'email':'audited@example.org','name':'Audited'}"));
        const QByteArray id = QByteArray::number(c.json().value(QLatin1String("id")).toInteger());
        call("PATCH", "/users/" + id, j("{'name':'Audited Twice'}"));
        QCOMPARE(auditCount(), before + 2);
        const QJsonArray entries = get("/audit?entity=user&entity_id=" + id).json()[QLatin1String("data")].toArray();
        QCOMPARE(entries.size(), 2);
        const QJsonObject update = entries[0].toObject();
        QCOMPARE(update[QLatin1String("action")].toString(), QStringLiteral("update"));
        QCOMPARE(update[QLatin1String("before")][QLatin1String("name")].toString(), QStringLiteral("Audited"));
        QCOMPARE(update[QLatin1String("after")][QLatin1String("name")].toString(), QStringLiteral("Audited Twice"));
        QVERIFY(update[QLatin1String("actor")].toString().startsWith(QLatin1String("admin:tga-")));
        // Filter by actor: the viewer never changed anything.
        const QString viewerPrefix = get("/me", m_viewer).json().value(QLatin1String("prefix")).toString();
        QCOMPARE(get("/audit?actor=admin:" + viewerPrefix.toUtf8()).json()[QLatin1String("data")].toArray().size(), 0);
        // Paging walks back through the log.
        const QJsonObject page = get("/audit?limit=3").json();
        QCOMPARE(page[QLatin1String("data")].toArray().size(), 3);
        const qint64 next = page[QLatin1String("next_before_id")].toInteger();
        QVERIFY(get("/audit?limit=3&before_id=" + QByteArray::number(next))
                    .json()[QLatin1String("data")][0][QLatin1String("id")]
                    .toInteger()
                < next);
        // The admin key changes are audited too (without the secret).
        QVERIFY(!get("/audit?entity=admin_key").json()[QLatin1String("data")].toArray().isEmpty());
    }

    void badInput_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("param");
        QTest::newRow("malformed json") << QByteArray("POST") << QByteArray("/users") << QByteArray("{\"email\":")
                                        << 400 << "$";
        QTest::newRow("array body") << QByteArray("POST") << QByteArray("/users") << QByteArray("[]") << 400 << "$";
        QTest::newRow("empty body") << QByteArray("POST") << QByteArray("/users") << QByteArray() << 400 << "$";
        QTest::newRow("missing field") << QByteArray("POST") << QByteArray("/users")
                                       << QByteArray(j("{'email':'m@example.org'}")) << 400 << "$.name";
        QTest::newRow("wrong type") << QByteArray("POST") << QByteArray("/users")
                                    << QByteArray(j("{'email':42,'name':'N'}")) << 400 << "$.email";
        QTest::newRow("unknown field") << QByteArray("POST") << QByteArray("/users")
                                       << QByteArray(j("{'email':'u@example.org','name':'N','admin':true}")) << 400
                                       << "$.admin";
        QTest::newRow("negative money") << QByteArray("POST") << QByteArray("/projects")
                                        << QByteArray(j("{'name':'P','monthly_limit':-5}")) << 400 << "$.monthly_limit";
        QTest::newRow("nine+ decimals") << QByteArray("POST") << QByteArray("/projects")
                                        << QByteArray(j("{'name':'P','monthly_limit':'0.0000000001'}")) << 400
                                        << "$.monthly_limit";
        QTest::newRow("fractional id") << QByteArray("POST") << QByteArray("/groups/1/members")
                                       << QByteArray(j("{'user_ids':[1.5]}")) << 400 << "$.user_ids[0]";
        QTest::newRow("unknown group id")
            << QByteArray("POST") << QByteArray("/users")
            << QByteArray(j("{'email':'g@example.org','name':'G','group_ids':[777777]}")) << 404 << "$.group_ids";
        QTest::newRow("unknown route") << QByteArray("GET") << QByteArray("/planets") << QByteArray() << 404 << "";
        QTest::newRow("wrong method") << QByteArray("PUT") << QByteArray("/users/1") << QByteArray("{}") << 405 << "";
        QTest::newRow("non-numeric id") << QByteArray("GET") << QByteArray("/users/abc") << QByteArray() << 404 << "";
        QTest::newRow("other organization")
            << QByteArray("GET") << QByteArray("/organizations/2/user-policies") << QByteArray() << 404 << "";
        QTest::newRow("unknown query") << QByteArray("GET") << QByteArray("/groups?debug=1") << QByteArray() << 400
                                       << "debug";
        QTest::newRow("bad role") << QByteArray("POST") << QByteArray("/admin-keys")
                                  << QByteArray(j("{'name':'r','role':'god'}")) << 403 << "";
        QTest::newRow("not a boolean") << QByteArray("GET")
                                       << QByteArray("/organizations/1/user-policies?effective=yes") << QByteArray()
                                       << 400 << "effective";
        QTest::newRow("explain without who")
            << QByteArray("GET") << QByteArray("/explain?model=mock-small") << QByteArray() << 400 << "user_id";
        QTest::newRow("duplicate email") << QByteArray("POST") << QByteArray("/users")
                                         << QByteArray(j("{'email':'M1@example.org','name':'Dup'}")) << 409
                                         << "$.email";
    }
    void badInput()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, param);
        const qint64 users = userCount();
        const qint64 audit = auditCount();
        const TestResponse r = call(method, path, body);
        QCOMPARE(r.status, status);
        const QJsonObject error = r.json()[QLatin1String("error")].toObject();
        QVERIFY2(!error[QLatin1String("message")].toString().isEmpty(), r.body.constData());
        QCOMPARE(error[QLatin1String("param")].toString(), param);
        QCOMPARE(userCount(), users);
        QCOMPARE(auditCount(), audit);
    }

    void loopbackOnlyOnTheSharedListener()
    {
        // A client reaching the gateway's listener from another address is refused by the admin API (but served by
        // the LLM routes).
        QHostAddress external;
        for (const QHostAddress& a : QNetworkInterface::allAddresses())
            if (a.protocol() == QAbstractSocket::IPv4Protocol && !a.isLoopback() && !a.isLinkLocal())
                external = a;
        if (external.isNull())
            QSKIP("this machine has no non-loopback IPv4 address");
        GatewayHost shared(*m_service);
        GatewayConfig config;
        config.server.address = QHostAddress::AnyIPv4;
        config.server.port = 0;
        config.server.threads = 1;
        QCOMPARE(shared.start(config), QString());
        const QByteArray bearer = "Authorization: Bearer " + m_admin.toUtf8();
        QTcpSocket socket;
        socket.connectToHost(external, shared.port());
        QVERIFY(socket.waitForConnected(5'000));
        socket.write(makeRequest("GET", "/api/admin/me", {}, {bearer, "Connection: close"}));
        QByteArray reply;
        while (socket.waitForReadyRead(5'000))
            reply += socket.readAll();
        QVERIFY2(reply.startsWith("HTTP/1.1 403"), reply.constData());
        QVERIFY(reply.contains("admin_loopback_only"));
        QCOMPARE(sendRaw(shared.port(), makeRequest("GET", "/api/admin/me", {}, {bearer})).status, 200);
        shared.stop(1'000);
    }

    void ownListener()
    {
        // With an admin listener of its own, the gateway's address no longer serves /api/admin.
        GatewayHost separate(*m_service);
        GatewayConfig config;
        config.server.port = 0;
        config.server.threads = 1;
        config.adminListen = std::make_pair(QHostAddress(QHostAddress::LocalHost), quint16(0));
        QCOMPARE(separate.start(config), QString());
        const QByteArray bearer = "Authorization: Bearer " + m_admin.toUtf8();
        QCOMPARE(sendRaw(separate.port(), makeRequest("GET", "/api/admin/me", {}, {bearer})).status, 404);
        const QUrl admin(separate.adminAddress());
        QVERIFY(admin.port() > 0 && admin.port() != separate.port());
        QCOMPARE(sendRaw(quint16(admin.port()), makeRequest("GET", "/api/admin/me", {}, {bearer})).status, 200);
        separate.stop(1'000);
    }
};

QTEST_GUILESS_MAIN(TestAdmin)
#include "test_admin.moc"
