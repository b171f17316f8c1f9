#include "core/service/service.h"
#include "gateway/host.h"
#include "gateway/llm/mock.h"
#include "httptestclient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace tollgate;

// The gateway end to end over real sockets: routes, enforcement, streaming, metering, bad input, upstream faults.
class TestGateway : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Service> m_service;
    std::unique_ptr<GatewayHost> m_host;
    llm::MockHandler m_mockHandler;
    std::unique_ptr<http::Server> m_mock; // the mock provider over HTTP
    quint16 m_port = 0;
    User m_ann, m_bob, m_cid;
    Group m_team;
    QString m_annKey, m_groupKey;

    QByteArray auth(const QString& key) const { return "Authorization: Bearer " + key.toUtf8(); }

    TestResponse chat(const QString& key, const QByteArray& body, QList<QByteArray> headers = {})
    {
        headers << auth(key);
        return sendRaw(m_port, postRequest("/v1/chat/completions", body, headers));
    }

    struct Row
    {
        QString status;
        qint64 input = -1, output = -1, cost = -1;
        bool estimated = false, streamed = false;
        Id user = 0, customer = 0;
        QString groups; // as stored: ",3,7,"
    };
    Row record(const QByteArray& requestId)
    {
        m_host->flushUsage(); // answered once journalled: the database may be a batch behind
        QSqlQuery q(m_service->database().connection());
        q.prepare(QStringLiteral(
            "SELECT status, input_tokens, output_tokens, cost, estimated, streamed, user_id, customer_id,"
            " group_ids FROM usage_records WHERE request_id = ?"));
        q.addBindValue(QString::fromLatin1(requestId));
        Row r;
        if (q.exec() && q.next())
            r = {q.value(0).toString(),   q.value(1).toLongLong(), q.value(2).toLongLong(),
                 q.value(3).toLongLong(), q.value(4).toBool(),     q.value(5).toBool(),
                 q.value(6).toLongLong(), q.value(7).toLongLong(), q.value(8).toString()};
        return r;
    }

    void setAnnPolicy(const std::function<void(PolicySettings&)>& f)
    {
        PolicySettings p;
        f(p);
        QVERIFY(m_service->directory().setUserPolicy(m_ann.id, p, QStringLiteral("test")).ok());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto s =
            Service::open(*DatabaseLocation::parse(m_dir.filePath(QStringLiteral("g.db"))), SystemClock::instance());
        QVERIFY(s.ok());
        m_service = std::move(s.value());
        m_ann = *m_service->directory().createUser(
            {QStringLiteral("ann@example.org"), QStringLiteral("Ann"), UserStatus::Active, {}, std::nullopt},
            QStringLiteral("t"));
        m_bob = *m_service->directory().createUser(
            {QStringLiteral("bob@example.org"), QStringLiteral("Bob"), UserStatus::Active, {}, std::nullopt},
            QStringLiteral("t"));
        m_cid = *m_service->directory().createUser(
            {QStringLiteral("cid@example.org"), QStringLiteral("Cid"), UserStatus::Active, {}, std::nullopt},
            QStringLiteral("t"));
        m_team = *m_service->directory().createGroup(QStringLiteral("Team"), 0, QStringLiteral("t"));
        QVERIFY(m_service->directory().addUsersToGroup({m_bob.id}, m_team.id, QStringLiteral("t")).ok());
        NewKey k;
        k.name = QStringLiteral("ann's key");
        k.holderUserId = m_ann.id;
        m_annKey = m_service->access().createKey(k, QStringLiteral("t"))->secret;
        NewKey g;
        g.name = QStringLiteral("team key");
        g.groupIds = {m_team.id};
        g.projectId =
            m_service->access().createProject(QStringLiteral("Shared"), std::nullopt, QStringLiteral("t"))->id;
        m_groupKey = m_service->access().createKey(g, QStringLiteral("t"))->secret;

        http::ServerOptions mockOptions;
        mockOptions.port = 0;
        mockOptions.threads = 1;
        m_mock = std::make_unique<http::Server>(m_mockHandler, mockOptions);
        QCOMPARE(m_mock->start(), QString());
        Provider p;
        p.name = QStringLiteral("mock over http");
        p.kind = ProviderKind::Mock;
        p.baseUrl = QStringLiteral("http://127.0.0.1:%1/v1").arg(m_mock->port());
        const Provider saved = *m_service->catalog().saveProvider(p, QStringLiteral("t"));
        ModelInfo m = *m_service->catalog().model(QStringLiteral("mock-small"));
        m.id = QStringLiteral("mock-http");
        m.upstreamName = QStringLiteral("mock-small");
        m.providerId = saved.id;
        QVERIFY(m_service->catalog().saveModel(m, QStringLiteral("t")).ok());

        GatewayConfig config;
        config.server.port = 0;
        config.server.threads = 2;
        config.server.headerTimeoutMs = 1'500;
        config.server.requestTimeoutMs = 3'000;
        config.server.limits.maxBodyBytes = 64 * 1024;
        config.gateway.upstreamTimeoutMs = 1'500;
        m_host = std::make_unique<GatewayHost>(*m_service);
        QCOMPARE(m_host->start(config), QString());
        m_port = m_host->port();
    }

    void cleanupTestCase()
    {
        m_host->stop(5'000);
        m_mock->stop(0);
    }

    void init() { QVERIFY(m_service->directory().setUserPolicy(m_ann.id, std::nullopt, QStringLiteral("t")).ok()); }

    void healthz()
    {
        const TestResponse r = sendRaw(m_port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QLatin1String("status")).toString(), QStringLiteral("ok"));
    }

    void completionIsMeteredExactly()
    {
        const TestResponse r =
            chat(m_annKey, R"({"model":"mock-small","messages":[{"role":"user","content":"hi there"}]})");
        QCOMPARE(r.status, 200);
        const QJsonObject usage = r.json().value(QLatin1String("usage")).toObject();
        const QByteArray id = r.headers.value("x-request-id");
        QVERIFY(id.startsWith("req_"));
        const Row row = record(id); // durable before the client had the last byte
        QCOMPARE(row.status, QStringLiteral("ok"));
        QCOMPARE(row.input, usage.value(QLatin1String("prompt_tokens")).toInteger());
        QCOMPARE(row.output, usage.value(QLatin1String("completion_tokens")).toInteger());
        const ModelInfo m = *m_service->catalog().model(QStringLiteral("mock-small"));
        QCOMPARE(row.cost, row.input * m.inputPrice + row.output * m.outputPrice);
        QCOMPARE(row.user, m_ann.id);
        QVERIFY(!row.estimated);
    }

    void streamPassesThroughAndStripsTheUsageChunkItAdded()
    {
        const TestResponse r = chat(
            m_annKey, R"({"model":"mock-small","stream":true,"messages":[{"role":"user","content":"stream please"}]})");
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.value("Content-Type").startsWith("text/event-stream"));
        QVERIFY(r.body.endsWith("data: [DONE]\n\n"));
        QVERIFY2(!r.body.contains("\"usage\""), r.body.constData()); // the client did not ask for it
        const Row row = record(r.headers.value("x-request-id"));
        QCOMPARE(row.status, QStringLiteral("ok"));
        QVERIFY(row.streamed);
        QVERIFY(!row.estimated);
        QVERIFY(row.output > 0);

        const TestResponse withUsage = chat(
            m_annKey,
            R"({"model":"mock-small","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]})");
        QVERIFY(withUsage.body.contains("\"usage\""));
    }

    void anthropicStreamReadsUsageFromStartAndDelta()
    {
        const TestResponse r = sendRaw(
            m_port,
            postRequest(
                "/v1/messages",
                R"({"model":"mock-small","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"[mock:cached=2] hello"}]})",
                {"x-api-key: " + m_annKey.toUtf8(), "anthropic-version: 2023-06-01"}));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("event: message_start"));
        QVERIFY(r.body.endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
        const Row row = record(r.headers.value("x-request-id"));
        QCOMPARE(r.headers.value("request-id"), r.headers.value("x-request-id")); // Anthropic's SDKs read request-id
        QCOMPARE(row.status, QStringLiteral("ok"));
        QVERIFY(row.input > 2);
        QVERIFY(row.output > 1); // from message_delta, not message_start's placeholder
        QVERIFY(!row.estimated);
    }

    void responseWithoutUsageIsChargedItsReservation()
    {
        const TestResponse r =
            chat(m_annKey,
                 R"({"model":"mock-small","max_tokens":100,"messages":[{"role":"user","content":"[mock:no-usage]"}]})");
        QCOMPARE(r.status, 200);
        const Row row = record(r.headers.value("x-request-id"));
        QVERIFY(row.estimated);
        QCOMPARE(row.output, 100);
        QVERIFY(row.cost > 100 * m_service->catalog().model(QStringLiteral("mock-small"))->outputPrice);
    }

    void keysAreChecked()
    {
        TestResponse r =
            sendRaw(m_port, postRequest("/v1/chat/completions", R"({"model":"mock-small","messages":[]})"));
        QCOMPARE(r.status, 401);
        QVERIFY(r.json()
                    .value(QLatin1String("error"))
                    .toObject()
                    .value(QLatin1String("message"))
                    .toString()
                    .contains(u"missing API key"));
        r = chat(QStringLiteral("tg-doesnotexist"),
                 R"({"model":"mock-small","messages":[{"role":"user","content":"x"}]})");
        QCOMPARE(r.status, 401);
        QVERIFY(!record(r.headers.value("x-request-id")).status.isEmpty()); // even this is recorded
    }

    void modelAccessIsExplained()
    {
        TestResponse r = chat(m_annKey, R"({"model":"no-such-model","messages":[{"role":"user","content":"x"}]})");
        QCOMPARE(r.status, 404);
        setAnnPolicy([](PolicySettings& p) { p.allowedModels = ModelRule::list({QStringLiteral("mock-large")}); });
        r = chat(m_annKey, R"({"model":"mock-small","messages":[{"role":"user","content":"x"}]})");
        QCOMPARE(r.status, 403);
        const QJsonObject e = r.json().value(QLatin1String("error")).toObject();
        QCOMPARE(e.value(QLatin1String("tollgate")).toObject().value(QLatin1String("decision")).toString(),
                 QStringLiteral("denied"));
        QCOMPARE(record(r.headers.value("x-request-id")).status, QStringLiteral("denied"));
        // A policy change applies to the very next request.
        QVERIFY(m_service->directory().setUserPolicy(m_ann.id, std::nullopt, QStringLiteral("t")).ok());
        QCOMPARE(chat(m_annKey, R"({"model":"mock-small","messages":[{"role":"user","content":"x"}]})").status, 200);
    }

    void limitDenialCarriesTheExplanation()
    {
        setAnnPolicy([](PolicySettings& p) { p[Dimension::DailyCost] = Limit::of(1); });
        const TestResponse r =
            chat(m_annKey, R"({"model":"mock-small","max_tokens":10,"messages":[{"role":"user","content":"x"}]})");
        QCOMPARE(r.status, 429);
        // A day's budget does not clear by waiting seconds: the SDKs are told not to retry, and no Retry-After.
        QCOMPARE(r.headers.value("x-should-retry"), QByteArray("false"));
        QVERIFY(r.headers.value("Retry-After").isEmpty());
        const QJsonObject t =
            r.json().value(QLatin1String("error")).toObject().value(QLatin1String("tollgate")).toObject();
        const QJsonObject binding = t.value(QLatin1String("binding")).toObject();
        QCOMPARE(binding.value(QLatin1String("scope")).toString(), QStringLiteral("user"));
        QCOMPARE(binding.value(QLatin1String("window")).toString(), QStringLiteral("day"));
        QCOMPARE(binding.value(QLatin1String("setting")).toString(), QStringLiteral("dailyCostLimit"));
        QCOMPARE(binding.value(QLatin1String("source")).toObject().value(QLatin1String("level")).toString(),
                 QStringLiteral("user"));
        QVERIFY(binding.contains(QLatin1String("resets_at")));
        QVERIFY(binding.contains(QLatin1String("used")));
    }

    void rateLimitRefusalsSayWhenToRetry()
    {
        setAnnPolicy([](PolicySettings& p) { p[Dimension::RequestsPerMinute] = Limit::of(1); });
        const QByteArray body = R"({"model":"mock-small","messages":[{"role":"user","content":"x"}]})";
        TestResponse r = chat(m_annKey, body); // the first of this minute passes, unless Ann had one already
        if (r.status == 200)
            r = chat(m_annKey, body);
        QCOMPARE(r.status, 429);
        const QJsonObject binding = r.json()
                                        .value(QLatin1String("error"))
                                        .toObject()
                                        .value(QLatin1String("tollgate"))
                                        .toObject()
                                        .value(QLatin1String("binding"))
                                        .toObject();
        QCOMPARE(binding.value(QLatin1String("metric")).toString(), QStringLiteral("requests"));
        QVERIFY(r.headers.value("Retry-After").toLongLong() >= 1);
        QVERIFY(r.headers.value("Retry-After").toLongLong() <= 60);
        QVERIFY(r.headers.value("x-should-retry").isEmpty());
        setAnnPolicy([](PolicySettings& p) { p[Dimension::RequestsPerMinute] = Limit::unlimited(); });
    }

    void requestLimitHeaders()
    {
        setAnnPolicy([](PolicySettings& p) { p[Dimension::RequestsPerMinute] = Limit::of(1000); });
        const TestResponse r = chat(m_annKey, R"({"model":"mock-small","messages":[{"role":"user","content":"x"}]})");
        QCOMPARE(r.headers.value("x-ratelimit-limit-requests"), QByteArray("1000"));
        QVERIFY(r.headers.value("x-ratelimit-remaining-requests").toLongLong() < 1000);
        QVERIFY(r.headers.value("x-ratelimit-reset-requests").endsWith('s'));
    }

    void maxTokensLoweredToFit()
    {
        // Room for the input and about 100 output tokens of mock-large ($15/M output), not for 4,000.
        const ModelInfo m = *m_service->catalog().model(QStringLiteral("mock-large"));
        const QByteArray body =
            R"({"model":"mock-large","max_tokens":4000,"messages":[{"role":"user","content":"x"}]})";
        setAnnPolicy([&](PolicySettings& p) {
            p[Dimension::MonthlyCost] = Limit::of(200 * m.inputPrice + 100 * m.outputPrice);
        });
        const TestResponse r = chat(m_annKey, body);
        QCOMPARE(r.status, 200);
        const qint64 lowered = r.headers.value("x-tollgate-max-tokens-lowered").toLongLong();
        QVERIFY2(lowered >= 16 && lowered < 4000, r.headers.value("x-tollgate-max-tokens-lowered").constData());
    }

    void concurrentRequestsNeverOvershoot()
    {
        const ModelInfo m = *m_service->catalog().model(QStringLiteral("mock-large"));
        const Money limit = 5 * (300 * m.inputPrice + 60 * m.outputPrice);
        // A fresh user, so that nothing spent earlier counts.
        const User u = *m_service->directory().createUser(
            {QStringLiteral("dana@example.org"), QStringLiteral("Dana"), UserStatus::Active, {}, std::nullopt},
            QStringLiteral("t"));
        PolicySettings p;
        p[Dimension::MonthlyCost] = Limit::of(limit);
        QVERIFY(m_service->directory().setUserPolicy(u.id, p, QStringLiteral("t")).ok());
        NewKey k;
        k.holderUserId = u.id;
        k.name = QStringLiteral("dana");
        const QString key = m_service->access().createKey(k, QStringLiteral("t"))->secret;
        QList<QByteArray> raws;
        for (int i = 0; i < 60; ++i)
            raws << postRequest(
                "/v1/chat/completions",
                R"({"model":"mock-large","max_tokens":60,"messages":[{"role":"user","content":"[mock:tokens=60] go"}]})",
                {auth(key)});
        const QList<TestResponse> rs = sendParallel(m_port, raws);
        int ok = 0, limited = 0;
        for (const TestResponse& r : rs) {
            ok += r.status == 200;
            limited += r.status == 429;
        }
        QCOMPARE(ok + limited, 60);
        QVERIFY(ok >= 5);
        QVERIFY(limited > 0);
        m_host->flushUsage();
        QSqlQuery q(m_service->database().connection());
        q.exec(QStringLiteral("SELECT SUM(cost), COUNT(*) FROM usage_records WHERE user_id = %1").arg(u.id));
        QVERIFY(q.next());
        QVERIFY2(q.value(0).toLongLong() <= limit,
                 qPrintable(QStringLiteral("spent %1 of %2").arg(q.value(0).toLongLong()).arg(limit)));
        QCOMPARE(q.value(1).toInt(), 60); // a record for every request, allowed or denied
    }

    void groupKeyNamesItsMember()
    {
        const QByteArray body = R"({"model":"mock-small","messages":[{"role":"user","content":"x"}]})";
        QCOMPARE(chat(m_groupKey, body).status, 400); // who?
        QCOMPARE(chat(m_groupKey, body, {"X-Tollgate-User: cid@example.org"}).status, 403); // not a member
        TestResponse r = chat(m_groupKey, body, {"X-Tollgate-User: bob@example.org"});
        QCOMPARE(r.status, 200);
        QCOMPARE(record(r.headers.value("x-request-id")).user, m_bob.id);
        // The request counts for the groups Bob is in when it is made (with their ancestors), for good.
        QCOMPARE(record(r.headers.value("x-request-id")).groups, QStringLiteral(",%1,").arg(m_team.id));
        r = chat(m_groupKey,
                 R"({"model":"mock-small","user":"bob@example.org","messages":[{"role":"user","content":"x"}]})");
        QCOMPARE(r.status, 200);
    }

    void customerParamsCreateTheCustomerAndItsLimits()
    {
        // Setting a customer's limits is a key permission (customer_limits), refused in the API's error format.
        const QByteArray capped = R"({"model":"mock-small","messages":[{"role":"user","content":"x"}],
            "customer_params":{"customer_identifier":"acme-42","name":"Acme","period_budget":0.000000001,"budget_duration":"monthly"}})";
        const TestResponse refused = chat(m_annKey, capped);
        QCOMPARE(refused.status, 403);
        const QJsonObject error = refused.json()[QLatin1String("error")].toObject();
        QCOMPARE(error.value(QLatin1String("code")).toString(), QStringLiteral("customer_limits_not_permitted"));
        QCOMPARE(error.value(QLatin1String("param")).toString(), QStringLiteral("customer_params.period_budget"));
        QVERIFY(error.value(QLatin1String("message")).toString().contains(QLatin1String("customer_limits")));
        QVERIFY(!m_service->customers().customerByIdentifier(QStringLiteral("acme-42")));
        NewKey saas;
        saas.name = QStringLiteral("SaaS backend");
        saas.holderUserId = m_ann.id;
        saas.features.append(QLatin1String(kCustomerLimitsFeature));
        const QString saasKey = m_service->access().createKey(saas, QStringLiteral("t"))->secret;
        const TestResponse r = chat(saasKey, capped);
        // The budget is one nano-dollar: this first request already does not fit.
        QCOMPARE(r.status, 429);
        const auto c = m_service->customers().customerByIdentifier(QStringLiteral("acme-42"));
        QVERIFY(c.has_value());
        QCOMPARE(c->name, QStringLiteral("Acme"));
        QCOMPARE(c->budgetDuration, BudgetDuration::Monthly);
        QCOMPARE(record(r.headers.value("x-request-id")).customer, c->id);
        const QJsonObject binding =
            r.json()[QLatin1String("error")][QLatin1String("tollgate")][QLatin1String("binding")].toObject();
        QCOMPARE(binding.value(QLatin1String("scope")).toString(), QStringLiteral("customer"));
        const TestResponse bad = chat(
            m_annKey,
            R"({"model":"mock-small","messages":[{"role":"user","content":"x"}],"customer_params":{"name":"no id"}})");
        QCOMPARE(bad.status, 400);
    }

    // DNS rebinding: a page whose name now points at this machine sends that name as Host; the unauthenticated
    // routes answer only IP literals, localhost and this machine's own names.
    void unauthenticatedRoutesAnswerOnlyThisMachinesNames()
    {
        const auto get = [this](const QByteArray& path, const QByteArray& host) {
            return sendRaw(m_port, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
        };
        const QByteArray port = ':' + QByteArray::number(m_port);
        const QList<QByteArray> hosts {QByteArray("127.0.0.1") + port, QByteArray("localhost") + port,
                                       QByteArray("LOCALHOST"), QByteArray("[::1]") + port,
                                       QHostInfo::localHostName().toUtf8()};
        for (const QByteArray& host : hosts)
            QVERIFY2(get("/metrics", host).status == 200, host.constData());
        const TestResponse rebound = get("/metrics", QByteArray("rebind.attacker.example") + port);
        QCOMPARE(rebound.status, 421);
        QVERIFY(!rebound.body.contains("tollgate_requests_total"));
        QCOMPARE(get("/healthz", "rebind.attacker.example").status, 421);
        QCOMPARE(get("/healthz", "127.0.0.1").status, 200);
    }

    void metricsAndOverheadHeader()
    {
        auto scrape = [&] { return sendRaw(m_port, makeRequest("GET", "/metrics")).body; };
        auto counter = [](const QByteArray& text, const QByteArray& series) -> qint64 {
            for (const QByteArray& line : text.split('\n'))
                if (line.startsWith(QByteArray(series + ' ')))
                    return line.mid(series.size() + 1).toLongLong();
            return 0;
        };
        const QByteArray ok =
            "tollgate_requests_total{route=\"/v1/chat/completions\",model=\"mock-small\",status=\"200\"}";
        const QByteArray unknownModel = "tollgate_denials_total{reason=\"model_not_found\"}";
        const QByteArray before = scrape();
        // Answered requests carry the gateway's own share of their latency, never more than the whole.
        for (int i = 0; i < 3; ++i) {
            QElapsedTimer clock;
            clock.start();
            const TestResponse r =
                chat(m_annKey, R"({"model":"mock-small","messages":[{"role":"user","content":"hi"}]})");
            const double wholeMs = double(clock.nsecsElapsed()) / 1e6;
            QCOMPARE(r.status, 200);
            bool parsed = false;
            const double overheadMs = r.headers.value("x-tollgate-overhead-ms").toDouble(&parsed);
            QVERIFY2(parsed && overheadMs >= 0 && overheadMs <= wholeMs,
                     r.headers.value("x-tollgate-overhead-ms").constData());
        }
        const TestResponse denied =
            chat(m_annKey, R"({"model":"no-such-model","messages":[{"role":"user","content":"hi"}]})");
        QCOMPARE(denied.status, 404);
        QVERIFY(denied.headers.contains("x-tollgate-overhead-ms"));
        const TestResponse stream =
            chat(m_annKey, R"({"model":"mock-small","stream":true,"messages":[{"role":"user","content":"hi"}]})");
        QVERIFY(stream.headers.contains("x-tollgate-overhead-ms"));

        const QByteArray after = scrape();
        QCOMPARE(counter(after, ok) - counter(before, ok), 4);
        QCOMPARE(counter(after, unknownModel) - counter(before, unknownModel), 1);
        // A made-up model name is not a label value.
        QVERIFY(!after.contains("no-such-model"));
        QVERIFY(after.contains(
            "tollgate_requests_total{route=\"/v1/chat/completions\",model=\"(unknown)\",status=\"404\"}"));
        QVERIFY(after.contains("# TYPE tollgate_gateway_overhead_seconds histogram"));
        QVERIFY(after.contains("tollgate_request_duration_seconds_bucket{route=\"/v1/chat/completions\",le=\"+Inf\"}"));
        QVERIFY(after.contains("tollgate_metering_queue_depth "));
        QVERIFY(after.contains("tollgate_requests_in_flight ")); // the last call may still be tidying up
        const QByteArray inf = "tollgate_gateway_overhead_seconds_count{route=\"/v1/chat/completions\"}";
        QVERIFY(counter(after, inf) >= counter(after, ok));
    }

    void embeddingsAndModels()
    {
        TestResponse r = sendRaw(
            m_port, postRequest("/v1/embeddings", R"({"model":"mock-embed","input":["a","bb"]})", {auth(m_annKey)}));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QLatin1String("data")).toArray().size(), 2);
        QCOMPARE(record(r.headers.value("x-request-id")).status, QStringLiteral("ok"));
        setAnnPolicy([](PolicySettings& p) {
            p.allowedModels = ModelRule::list({QStringLiteral("mock-small"), QStringLiteral("mock-embed")});
        });
        r = sendRaw(m_port, "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + auth(m_annKey) + "\r\n\r\n");
        QCOMPARE(r.status, 200);
        QStringList ids;
        for (const QJsonValue& v : r.json().value(QLatin1String("data")).toArray())
            ids << v.toObject().value(QLatin1String("id")).toString();
        ids.sort();
        QCOMPARE(ids, QStringList({QStringLiteral("mock-embed"), QStringLiteral("mock-small")}));

        // One model, in each API's shape; one the key may not use is not there.
        r = sendRaw(m_port, "GET /v1/models/mock-small HTTP/1.1\r\nHost: x\r\n" + auth(m_annKey) + "\r\n\r\n");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QLatin1String("id")).toString(), QStringLiteral("mock-small"));
        QCOMPARE(r.json().value(QLatin1String("object")).toString(), QStringLiteral("model"));
        r = sendRaw(m_port,
                    "GET /v1/models/mock-small HTTP/1.1\r\nHost: x\r\nx-api-key: " + m_annKey.toUtf8()
                        + "\r\nanthropic-version: 2023-06-01\r\n\r\n");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QLatin1String("type")).toString(), QStringLiteral("model"));
        r = sendRaw(m_port, "GET /v1/models/mock-large HTTP/1.1\r\nHost: x\r\n" + auth(m_annKey) + "\r\n\r\n");
        QCOMPARE(r.status, 404);
        QCOMPARE(r.json().value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString(),
                 QStringLiteral("model_not_found"));
        r = sendRaw(m_port, "GET /v1/models/no-such-model HTTP/1.1\r\nHost: x\r\n" + auth(m_annKey) + "\r\n\r\n");
        QCOMPARE(r.status, 404);
        r = sendRaw(m_port, postRequest("/v1/models/mock-small", "{}", {auth(m_annKey)}));
        QCOMPARE(r.status, 405);

        // A shared key naming someone outside its groups lists nothing for them: refused, as on the LLM routes.
        r = sendRaw(m_port,
                    "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + auth(m_groupKey)
                        + "\r\nX-Tollgate-User: cid@example.org\r\n\r\n");
        QCOMPARE(r.status, 403);
        r = sendRaw(m_port, "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + auth(m_groupKey) + "\r\n\r\n");
        QCOMPARE(r.status, 200);
    }

    void badInput_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("message");
        const QByteArray k = "Authorization: Bearer KEY";
        QTest::newRow("malformed json") << postRequest("/v1/chat/completions", "{\"model\":", {k}) << 400
                                        << "not valid JSON";
        QTest::newRow("invalid utf-8") << postRequest(
            "/v1/chat/completions",
            "{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}", {k})
                                       << 400 << "not valid JSON";
        QTest::newRow("wrong type") << postRequest(
            "/v1/chat/completions",
            R"({"model":"mock-small","max_tokens":"ten","messages":[{"role":"user","content":"x"}]})", {k})
                                    << 400 << "max_tokens";
        QTest::newRow("customer markup not a number") << postRequest(
            "/v1/chat/completions",
            R"({"model":"mock-small","messages":[{"role":"user","content":"x"}],"customer_params":{"customer_identifier":"m","markup_percentage":"lots"}})",
            {k}) << 400 << "markup_percentage";
        QTest::newRow("customer unknown field") << postRequest(
            "/v1/chat/completions",
            R"({"model":"mock-small","messages":[{"role":"user","content":"x"}],"customer_params":{"customer_identifier":"m","budget":5}})",
            {k}) << 400 << "customer_params.budget";
        QTest::newRow("no messages") << postRequest("/v1/chat/completions", R"({"model":"mock-small"})", {k}) << 400
                                     << "messages";
        QTest::newRow("anthropic without max_tokens")
            << postRequest("/v1/messages", R"({"model":"mock-small","messages":[{"role":"user","content":"x"}]})", {k})
            << 400 << "max_tokens";
        QTest::newRow("oversized body") << postRequest("/v1/chat/completions", QByteArray(70 * 1024, ' '), {k}) << 413
                                        << "larger than";
        QTest::newRow("random bytes") << QByteArray("\x00\x01\x02garbage\r\n\r\n", 14) << 400 << "request line";
        QTest::newRow("duplicate length") << QByteArray(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}")
                                          << 400 << "duplicate";
        QTest::newRow("gzip transfer coding")
            << QByteArray("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n") << 501
            << "gzip";
        QTest::newRow("unknown route") << QByteArray("GET /v2/nothing HTTP/1.1\r\nHost: x\r\n\r\n") << 404
                                       << "no route";
        QTest::newRow("wrong method") << QByteArray("GET /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n") << 405
                                      << "POST";
    }
    void badInput()
    {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);
        QFETCH(QString, message);
        raw.replace("KEY", m_annKey.toUtf8());
        const TestResponse r = sendRaw(m_port, raw);
        QCOMPARE(r.status, status);
        const QString text =
            r.json().value(QLatin1String("error")).toObject().value(QLatin1String("message")).toString();
        QVERIFY2(text.contains(message), qPrintable(text));
    }

    void slowClientIsCutOffWhileOthersAreServed()
    {
        QTcpSocket slow;
        slow.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        QVERIFY(slow.waitForConnected(5'000));
        const QByteArray request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n";
        int sent = 0;
        QTimer drip;
        connect(&drip, &QTimer::timeout, &slow, [&] {
            if (sent < request.size())
                slow.write(request.mid(sent++, 1));
        });
        drip.start(100);
        QCOMPARE(sendRaw(m_port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status, 200);
        QByteArray answer;
        connect(&slow, &QTcpSocket::readyRead, &slow, [&] { answer += slow.readAll(); });
        QTRY_VERIFY_WITH_TIMEOUT(answer.startsWith("HTTP/1.1 408"), 10'000);
        QVERIFY(answer.contains("did not arrive in time"));
    }

    void connectionsOverTheCapAreTurnedAway()
    {
        llm::MockHandler handler;
        http::ServerOptions o;
        o.port = 0;
        o.threads = 1;
        o.maxConnections = 2;
        http::Server server(handler, o);
        QCOMPARE(server.start(), QString());
        QTcpSocket a, b;
        a.connectToHost(QStringLiteral("127.0.0.1"), server.port());
        b.connectToHost(QStringLiteral("127.0.0.1"), server.port());
        QVERIFY(a.waitForConnected(5'000) && b.waitForConnected(5'000));
        QTRY_COMPARE_WITH_TIMEOUT(server.stats().openConnections, qint64(2), 5'000);
        const TestResponse third = sendRaw(server.port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QCOMPARE(third.status, 503);
        QCOMPARE(server.stats().rejectedConnections, qint64(1));
        a.abort(); // a place frees up
        QTRY_COMPARE_WITH_TIMEOUT(server.stats().openConnections, qint64(1), 5'000);
        QCOMPARE(sendRaw(server.port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status, 200);
        server.stop(0);
    }

    void tlsServesAndRefusesToStartMisconfigured()
    {
        if (qEnvironmentVariable("TOLLGATE_SANITIZED") == u"thread")
            QSKIP(
                "ThreadSanitizer (clang 14) aborts in the child of fork() in a threaded process (QProcess runs openssl "
                "here); the default and AddressSanitizer trees run this test");
        const QString cert = m_dir.filePath(QStringLiteral("c.pem")), key = m_dir.filePath(QStringLiteral("k.pem"));
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                       QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"), key,
                       QStringLiteral("-out"), cert, QStringLiteral("-days"), QStringLiteral("1"),
                       QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1")});
        QVERIFY(openssl.waitForFinished(30'000) && openssl.exitCode() == 0);
        llm::MockHandler handler;
        http::ServerOptions o;
        o.port = 0;
        o.threads = 1;
        o.tlsCertificateFile = cert;
        o.tlsKeyFile = m_dir.filePath(QStringLiteral("missing.pem"));
        QVERIFY(http::Server(handler, o).start().contains(u"missing.pem")); // refuses, naming the file
        o.tlsKeyFile = key;
        http::Server server(handler, o);
        QCOMPARE(server.start(), QString());
        QSslSocket s;
        s.setPeerVerifyMode(QSslSocket::VerifyNone);
        s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.port());
        QVERIFY2(s.waitForEncrypted(10'000), qPrintable(s.errorString()));
        s.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        QByteArray answer;
        while (s.waitForReadyRead(5'000))
            answer += s.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
        server.stop(0);
    }

    void upstreamErrorIs502WithTheProvidersMessage()
    {
        const TestResponse r =
            chat(m_annKey, R"({"model":"mock-http","messages":[{"role":"user","content":"[mock:status=500]"}]})");
        QCOMPARE(r.status, 502);
        QVERIFY(r.json()[QLatin1String("error")][QLatin1String("message")].toString().contains(u"mock error 500"));
        const Row row = record(r.headers.value("x-request-id"));
        QCOMPARE(row.status, QStringLiteral("upstream_error"));
        QCOMPARE(row.cost, 0);
    }

    void upstreamTimeoutIs504()
    {
        const TestResponse r =
            chat(m_annKey, R"({"model":"mock-http","messages":[{"role":"user","content":"[mock:delay=4000]"}]})");
        QCOMPARE(r.status, 504);
    }

    void streamThatBreaksIsChargedForWhatWasSent()
    {
        const TestResponse r = chat(
            m_annKey,
            R"({"model":"mock-http","stream":true,"messages":[{"role":"user","content":"[mock:drop-after=5] [mock:tokens=30] x"}]})");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("\"error\""));
        const Row row = record(r.headers.value("x-request-id"));
        QCOMPARE(row.status, QStringLiteral("upstream_error"));
        QVERIFY(row.estimated);
        QCOMPARE(row.output, 4); // the role chunk and four content pieces reached the client
    }

    void configFileSetsTheBuffersAndRefusesBadValues()
    {
        const QString path = m_dir.filePath(QStringLiteral("gateway.json"));
        auto write = [&](const QByteArray& text) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(text);
        };
        write(R"({"streamBufferBytes": 65536, "sendTimeoutMs": 5000, "idleTimeoutMs": 1000})");
        auto c = loadGatewayConfig(path);
        QVERIFY(c.ok());
        QCOMPARE(c->server.streamBufferBytes, qint64(65536));
        QCOMPARE(c->server.sendTimeoutMs, 5000);
        write(R"({"streamBufferBytes": 100})"); // below 16 KiB
        c = loadGatewayConfig(path);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().field, QStringLiteral("streamBufferBytes"));
        write(R"({"sendTimeoutMs": "soon"})");
        c = loadGatewayConfig(path);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().field, QStringLiteral("sendTimeoutMs"));
        write(R"({"sendTimeout": 5})");
        c = loadGatewayConfig(path);
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.contains(QLatin1String("sendTimeoutMs")), qPrintable(c.error().message));
    }

    void aLimitWhoseUsageCannotBeReadFailsClosed()
    {
        // The usage recorded in a limit's window cannot be read (here: its table is gone for a moment): the request
        // is refused with 503 in the API's error format and its request id, never admitted against a counter of zero,
        // and no SQL reaches the client. Once the database answers again, the same request goes through.
        User dan = *m_service->directory().createUser(
            {QStringLiteral("dan@example.org"), QStringLiteral("Dan"), UserStatus::Active, {}, std::nullopt},
            QStringLiteral("t"));
        PolicySettings p;
        p[Dimension::MonthlyCost] = Limit::of(5 * kNanosPerDollar);
        QVERIFY(m_service->directory().setUserPolicy(dan.id, p, QStringLiteral("t")).ok());
        NewKey k;
        k.name = QStringLiteral("dan's key");
        k.holderUserId = dan.id;
        const QString danKey = m_service->access().createKey(k, QStringLiteral("t"))->secret;
        m_host->flushUsage();
        {
            QSqlDatabase side = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("side"));
            side.setDatabaseName(m_dir.filePath(QStringLiteral("g.db")));
            QVERIFY(side.open());
            QVERIFY(QSqlQuery(side).exec(QStringLiteral("ALTER TABLE usage_records RENAME TO usage_records_away")));
            const TestResponse r =
                chat(danKey, R"({"model":"mock-small","messages":[{"role":"user","content":"hi"}]})");
            QCOMPARE(r.status, 503);
            QCOMPARE(r.json().value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString(),
                     QStringLiteral("limits_unavailable"));
            QVERIFY(!r.headers.value("x-request-id").isEmpty());
            QVERIFY(r.body.contains(r.headers.value("x-request-id")));
            QVERIFY2(!r.body.contains("usage_records") && !r.body.contains("SQL") && !r.body.contains("no such"),
                     r.body.constData());
            QVERIFY(QSqlQuery(side).exec(QStringLiteral("ALTER TABLE usage_records_away RENAME TO usage_records")));
            side.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("side"));
        const TestResponse ok = chat(danKey, R"({"model":"mock-small","messages":[{"role":"user","content":"hi"}]})");
        QCOMPARE(ok.status, 200);
    }

    void clientThatLeavesCancelsTheUpstreamCall()
    {
        // The previous test's call may still be on its way out: in flight must mean this one.
        QTRY_COMPARE_WITH_TIMEOUT(m_host->stats().inFlight, qint64(0), 5'000);
        const qint64 cancelledBefore = m_host->stats().cancelled;
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        QVERIFY(s.waitForConnected(5'000));
        s.write(postRequest(
            "/v1/chat/completions",
            R"({"model":"mock-http","stream":true,"messages":[{"role":"user","content":"[mock:delay=1000] x"}]})",
            {auth(m_annKey)}));
        QVERIFY(s.waitForBytesWritten(5'000));
        QTRY_COMPARE_WITH_TIMEOUT(m_host->stats().inFlight, qint64(1), 5'000);
        s.abort();
        QTRY_COMPARE_WITH_TIMEOUT(m_host->stats().cancelled, cancelledBefore + 1, 5'000);
        QTRY_COMPARE_WITH_TIMEOUT(m_host->stats().inFlight, qint64(0), 5'000);
    }

    void aStalledStreamIsForwardedAsItComes()
    {
        // The mock's stall holds the rest of a stream back after its first event (the benchmark's streams in flight).
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        QVERIFY(s.waitForConnected(5'000));
        s.write(postRequest(
            "/v1/chat/completions",
            R"({"model":"mock-http","stream":true,"messages":[{"role":"user","content":"[mock:stall=700] x"}]})",
            {auth(m_annKey)}));
        QByteArray got;
        QTRY_VERIFY_WITH_TIMEOUT((got += s.readAll()).contains("\"role\""), 5'000); // the first event
        QVERIFY(!got.contains("[DONE]"));
        QCOMPARE(m_host->stats().inFlight, qint64(1));
        QTRY_VERIFY_WITH_TIMEOUT((got += s.readAll()).contains("data: [DONE]"), 5'000);
    }

    void manyCallsInFlightToOneUpstreamHost()
    {
        // Far beyond QNetworkAccessManager's six connections per host: every call reaches the provider at once. The
        // provider's 800 ms leave the upstream timeout (1.5 s) room for a slow machine (sanitizers, parallel tests).
        const int n = 300;
        QList<QByteArray> raws;
        for (int i = 0; i < n; ++i)
            raws << postRequest("/v1/chat/completions",
                                R"({"model":"mock-http","messages":[{"role":"user","content":"[mock:delay=800] x"}]})",
                                {auth(m_annKey)});
        qint64 peak = 0;
        QTimer watch;
        connect(&watch, &QTimer::timeout, this, [&] { peak = std::max(peak, m_mock->stats().openConnections); });
        watch.start(20);
        const QList<TestResponse> rs = sendParallel(m_port, raws);
        int ok = 0;
        QMap<int, int> statuses;
        for (const TestResponse& r : rs) {
            ok += r.status == 200;
            ++statuses[r.status];
        }
        QString seen;
        for (auto it = statuses.cbegin(); it != statuses.cend(); ++it)
            seen += QStringLiteral(" %1x%2").arg(it.value()).arg(it.key());
        QVERIFY2(ok == n, qPrintable(QStringLiteral("statuses:") + seen));
        QVERIFY2(peak >= n * 9 / 10, qPrintable(QStringLiteral("peak %1 upstream connections").arg(peak)));
    }
};

QTEST_GUILESS_MAIN(TestGateway)
#include "test_gateway.moc"
