#include "core/catalog/pricing.h"
#include "core/service/service.h"
#include "gateway/host.h"
#include "httptestclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

// The APIs today's clients speak, end to end over real sockets with the built-in mock provider: OpenAI's Responses
// API (plain, streamed, continued, reasoning, tools), Anthropic's count_tokens, and model ids served through the
// catalog's aliases, snapshots and patterns.
class TestApis : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Service> m_service;
    std::unique_ptr<GatewayHost> m_host;
    quint16 m_port = 0;
    User m_ann;
    QString m_key;

    TestResponse post(const QByteArray& path, const QByteArray& body, QList<QByteArray> headers = {})
    {
        headers << "Authorization: Bearer " + m_key.toUtf8();
        return sendRaw(m_port, postRequest(path, body, headers));
    }

    struct Row
    {
        QString status, model, detail;
        qint64 input = -1, cached = -1, output = -1, cost = -1;
        bool estimated = false, streamed = false;
        QJsonObject extras;
    };
    Row record(const QByteArray& requestId)
    {
        m_host->flushUsage();
        QSqlQuery q(m_service->database().connection());
        q.prepare(QStringLiteral("SELECT status, model, detail, input_tokens, cached_tokens, output_tokens, cost,"
                                 " estimated, streamed, extras FROM usage_records WHERE request_id = ?"));
        q.addBindValue(QString::fromLatin1(requestId));
        Row r;
        if (q.exec() && q.next())
            r = {q.value(0).toString(),   q.value(1).toString(),
                 q.value(2).toString(),   q.value(3).toLongLong(),
                 q.value(4).toLongLong(), q.value(5).toLongLong(),
                 q.value(6).toLongLong(), q.value(7).toBool(),
                 q.value(8).toBool(),     QJsonDocument::fromJson(q.value(9).toByteArray()).object()};
        return r;
    }

    ModelInfo model(const char* id) const { return *m_service->catalog().model(QString::fromLatin1(id)); }

    // The events of a stream, by type, in order.
    static QStringList eventTypes(const QByteArray& body)
    {
        QStringList out;
        for (const QByteArray& line : body.split('\n'))
            if (line.startsWith("event: "))
                out << QString::fromUtf8(line.mid(7));
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto s =
            Service::open(*DatabaseLocation::parse(m_dir.filePath(QStringLiteral("a.db"))), SystemClock::instance());
        QVERIFY(s.ok());
        m_service = std::move(s.value());
        m_ann = *m_service->directory().createUser(
            {QStringLiteral("ann@example.org"), QStringLiteral("Ann"), UserStatus::Active, {}, std::nullopt},
            QStringLiteral("t"));
        NewKey k;
        k.name = QStringLiteral("ann's key");
        k.holderUserId = m_ann.id;
        m_key = m_service->access().createKey(k, QStringLiteral("t"))->secret;
        GatewayConfig config;
        config.server.port = 0;
        config.server.threads = 2;
        m_host = std::make_unique<GatewayHost>(*m_service);
        QCOMPARE(m_host->start(config), QString());
        m_port = m_host->port();
    }

    void cleanupTestCase() { m_host->stop(5'000); }

    void init() { QVERIFY(m_service->directory().setUserPolicy(m_ann.id, std::nullopt, QStringLiteral("t")).ok()); }

    void responsesAreMeteredExactlyWithReasoning()
    {
        const TestResponse r = post("/v1/responses", R"({"model":"mock-small","input":"[mock:cached=4] what is up",
            "instructions":"be brief","reasoning":{"effort":"low"}})");
        QCOMPARE(r.status, 200);
        const QJsonObject body = r.json();
        QCOMPARE(body.value(QLatin1String("object")).toString(), QStringLiteral("response"));
        // No cap was sent: the model's goes on, in the field the Responses API takes.
        QCOMPARE(body.value(QLatin1String("max_output_tokens")).toInteger(), model("mock-small").maxOutputTokens);
        const QJsonObject usage = body.value(QLatin1String("usage")).toObject();
        const Row row = record(r.headers.value("x-request-id"));
        QCOMPARE(row.status, QStringLiteral("ok"));
        QCOMPARE(row.input, usage.value(QLatin1String("input_tokens")).toInteger());
        QCOMPARE(row.cached, 4);
        QCOMPARE(row.output, usage.value(QLatin1String("output_tokens")).toInteger());
        QCOMPARE(row.extras.value(QLatin1String("reasoning_tokens")).toInteger(),
                 usage.value(QLatin1String("output_tokens_details"))
                     .toObject()
                     .value(QLatin1String("reasoning_tokens"))
                     .toInteger());
        QVERIFY(row.extras.value(QLatin1String("reasoning_tokens")).toInteger() > 0);
        QCOMPARE(row.cost, costOf(model("mock-small"), {row.input, row.cached, row.output}));
        QVERIFY(!row.estimated);
    }

    void responsesStreamPassesEveryEventAndEndsWithItsUsage()
    {
        const TestResponse r = post("/v1/responses", R"({"model":"mock-small","stream":true,"max_output_tokens":50,
            "input":[{"role":"user","content":[{"type":"input_text","text":"[mock:tokens=7] stream it"}]}]})");
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.value("Content-Type").startsWith("text/event-stream"));
        const QStringList types = eventTypes(r.body);
        QCOMPARE(types.first(), QStringLiteral("response.created"));
        QCOMPARE(types.count(QStringLiteral("response.output_text.delta")), 7);
        QCOMPARE(types.last(), QStringLiteral("response.completed")); // held back until the record was durable
        const Row row = record(r.headers.value("x-request-id"));
        QCOMPARE(row.status, QStringLiteral("ok"));
        QVERIFY(row.streamed);
        QCOMPARE(row.output, 7);
        QVERIFY(!row.estimated);
        QCOMPARE(row.cost, costOf(model("mock-small"), {row.input, row.cached, row.output}));
    }

    void aResponsesStreamThatBreaksIsChargedForWhatWasSent()
    {
        const TestResponse r = post("/v1/responses", R"({"model":"mock-small","stream":true,
            "input":"[mock:tokens=40] [mock:drop-after=12] go"})");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("event: error\n"));
        QVERIFY(!r.body.contains("response.completed"));
        const Row row = record(r.headers.value("x-request-id"));
        QCOMPARE(row.status, QStringLiteral("upstream_error"));
        QVERIFY(row.estimated);
        QVERIFY(row.output >= 8 && row.output <= 12); // the deltas that went out
        QVERIFY(row.cost > 0);
    }

    void aContinuedResponseReservesTheStoredContext()
    {
        // Room for a request's bytes and its whole output, or for the whole context window and 1,000 output tokens.
        const ModelInfo m = model("mock-small");
        setPolicy([&](PolicySettings& p) {
            // Reserved at the highest price an input token of this model can have (a 1-hour cache write).
            const qint64 bound = m.contextWindow + 2'000;
            p[Dimension::MonthlyCost] =
                Limit::of(bound * reservedInputPrice(m, bound) + 1'000 * reservedOutputPrice(m, bound));
        });
        const TestResponse first = post("/v1/responses", R"({"model":"mock-small","input":"remember this"})");
        QCOMPARE(first.status, 200);
        QVERIFY(first.headers.value("x-tollgate-max-tokens-lowered").isEmpty());
        const QByteArray id = first.json().value(QLatin1String("id")).toString().toUtf8();
        // Continuing it: the gateway knows what it holds, a few dozen tokens.
        const TestResponse known = post(
            "/v1/responses", R"({"model":"mock-small","previous_response_id":")" + id + R"(","input":"and now?"})");
        QCOMPARE(known.status, 200);
        QVERIFY(known.headers.value("x-tollgate-max-tokens-lowered").isEmpty());
        // A response the gateway never saw may hold the whole context window: the output cap is lowered to fit.
        const TestResponse unknown =
            post("/v1/responses", R"({"model":"mock-small","previous_response_id":"resp_elsewhere","input":"x"})");
        QCOMPARE(unknown.status, 200);
        const qint64 lowered = unknown.headers.value("x-tollgate-max-tokens-lowered").toLongLong();
        QVERIFY2(lowered > 0 && lowered < m.maxOutputTokens, unknown.headers.value("x-tollgate-max-tokens-lowered"));
    }

    void responsesToolCallsPassThrough()
    {
        const TestResponse r = post("/v1/responses", R"({"model":"mock-small","input":"[mock:tool] weather?",
            "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object",
            "properties":{"city":{"type":"string"}},"required":["city"]}}]})");
        QCOMPARE(r.status, 200);
        const QJsonObject call = r.json().value(QLatin1String("output")).toArray().last().toObject();
        QCOMPARE(call.value(QLatin1String("type")).toString(), QStringLiteral("function_call"));
        QCOMPARE(call.value(QLatin1String("name")).toString(), QStringLiteral("get_weather"));
        QCOMPARE(QJsonDocument::fromJson(call.value(QLatin1String("arguments")).toString().toUtf8())
                     .object()
                     .value(QLatin1String("city"))
                     .toString(),
                 QStringLiteral("mock"));
        QCOMPARE(record(r.headers.value("x-request-id")).status, QStringLiteral("ok"));
    }

    void responsesBadInputIsRefused_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("param");
        QTest::newRow("no input") << QByteArray(R"({"model":"mock-small"})") << QStringLiteral("input");
        QTest::newRow("input a number") << QByteArray(R"({"model":"mock-small","input":3})") << QStringLiteral("input");
        QTest::newRow("cap zero") << QByteArray(R"({"model":"mock-small","input":"x","max_output_tokens":0})")
                                  << QStringLiteral("max_output_tokens");
        QTest::newRow("previous not a string")
            << QByteArray(R"({"model":"mock-small","input":"x","previous_response_id":7})")
            << QStringLiteral("previous_response_id");
    }
    void responsesBadInputIsRefused()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, param);
        const TestResponse r = post("/v1/responses", body);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json().value(QLatin1String("error")).toObject().value(QLatin1String("param")).toString(), param);
    }

    void theWebSocketModeIsRefusedSoClientsFallBack()
    {
        const TestResponse ws = sendRaw(
            m_port,
            makeRequest("GET", "/v1/responses", {},
                        {"Upgrade: websocket", "Connection: Upgrade", "Authorization: Bearer " + m_key.toUtf8()}));
        QCOMPARE(ws.status, 426);
        const TestResponse get = sendRaw(m_port, makeRequest("GET", "/v1/responses"));
        QCOMPARE(get.status, 405);
        QCOMPARE(get.headers.value("Allow"), QByteArray("POST"));
    }

    void countTokensIsForwardedAndNotCharged()
    {
        setPolicy([](PolicySettings& p) { p[Dimension::RequestsPerMinute] = Limit::of(1'000); });
        const TestResponse r =
            sendRaw(m_port,
                    postRequest("/v1/messages/count_tokens",
                                R"({"model":"mock-small","messages":[{"role":"user","content":"count these words"}]})",
                                {"x-api-key: " + m_key.toUtf8(), "anthropic-version: 2023-06-01"}));
        QCOMPARE(r.status, 200);
        const qint64 tokens = r.json().value(QLatin1String("input_tokens")).toInteger();
        QVERIFY(tokens > 0);
        QVERIFY(!r.headers.value("request-id").isEmpty());
        QCOMPARE(r.headers.value("x-ratelimit-limit-requests"), QByteArray("1000")); // a request for rate limits
        const Row row = record(r.headers.value("x-request-id"));
        QCOMPARE(row.status, QStringLiteral("ok"));
        // Every answer on an Anthropic route carries request-id, refusals before a body was read too.
        QVERIFY(!sendRaw(m_port, makeRequest("GET", "/v1/messages")).headers.value("request-id").isEmpty());
        QVERIFY(!sendRaw(m_port, makeRequest("GET", "/v1/models", {}, {"anthropic-version: 2023-06-01"}))
                     .headers.value("request-id")
                     .isEmpty());
        QCOMPARE(row.cost, 0);
        QCOMPARE(row.input, 0);
        QVERIFY(!row.estimated);
        QVERIFY2(row.detail.contains(QString::number(tokens)), qPrintable(row.detail));
    }

    void snapshotsAliasesAndPatternsServeTheirModel()
    {
        // A dated snapshot of a listed id: counted and priced as that model, forwarded as the client sent it.
        const TestResponse dated =
            post("/v1/chat/completions",
                 R"({"model":"mock-small-20260901","messages":[{"role":"user","content":"hello"}]})");
        QCOMPARE(dated.status, 200);
        QVERIFY(dated.json()
                    .value(QLatin1String("choices"))
                    .toArray()[0]
                    .toObject()[QLatin1String("message")]
                    .toObject()[QLatin1String("content")]
                    .toString()
                    .contains(QLatin1String("(mock-small-20260901)")));
        Row row = record(dated.headers.value("x-request-id"));
        QCOMPARE(row.model, QStringLiteral("mock-small"));
        QCOMPARE(row.extras.value(QLatin1String("requested_model")).toString(), QStringLiteral("mock-small-20260901"));
        QCOMPARE(row.extras.value(QLatin1String("model_rule")).toString(), QStringLiteral("mock-small-<date>"));
        QCOMPARE(row.cost, costOf(model("mock-small"), {row.input, row.cached, row.output}));

        // A pattern serves a family at the named model's prices; the most specific pattern wins.
        QVERIFY(m_service->catalog().saveAlias({QStringLiteral("team-*"), QStringLiteral("mock-small"), {}},
                                               QStringLiteral("t")));
        QVERIFY(m_service->catalog().saveAlias({QStringLiteral("team-large-*"), QStringLiteral("mock-large"), {}},
                                               QStringLiteral("t")));
        const TestResponse family =
            post("/v1/chat/completions", R"({"model":"team-large-v2","messages":[{"role":"user","content":"hi"}]})");
        QCOMPARE(family.status, 200);
        row = record(family.headers.value("x-request-id"));
        QCOMPARE(row.model, QStringLiteral("mock-large"));
        QCOMPARE(row.extras.value(QLatin1String("model_rule")).toString(), QStringLiteral("team-large-*"));
        QCOMPARE(row.cost, costOf(model("mock-large"), {row.input, row.cached, row.output}));

        // An exact alias is forwarded as its model's upstream name; limits on the model apply to it.
        QVERIFY(m_service->catalog().saveAlias({QStringLiteral("cheap"), QStringLiteral("mock-small"), {}},
                                               QStringLiteral("t")));
        setPolicy([](PolicySettings& p) { p.allowedModels = ModelRule::list({QStringLiteral("mock-large")}); });
        const TestResponse blocked =
            post("/v1/chat/completions", R"({"model":"cheap","messages":[{"role":"user","content":"hi"}]})");
        QCOMPARE(blocked.status, 403);
        const QJsonObject why = blocked.json()[QLatin1String("error")]
                                    .toObject()[QLatin1String("tollgate")]
                                    .toObject()[QLatin1String("model")]
                                    .toObject();
        QCOMPARE(why.value(QLatin1String("matched_by")).toString(), QStringLiteral("cheap"));
        QCOMPARE(why.value(QLatin1String("model")).toString(), QStringLiteral("mock-small"));

        // Deleting a model that aliases name is refused until they go.
        QCOMPARE(m_service->catalog().deleteModel(QStringLiteral("mock-large"), QStringLiteral("t")).error().code,
                 Error::Code::Conflict);
        QCOMPARE(m_service->catalog()
                     .saveAlias({QStringLiteral("mock-small"), QStringLiteral("mock-large"), {}}, QStringLiteral("t"))
                     .error()
                     .code,
                 Error::Code::Conflict);
        QVERIFY(!m_service->catalog().saveAlias({QStringLiteral("**"), QStringLiteral("mock-small"), {}},
                                                QStringLiteral("t")));
        for (const char* p : {"team-*", "team-large-*", "cheap"})
            QVERIFY(m_service->catalog().deleteAlias(QString::fromLatin1(p), QStringLiteral("t")).ok());
    }

    void anUnknownIdIsRefusedWithTheClosestOnes()
    {
        const TestResponse r =
            post("/v1/chat/completions", R"({"model":"mock-smal","messages":[{"role":"user","content":"hi"}]})");
        QCOMPARE(r.status, 404);
        const QString message = r.json()[QLatin1String("error")].toObject()[QLatin1String("message")].toString();
        QVERIFY2(message.contains(QLatin1String("mock-small")), qPrintable(message));
    }

    void todaysDefaultIdsAreInTheCatalogAsShipped()
    {
        // Claude Code's and Codex's defaults, and a release newer than the catalog through the shipped patterns.
        const SnapshotPtr s = m_service->snapshot();
        for (const char* id : {"claude-opus-5-5", "gpt-6.2-sol", "claude-haiku-4-5-20251001", "claude-sonnet-9"}) {
            const ModelMatch m = s->matchModel(QString::fromLatin1(id));
            QVERIFY2(m.model, id);
        }
        QCOMPARE(s->matchModel(QStringLiteral("claude-sonnet-9")).rule, QStringLiteral("claude-sonnet-*"));
        QCOMPARE(s->matchModel(QStringLiteral("gpt-7-sol")).model->id, QStringLiteral("gpt-6.2-sol"));
    }

    void upgradesBringNewBuiltInModelsAndKeepDeletedOnesDeleted()
    {
        const auto location = *DatabaseLocation::parse(m_dir.filePath(QStringLiteral("upgrade.db")));
        {
            auto s = Service::open(location, SystemClock::instance());
            QVERIFY(s.ok());
            Catalog& catalog = s.value()->catalog();
            QVERIFY(catalog.deleteModel(QStringLiteral("gpt-4o"), QStringLiteral("admin")).ok());
            // As a database from before gpt-6.2-sol was shipped: neither it, its pattern, nor a note of them.
            QVERIFY(catalog.deleteAlias(QStringLiteral("gpt-*-sol"), QStringLiteral("t")).ok());
            QVERIFY(catalog.deleteModel(QStringLiteral("gpt-6.2-sol"), QStringLiteral("t")).ok());
            QSqlQuery q(s.value()->database().connection());
            QVERIFY(q.exec(QStringLiteral("DELETE FROM catalog_builtins WHERE name IN ('gpt-6.2-sol', 'gpt-*-sol')")));
        }
        auto s = Service::open(location, SystemClock::instance());
        QVERIFY(s.ok());
        const SnapshotPtr snap = s.value()->snapshot();
        QVERIFY(snap->model(QStringLiteral("gpt-6.2-sol")));
        QVERIFY(snap->aliases.contains(QStringLiteral("gpt-*-sol")));
        QVERIFY(!snap->model(QStringLiteral("gpt-4o"))); // the admin deleted it: it stays deleted
    }

    void chatAndMessagesToolCallsPassThrough()
    {
        const TestResponse chat = post("/v1/chat/completions", R"({"model":"mock-small",
            "messages":[{"role":"user","content":"[mock:tool] go"}],
            "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]})");
        QCOMPARE(chat.status, 200);
        const QJsonObject choice = chat.json()[QLatin1String("choices")].toArray()[0].toObject();
        QCOMPARE(choice[QLatin1String("finish_reason")].toString(), QStringLiteral("tool_calls"));
        QCOMPARE(choice[QLatin1String("message")]
                     .toObject()[QLatin1String("tool_calls")]
                     .toArray()[0]
                     .toObject()[QLatin1String("function")]
                     .toObject()[QLatin1String("name")]
                     .toString(),
                 QStringLiteral("lookup"));
        const TestResponse messages =
            sendRaw(m_port,
                    postRequest("/v1/messages", R"({"model":"mock-small","max_tokens":100,"stream":true,
                "messages":[{"role":"user","content":"[mock:tool] go"}],"tools":[{"name":"lookup","input_schema":{}}]})",
                                {"x-api-key: " + m_key.toUtf8()}));
        QCOMPARE(messages.status, 200);
        QVERIFY(messages.body.contains("\"tool_use\""));
        QVERIFY(messages.body.contains("input_json_delta"));
        QCOMPARE(record(messages.headers.value("x-request-id")).status, QStringLiteral("ok"));
    }

private:
    void setPolicy(const std::function<void(PolicySettings&)>& f)
    {
        PolicySettings p;
        f(p);
        QVERIFY(m_service->directory().setUserPolicy(m_ann.id, p, QStringLiteral("t")).ok());
    }
};

QTEST_GUILESS_MAIN(TestApis)
#include "test_apis.moc"
