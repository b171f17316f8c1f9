#include "core/catalog/pricing.h"
#include "core/service/service.h"
#include "gateway/host.h"
#include "httptestclient.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace tollgate;

namespace {

// A provider that answers every request with the bytes it was given (a recorded wire shape), after an optional
// delay; it runs on the test's thread, whose event loop turns while the test client waits.
class ScriptedUpstream final : public QObject
{
public:
    ScriptedUpstream()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection())
                serve(s);
        });
        m_server.listen(QHostAddress::LocalHost);
    }
    quint16 port() const { return m_server.serverPort(); }
    void answer(QByteArray contentType, QByteArray body, int delayMs = 0)
    {
        m_contentType = std::move(contentType);
        m_body = std::move(body);
        m_delayMs = delayMs;
    }
    QByteArray lastRequest() const { return m_lastRequest; }

private:
    void serve(QTcpSocket* socket)
    {
        auto buffer = std::make_shared<QByteArray>();
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
            *buffer += socket->readAll();
            for (;;) {
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                qsizetype length = 0;
                for (const QByteArray& line : buffer->left(end).split('\n'))
                    if (line.toLower().startsWith("content-length:"))
                        length = line.mid(15).trimmed().toLongLong();
                if (buffer->size() < end + 4 + length)
                    return;
                m_lastRequest = buffer->mid(end + 4, length);
                buffer->remove(0, end + 4 + length);
                const QByteArray reply = "HTTP/1.1 200 OK\r\nContent-Type: " + m_contentType
                    + "\r\nContent-Length: " + QByteArray::number(m_body.size()) + "\r\n\r\n" + m_body;
                QPointer<QTcpSocket> guard(socket);
                QTimer::singleShot(m_delayMs, this, [guard, reply] {
                    if (guard)
                        guard->write(reply);
                });
            }
        });
    }

    QTcpServer m_server;
    QByteArray m_contentType, m_body, m_lastRequest;
    int m_delayMs = 0;
};

QByteArray sse(const QJsonArray& events)
{
    QByteArray out;
    for (const QJsonValue& e : events) {
        const QJsonArray pair = e.toArray();
        const QString name = pair[0].toString();
        if (!name.isEmpty())
            out += "event: " + name.toUtf8() + '\n';
        out += "data: "
            + (pair[1].isString() ? pair[1].toString().toUtf8()
                                  : QJsonDocument(pair[1].toObject()).toJson(QJsonDocument::Compact))
            + "\n\n";
    }
    return out;
}

} // namespace

// Every billed component, on the wire as the providers send it: a corpus of recorded answer shapes (plain and
// streamed, both APIs) goes through the gateway to a scripted provider, and each usage record's tokens and cost
// are checked to the nano-dollar against the providers' published rules (tests/gateway/corpus/billing.json). And a
// hard limit holds under concurrent image requests, whose cost their bytes do not bound.
class TestBilling : public QObject
{
    Q_OBJECT

    static constexpr const char* kAdminKey = "tga-billing-test-owner-0123456789";
    QTemporaryDir m_dir;
    std::unique_ptr<Service> m_service;
    std::unique_ptr<GatewayHost> m_host;
    ScriptedUpstream m_upstream;
    quint16 m_port = 0;
    User m_ann;
    QString m_key;

    TestResponse post(const QByteArray& path, const QByteArray& body)
    {
        return sendRaw(m_port, postRequest(path, body, {"Authorization: Bearer " + m_key.toUtf8()}));
    }

    QJsonObject record(const QByteArray& requestId)
    {
        m_host->flushUsage();
        QSqlQuery q(m_service->database().connection());
        q.prepare(QStringLiteral("SELECT status, input_tokens, cached_tokens, output_tokens, cost, estimated, extras"
                                 " FROM usage_records WHERE request_id = ?"));
        q.addBindValue(QString::fromLatin1(requestId));
        if (!q.exec() || !q.next())
            return {};
        return {{QStringLiteral("status"), q.value(0).toString()},
                {QStringLiteral("input"), q.value(1).toLongLong()},
                {QStringLiteral("cached"), q.value(2).toLongLong()},
                {QStringLiteral("output"), q.value(3).toLongLong()},
                {QStringLiteral("cost"), q.value(4).toLongLong()},
                {QStringLiteral("estimated"), q.value(5).toBool()},
                {QStringLiteral("extras"), QJsonDocument::fromJson(q.value(6).toByteArray()).object()}};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        Service::Options options;
        options.initialAdminKey = QString::fromLatin1(kAdminKey);
        auto s = Service::open(*DatabaseLocation::parse(m_dir.filePath(QStringLiteral("b.db"))),
                               SystemClock::instance(), options);
        QVERIFY(s.ok());
        m_service = std::move(s.value());
        // The built-in providers, pointed at the scripted one.
        const QString base = QStringLiteral("http://127.0.0.1:%1").arg(m_upstream.port());
        for (Provider p : m_service->catalog().providers()) {
            if (p.kind == ProviderKind::Mock)
                continue;
            p.baseUrl = p.kind == ProviderKind::Anthropic ? base : base + QStringLiteral("/v1");
            p.secret = QStringLiteral("sk-test");
            QVERIFY(m_service->catalog().saveProvider(p, QStringLiteral("t")).ok());
        }
        Organization org = m_service->directory().organization();
        org.defaultPolicy[Dimension::MaxTier] = Limit::of(10);
        QVERIFY(m_service->directory().updateOrganization(org, QStringLiteral("t")).ok());
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

    void everyComponentIsBilledExactly_data()
    {
        QTest::addColumn<QJsonObject>("c");
        QFile f(QStringLiteral(TOLLGATE_CORPUS_DIR "/billing.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray cases = QJsonDocument::fromJson(f.readAll()).object().value(QLatin1String("cases")).toArray();
        QVERIFY(cases.size() >= 20);
        for (const QJsonValue& c : cases)
            QTest::newRow(c.toObject().value(QLatin1String("name")).toString().toUtf8().constData()) << c.toObject();
    }

    void everyComponentIsBilledExactly()
    {
        QFETCH(QJsonObject, c);
        const QString api = c.value(QLatin1String("api")).toString();
        const bool stream = c.value(QLatin1String("stream")).toBool();
        QJsonObject body = c.value(QLatin1String("request")).toObject();
        body.insert(QStringLiteral("model"), c.value(QLatin1String("model")));
        QByteArray path;
        if (api == u"anthropic") {
            path = "/v1/messages";
            body.insert(QStringLiteral("max_tokens"), 1000);
            body.insert(QStringLiteral("messages"),
                        QJsonArray {QJsonObject {{QStringLiteral("role"), QStringLiteral("user")},
                                                 {QStringLiteral("content"), QStringLiteral("hi")}}});
        } else if (api == u"chat") {
            path = "/v1/chat/completions";
            body.insert(QStringLiteral("messages"),
                        QJsonArray {QJsonObject {{QStringLiteral("role"), QStringLiteral("user")},
                                                 {QStringLiteral("content"), QStringLiteral("hi")}}});
        } else if (api == u"responses") {
            path = "/v1/responses";
            body.insert(QStringLiteral("input"), QStringLiteral("hi"));
        } else {
            path = "/v1/embeddings";
            body.insert(QStringLiteral("input"), QStringLiteral("hi"));
        }
        if (stream) {
            body.insert(QStringLiteral("stream"), true);
            m_upstream.answer("text/event-stream", sse(c.value(QLatin1String("events")).toArray()));
        } else {
            m_upstream.answer(
                "application/json",
                QJsonDocument(c.value(QLatin1String("response")).toObject()).toJson(QJsonDocument::Compact));
        }
        const TestResponse r = post(path, QJsonDocument(body).toJson(QJsonDocument::Compact));
        QCOMPARE(r.status, 200);
        const QJsonObject row = record(r.headers.value("x-request-id"));
        QVERIFY2(!row.isEmpty(), "no usage record");
        const QJsonObject expect = c.value(QLatin1String("expect")).toObject();
        QCOMPARE(row.value(QLatin1String("status")).toString(), expect.value(QLatin1String("status")).toString());
        QCOMPARE(row.value(QLatin1String("estimated")).toBool(), expect.value(QLatin1String("estimated")).toBool());
        for (const char* k : {"input", "cached", "output", "cost"}) {
            const QLatin1String key(k);
            if (expect.contains(key))
                QVERIFY2(row.value(key).toInteger() == expect.value(key).toInteger(),
                         qPrintable(QStringLiteral("%1: %2, expected %3 (%4)")
                                        .arg(key)
                                        .arg(row.value(key).toInteger())
                                        .arg(expect.value(key).toInteger())
                                        .arg(c.value(QLatin1String("rule")).toString())));
        }
        if (expect.value(QLatin1String("input_is_bound")).toBool()) {
            // No usage at all: the input is the reservation's bound, at least the bytes forwarded, and the cost stays
            // within what was reserved.
            QVERIFY(row.value(QLatin1String("input")).toInteger() >= body.size());
            QVERIFY(row.value(QLatin1String("cost")).toInteger() > 0);
        }
        if (expect.contains(QLatin1String("extras"))) {
            const QJsonObject extras = row.value(QLatin1String("extras")).toObject();
            const QJsonObject want = expect.value(QLatin1String("extras")).toObject();
            QStringList keys {QStringLiteral("long_context")};
            for (const UsageClass& u : usageClasses())
                keys << QString(u.key);
            for (const QString& k : keys)
                QVERIFY2(extras.value(k) == want.value(k),
                         qPrintable(k + QStringLiteral(": ")
                                    + QString::fromUtf8(QJsonDocument(extras).toJson(QJsonDocument::Compact))));
        }
    }

    // The admin API lists each request with every token class it was billed for, as JSON and CSV.
    void theRecordsSayEveryTokenClass()
    {
        const QByteArray auth = QByteArray("Authorization: Bearer ") + kAdminKey;
        const TestResponse j = sendRaw(
            m_port, makeRequest("GET", "/api/admin/usage/records?model=claude-sonnet-4-5&limit=100", {}, {auth}));
        QCOMPARE(j.status, 200);
        const QJsonArray rows = j.json().value(QLatin1String("data")).toArray();
        QVERIFY(rows.size() >= 9);
        qint64 oneHour = 0, searches = 0;
        bool longContext = false;
        for (const QJsonValue& r : rows) {
            oneHour += r.toObject().value(QLatin1String("cache_write_1h_tokens")).toInteger();
            searches += r.toObject().value(QLatin1String("web_search_calls")).toInteger();
            longContext = longContext || r.toObject().value(QLatin1String("long_context")).toBool();
        }
        QCOMPARE(oneHour, 8'000 + 4'000);
        QCOMPARE(searches, 3 + 2);
        QVERIFY(longContext);
        const TestResponse csv = sendRaw(
            m_port, makeRequest("GET", "/api/admin/usage/records?model=gpt-4o-audio-preview&format=csv", {}, {auth}));
        QCOMPARE(csv.status, 200);
        const QList<QByteArray> lines = csv.body.trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        const QList<QByteArray> head = lines[0].trimmed().split(',');
        const QList<QByteArray> row = lines[1].trimmed().split(',');
        QCOMPARE(row[head.indexOf("audio_input_tokens")], QByteArray("1000"));
        QCOMPARE(row[head.indexOf("audio_output_tokens")], QByteArray("600"));
        QCOMPARE(row[head.indexOf("cost_usd")], QByteArray("0.0905"));
        QCOMPARE(sendRaw(m_port, makeRequest("GET", "/api/admin/usage/records?status=fine", {}, {auth})).status, 400);
    }

    void serverToolsAreCappedWhenTheClientSentNoCap()
    {
        m_upstream.answer("application/json", R"({"id":"m","type":"message","role":"assistant","content":[],
            "stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}})");
        const TestResponse r = post("/v1/messages", R"({"model":"claude-sonnet-4-5","max_tokens":10,
            "messages":[{"role":"user","content":"news?"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]})");
        QCOMPARE(r.status, 200);
        const QJsonObject sent = QJsonDocument::fromJson(m_upstream.lastRequest()).object();
        QCOMPARE(sent.value(QLatin1String("tools"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QLatin1String("max_uses"))
                     .toInteger(),
                 10);
        m_upstream.answer("application/json", R"({"id":"r","object":"response","status":"completed","output":[],
            "usage":{"input_tokens":1,"output_tokens":1}})");
        const TestResponse responses =
            post("/v1/responses", R"({"model":"gpt-6.2-sol","input":"news?","tools":[{"type":"web_search"}]})");
        QCOMPARE(responses.status, 200);
        QCOMPARE(QJsonDocument::fromJson(m_upstream.lastRequest())
                     .object()
                     .value(QLatin1String("max_tool_calls"))
                     .toInteger(),
                 10);
    }

    void aFileOfUnknownSizeIsRefusedUnderAHardLimit()
    {
        const QByteArray file = R"({"model":"gpt-6.2-sol","input":[{"role":"user","content":[
            {"type":"input_file","file_id":"file-abc"},{"type":"input_text","text":"summarise"}]}]})";
        m_upstream.answer("application/json", R"({"id":"r","object":"response","status":"completed","output":[],
            "usage":{"input_tokens":5,"output_tokens":1}})");
        QCOMPARE(post("/v1/responses", file).status, 200); // no spending limit: admitted
        PolicySettings p;
        p[Dimension::MonthlyCost] = Limit::of(100 * kNanosPerDollar);
        QVERIFY(m_service->directory().setUserPolicy(m_ann.id, p, QStringLiteral("t")).ok());
        const TestResponse r = post("/v1/responses", file);
        QCOMPARE(r.status, 403);
        const QJsonObject error = r.json().value(QLatin1String("error")).toObject();
        QCOMPARE(error.value(QLatin1String("code")).toString(), QStringLiteral("unbounded_cost"));
        QVERIFY2(error.value(QLatin1String("message")).toString().contains(QLatin1String("input[0].content[0]")),
                 qPrintable(error.value(QLatin1String("message")).toString()));
        // The explanation says what would have been reserved, and why it cannot be bounded.
        const QJsonObject reserved =
            error.value(QLatin1String("tollgate")).toObject().value(QLatin1String("reservation")).toObject();
        QVERIFY2(reserved.value(QLatin1String("unbounded")).toString().contains(QLatin1String("is a file")),
                 QJsonDocument(reserved).toJson().constData());
        QVERIFY(reserved.value(QLatin1String("input_tokens")).toInteger() >= qint64(file.size()));
        QVERIFY(m_service->directory().setUserPolicy(m_ann.id, std::nullopt, QStringLiteral("t")).ok());
    }

    void concurrentImageRequestsCannotOverspendAHardLimit()
    {
        // Each answer costs what a 1024 x 1024 image costs on gpt-4o-mini at most (48,169 input tokens); the request
        // is a few hundred bytes. Twenty of them at once, slow enough to all be in flight together.
        const ModelInfo m = *m_service->catalog().model(QStringLiteral("gpt-4o-mini"));
        QCOMPARE(m.maxImageTokens, 48'169);
        m_upstream.answer("application/json", R"({"id":"c","object":"chat.completion","choices":[{"index":0,
            "message":{"role":"assistant","content":"a cat"},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":48169,"completion_tokens":10,"total_tokens":48179}})",
                          300);
        // A user of their own, with nothing spent yet this month.
        const User bob = *m_service->directory().createUser(
            {QStringLiteral("bob@example.org"), QStringLiteral("Bob"), UserStatus::Active, {}, std::nullopt},
            QStringLiteral("t"));
        NewKey k;
        k.name = QStringLiteral("bob's key");
        k.holderUserId = bob.id;
        const QString key = m_service->access().createKey(k, QStringLiteral("t"))->secret;
        const Money limit = 30'000'000; // $0.03: four such requests
        PolicySettings p;
        p[Dimension::MonthlyCost] = Limit::of(limit);
        QVERIFY(m_service->directory().setUserPolicy(bob.id, p, QStringLiteral("t")).ok());
        const QByteArray body = R"({"model":"gpt-4o-mini","max_tokens":10,"messages":[{"role":"user","content":[
            {"type":"text","text":"what is this?"},
            {"type":"image_url","image_url":{"url":"https://example.org/cat.png","detail":"high"}}]}]})";
        QList<QByteArray> raws;
        for (int i = 0; i < 20; ++i)
            raws << postRequest("/v1/chat/completions", body, {"Authorization: Bearer " + key.toUtf8()});
        const QList<TestResponse> replies = sendParallel(m_port, raws);
        int ok = 0;
        for (const TestResponse& r : replies) {
            QVERIFY2(r.status == 200 || r.status == 429, QByteArray(QByteArray::number(r.status) + r.body).constData());
            ok += r.status == 200;
        }
        m_host->flushUsage();
        QSqlQuery q(m_service->database().connection());
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*), SUM(cost) FROM usage_records WHERE user_id = %1"
                                      " AND status = 'ok'")
                           .arg(bob.id)));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), ok);
        QVERIFY2(q.value(1).toLongLong() <= limit, qPrintable(QString::number(q.value(1).toLongLong())));
        QVERIFY2(ok >= 3,
                 QByteArray(QByteArray::number(ok) + replies.first().body)
                     .constData()); // the limit was used, not refused outright
    }
};

QTEST_GUILESS_MAIN(TestBilling)
#include "test_billing.moc"
