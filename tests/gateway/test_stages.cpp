// The stages of an LLM request (gateway/llm/stages.h) one by one, without sockets: each is given a context as the
// stage before it leaves it, and its outcome is checked. The error mappers of the three API flavours too.

#include "core/service/service.h"
#include "gateway/admin/api.h"
#include "gateway/llm/errors.h"
#include "gateway/llm/stages.h"

#include <QJsonDocument>
#include <QTest>

using namespace tollgate;
using namespace tollgate::llm;

class TestStages final : public QObject
{
    Q_OBJECT

    ManualClock m_clock {1'764'547'200'000}; // 2025-12-01T00:00:00Z
    std::unique_ptr<Service> m_service;
    Id m_ann = 0;
    Id m_bob = 0; // in no group
    Id m_backend = 0; // under Engineering
    Id m_engineering = 0;
    QString m_annKey; // held by ann
    QString m_groupKey; // shared by Engineering

    http::Request request(QByteArray body, QByteArray secret = {}) const
    {
        http::Request r;
        r.method = "POST";
        r.path = "/v1/chat/completions";
        r.body = std::move(body);
        if (!secret.isEmpty())
            r.headers.add("Authorization", "Bearer " + secret);
        return r;
    }

    RequestContext context(const http::Request& r, Api api = Api::OpenAIChat) const
    {
        RequestContext c = RequestContext::begin(api, r, m_service->snapshot(), m_clock.now());
        c.requestId = "req_test";
        return c;
    }

    // A context that has passed every stage before `stage`.
    RequestContext through(const http::Request& r, int stages, Api api = Api::OpenAIChat)
    {
        RequestContext c = context(r, api);
        const std::function<Refusal(RequestContext&)> all[] = {
            authenticate, readBody, resolvePrincipal,
            [this](RequestContext& x) { return resolveCustomer(x, *m_service); }, resolveModel};
        for (int i = 0; i < stages; ++i) {
            const Refusal refused = all[i](c);
            if (refused)
                qFatal("stage %d refused: %s", i, qPrintable(refused->message));
        }
        return c;
    }

private slots:
    void initTestCase()
    {
        auto s = Service::open(*DatabaseLocation::parse(QStringLiteral(":memory:")), m_clock);
        QVERIFY(s.ok());
        m_service = std::move(s.value());
        const QString t = QStringLiteral("test");
        m_engineering = m_service->directory().createGroup(QStringLiteral("Engineering"), 0, t)->id;
        m_backend = m_service->directory().createGroup(QStringLiteral("Backend"), m_engineering, t)->id;
        m_ann =
            m_service->directory()
                .createUser(
                    {QStringLiteral("ann@example.com"), QStringLiteral("Ann"), UserStatus::Active, {m_backend}, {}}, t)
                ->id;
        m_bob =
            m_service->directory()
                .createUser({QStringLiteral("bob@example.com"), QStringLiteral("Bob"), UserStatus::Active, {}, {}}, t)
                ->id;
        NewKey own;
        own.name = QStringLiteral("ann's");
        own.holderUserId = m_ann;
        own.features.append(QLatin1String(kCustomerLimitsFeature));
        m_annKey = m_service->access().createKey(own, t)->secret;
        NewKey shared;
        shared.name = QStringLiteral("engineering");
        shared.projectId = m_service->access().createProject(QStringLiteral("Shared"), {}, t)->id;
        shared.groupIds = {m_engineering};
        m_groupKey = m_service->access().createKey(shared, t)->secret;
    }

    void authenticateTakesBearerOrXApiKey()
    {
        http::Request r = request("{}");
        RequestContext none = context(r);
        QCOMPARE(authenticate(none)->code, QStringLiteral("missing_api_key"));
        QCOMPARE(authenticate(none)->status, 401);

        r.headers.add("x-api-key", m_annKey.toUtf8());
        RequestContext c = context(r);
        QVERIFY(!authenticate(c));
        QCOMPARE(c.record.keyId, c.key.id);
        QCOMPARE(c.key.holderUserId, m_ann);

        http::Request wrong = request("{}", "tg-not-a-key");
        RequestContext w = context(wrong);
        QCOMPARE(authenticate(w)->code, QStringLiteral("invalid_api_key"));
    }

    void readBodyRefusesWhatTheApiDoesNotAccept()
    {
        const QByteArray key = m_annKey.toUtf8();
        const struct
        {
            QByteArray body;
            Api api;
            const char* code;
            const char* param;
        } cases[] = {
            {"", Api::OpenAIChat, "invalid_json", ""},
            {"[1]", Api::OpenAIChat, "invalid_json", ""},
            {"{\"model\":1}", Api::OpenAIChat, "invalid_request", "model"},
            {"{\"model\":\"mock-small\",\"messages\":[]}", Api::OpenAIChat, "invalid_request", "messages"},
            {"{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}",
             Api::OpenAIChat, "invalid_request", "max_tokens"},
            {"{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Api::AnthropicMessages,
             "invalid_request", "max_tokens"},
            {"{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":0}",
             Api::OpenAIChat, "invalid_request", "n"},
            {"{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":129}",
             Api::OpenAIChat, "invalid_request", "n"},
            {"{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":\"2\"}",
             Api::OpenAIChat, "invalid_request", "n"},
            {"{\"model\":\"mock-embed\",\"input\":[]}", Api::OpenAIEmbeddings, "invalid_request", "input"},
        };
        for (const auto& k : cases) {
            const http::Request r = request(k.body, key);
            RequestContext c = context(r, k.api);
            QVERIFY(!authenticate(c));
            const Refusal refused = readBody(c);
            QVERIFY2(refused, k.body.constData());
            QCOMPARE(refused->code, QString::fromLatin1(k.code));
            QCOMPARE(refused->param, QString::fromLatin1(k.param));
        }
        const http::Request ok =
            request("{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", key);
        RequestContext c = context(ok);
        QVERIFY(!authenticate(c));
        QVERIFY(!readBody(c));
        QCOMPARE(c.record.model, QStringLiteral("mock-small"));
    }

    void principalIsTheHolderOrANamedMemberOfTheKeysGroups()
    {
        const QByteArray body = "{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%1}";
        auto withUser = [&](const QString& user, const QString& secret) {
            const QString extra = user.isNull() ? QString() : QStringLiteral(",\"user\":\"%1\"").arg(user);
            return request(QString::fromUtf8(body).arg(extra).toUtf8(), secret.toUtf8());
        };
        {
            const http::Request r = withUser({}, m_annKey);
            RequestContext c = through(r, 2);
            QVERIFY(!resolvePrincipal(c));
            QCOMPARE(c.userId, m_ann);
        }
        {
            const http::Request r = withUser({}, m_groupKey);
            RequestContext c = through(r, 2);
            QCOMPARE(resolvePrincipal(c)->code, QStringLiteral("user_required"));
        }
        {
            // Ann is in Backend, a subgroup of Engineering: a member of the key's group through it.
            const http::Request r = withUser(QStringLiteral("ANN@example.com"), m_groupKey);
            RequestContext c = through(r, 2);
            QVERIFY(!resolvePrincipal(c));
            QCOMPARE(c.userId, m_ann);
            QCOMPARE(c.record.userId, m_ann);
        }
        {
            const http::Request r = withUser(QString::number(m_ann), m_groupKey);
            RequestContext c = through(r, 2);
            QVERIFY(!resolvePrincipal(c));
            QCOMPARE(c.userId, m_ann);
        }
        {
            const http::Request r = withUser(QStringLiteral("bob@example.com"), m_groupKey);
            RequestContext c = through(r, 2);
            QCOMPARE(resolvePrincipal(c)->code, QStringLiteral("not_a_member"));
        }
        {
            const http::Request r = withUser(QStringLiteral("nobody@example.com"), m_groupKey);
            RequestContext c = through(r, 2);
            QCOMPARE(resolvePrincipal(c)->code, QStringLiteral("unknown_user"));
        }
    }

    void customerParamsCreateTheCustomerAndAreNotForwarded()
    {
        const http::Request r =
            request("{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                    "\"customer_params\":{\"customer_identifier\":\"acme\",\"total_budget\":5}}",
                    m_annKey.toUtf8());
        RequestContext c = through(r, 3);
        const quint64 before = c.org->version;
        QVERIFY(!resolveCustomer(c, *m_service));
        QVERIFY(c.customerId);
        QVERIFY(!c.body.contains(QLatin1String("customer_params")));
        // The context reads the snapshot with the new customer, so admission sees its budget.
        QVERIFY(c.org->version > before);
        QCOMPARE(c.org->customer(c.customerId)->totalBudget, std::optional<Money>(5 * kNanosPerDollar));

        const http::Request bad =
            request("{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                    "\"customer_params\":{\"customer_identifier\":\"acme\",\"total_budget\":-1}}",
                    m_annKey.toUtf8());
        RequestContext b = through(bad, 3);
        const Refusal refused = resolveCustomer(b, *m_service);
        QVERIFY(refused);
        QCOMPARE(refused->status, 400);
        QCOMPARE(refused->param, QStringLiteral("customer_params.total_budget"));

        // A key without customer_limits names and describes customers, and sends the limits they have, but changes
        // none of them; an admin's lock stops even a key that has it.
        const auto params = [this](const char* customer, const QByteArray& key) {
            return request(QByteArray("{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                      "\"customer_params\":")
                               + customer + '}',
                           key);
        };
        const auto resolve = [this](const http::Request& r) {
            RequestContext x = through(r, 3);
            return resolveCustomer(x, *m_service);
        };
        const QString t = QStringLiteral("test");
        NewKey plain;
        plain.name = QStringLiteral("ann's other");
        plain.holderUserId = m_ann;
        const QByteArray group = m_service->access().createKey(plain, t)->secret.toUtf8();
        QVERIFY(!resolve(params(R"({"customer_identifier":"acme","name":"Acme Inc","total_budget":5})", group)));
        QCOMPARE(m_service->customers().customerByIdentifier(QStringLiteral("acme"))->name, QStringLiteral("Acme Inc"));
        for (const char* raise : {R"({"customer_identifier":"acme","total_budget":1000000})",
                                  R"({"customer_identifier":"acme","total_budget":null})",
                                  R"({"customer_identifier":"newco","rate_limit_per_minute":5})"}) {
            const Refusal no = resolve(params(raise, group));
            QVERIFY2(no && no->status == 403, raise);
            QCOMPARE(no->code, QStringLiteral("customer_limits_not_permitted"));
            QVERIFY2(no->message.contains(QLatin1String("customer_limits")), qPrintable(no->message));
        }
        QCOMPARE(m_service->customers().customerByIdentifier(QStringLiteral("acme"))->totalBudget,
                 std::optional<Money>(5 * kNanosPerDollar));
        QVERIFY(!m_service->customers().customerByIdentifier(QStringLiteral("newco")));
        Customer acme = *m_service->customers().customerByIdentifier(QStringLiteral("acme"));
        acme.limitsLocked = true;
        QVERIFY(m_service->customers().saveCustomer(acme, t).ok());
        const Refusal locked = resolve(params(R"({"customer_identifier":"acme","total_budget":6})", m_annKey.toUtf8()));
        QVERIFY(locked && locked->status == 403);
        QCOMPARE(locked->code, QStringLiteral("customer_limits_locked"));
        QCOMPARE(locked->param, QStringLiteral("customer_params.total_budget"));
        QVERIFY(!resolve(params(R"({"customer_identifier":"acme","email":"ops@acme.example"})", m_annKey.toUtf8())));
        QCOMPARE(m_service->customers().customerByIdentifier(QStringLiteral("acme"))->email,
                 QStringLiteral("ops@acme.example"));
        QCOMPARE(m_service->customers().customerByIdentifier(QStringLiteral("acme"))->totalBudget,
                 std::optional<Money>(5 * kNanosPerDollar));
    }

    void modelMustBeInTheCatalogAndOnItsRoute()
    {
        auto body = [](const char* model) -> QByteArray {
            return QByteArray("{\"model\":\"") + model
                + "\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        };
        {
            const http::Request r = request(body("no-such-model"), m_annKey.toUtf8());
            RequestContext c = through(r, 4);
            QCOMPARE(resolveModel(c)->code, QStringLiteral("model_not_found"));
        }
        {
            const http::Request r = request(body("gpt-4o-mini"), m_annKey.toUtf8());
            RequestContext c = through(r, 4, Api::AnthropicMessages);
            QCOMPARE(resolveModel(c)->code, QStringLiteral("wrong_route"));
        }
        {
            const http::Request r = request(body("mock-small"), m_annKey.toUtf8());
            RequestContext c = through(r, 4);
            QVERIFY(!resolveModel(c));
            QCOMPARE(c.model.id, QStringLiteral("mock-small"));
            QCOMPARE(c.record.providerId, c.provider.id);
        }
        {
            // Its provider's secret is in a keychain this process cannot read: refused, not sent without its key.
            qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tollgate-test-bus");
            const Id provider = m_service->catalog().model(QStringLiteral("mock-small"))->providerId;
            const auto setStored = [this, provider](const QString& stored) {
                auto r = runSql(m_service->database().connection(),
                                QStringLiteral("UPDATE providers SET secret = ? WHERE id = ?"), {stored, provider});
                QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
                QVERIFY(m_service->catalog().reload().ok());
            };
            setStored(QStringLiteral("keychain:v1:provider-secret-elsewhere"));
            QVERIFY(!m_service->catalog().provider(provider)->secretProblem.isEmpty());
            const http::Request r = request(body("mock-small"), m_annKey.toUtf8());
            RequestContext c = through(r, 4);
            const Refusal refused = resolveModel(c);
            QVERIFY(refused);
            QCOMPARE(refused->status, 503);
            QCOMPARE(refused->code, QStringLiteral("provider_secret_unavailable"));
            QVERIFY2(!refused->message.contains(QLatin1String("provider-secret-elsewhere")),
                     qPrintable(refused->message));
            setStored(QStringLiteral(""));
        }
    }

    void prepareForwardCapsOutputAndAsksForTheUsageChunk()
    {
        const http::Request r = request("{\"model\":\"mock-small\",\"stream\":true,\"max_tokens\":100000000,"
                                        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                                        m_annKey.toUtf8());
        RequestContext c = through(r, 5);
        prepareForward(c, 16);
        QVERIFY(c.stream);
        QVERIFY(!c.clientWantsUsage);
        QCOMPARE(c.amounts.maxOutputTokens, c.model.maxOutputTokens); // the client's cap, at most the model's
        QCOMPARE(c.headers.value("x-tollgate-max-tokens-lowered").toLongLong(), c.model.maxOutputTokens); // said
        const QJsonObject forwarded = QJsonDocument::fromJson(c.bytes).object();
        QCOMPARE(forwarded.value(QLatin1String("max_tokens")).toInteger(), c.model.maxOutputTokens);
        QVERIFY(
            forwarded.value(QLatin1String("stream_options")).toObject().value(QLatin1String("include_usage")).toBool());
        QCOMPARE(c.amounts.inputTokens, c.bytes.size()); // the input is bounded by the bytes forwarded
    }

    void outputCapsEveryProviderAccepts()
    {
        const QByteArray key = m_annKey.toUtf8();
        QByteArray model = "mock-small";
        auto forward = [&](const QByteArray& fields) {
            RequestContext c =
                through(request("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
                                    + fields + "}",
                                key),
                        5);
            prepareForward(c, 16);
            return std::pair(QJsonDocument::fromJson(c.bytes).object(), c.amounts);
        };
        // Nothing asked: OpenAI's max_completion_tokens (its reasoning models refuse max_tokens), never max_tokens.
        auto [none, noneAmounts] = forward("");
        QVERIFY(!none.contains(QLatin1String("max_tokens")));
        QVERIFY(none.value(QLatin1String("max_completion_tokens")).toInteger() > 0);
        // Both asked: one goes on, the smaller, which is what is reserved.
        auto [both, bothAmounts] = forward(",\"max_tokens\":50,\"max_completion_tokens\":20");
        QVERIFY(!both.contains(QLatin1String("max_tokens")));
        QCOMPARE(both.value(QLatin1String("max_completion_tokens")).toInteger(), 20);
        QCOMPARE(bothAmounts.maxOutputTokens, 20);
        auto [reversed, reversedAmounts] = forward(",\"max_tokens\":20,\"max_completion_tokens\":50");
        QCOMPARE(reversed.value(QLatin1String("max_completion_tokens")).toInteger(), 20);
        QCOMPARE(reversedAmounts.maxOutputTokens, 20);
        // Only max_tokens: the client's choice goes on as it is.
        auto [plain, plainAmounts] = forward(",\"max_tokens\":30");
        QCOMPARE(plain.value(QLatin1String("max_tokens")).toInteger(), 30);
        QVERIFY(!plain.contains(QLatin1String("max_completion_tokens")));
        // n choices may each be as long as the cap: the reservation covers all of them.
        auto [many, manyAmounts] = forward(",\"max_completion_tokens\":30,\"n\":50");
        QCOMPARE(many.value(QLatin1String("max_completion_tokens")).toInteger(), 30);
        QCOMPARE(manyAmounts.maxOutputTokens, 50 * 30);
        QCOMPARE(manyAmounts.estimatedCost(), manyAmounts.inputCost + 50 * 30 * manyAmounts.outputPrice);
        // A model flagged for one field gets that one only, whatever the client sent.
        for (const char* field : {"max_tokens", "max_completion_tokens"}) {
            ModelInfo m = *m_service->catalog().model(QStringLiteral("mock-small"));
            m.id = QStringLiteral("mock-%1").arg(QLatin1String(field));
            m.outputCapField = QLatin1String(field);
            QVERIFY(m_service->catalog().saveModel(m, QStringLiteral("t")).ok());
            model = m.id.toUtf8();
            const char* other = qstrcmp(field, "max_tokens") == 0 ? "max_completion_tokens" : "max_tokens";
            auto [sent, sentAmounts] = forward(QByteArray(",\"") + other + "\":40");
            QCOMPARE(sent.value(QLatin1String(field)).toInteger(), 40);
            QVERIFY(!sent.contains(QLatin1String(other)));
            QCOMPARE(sentAmounts.maxOutputTokens, 40);
            auto [unset, unsetAmounts] = forward("");
            QCOMPARE(unset.value(QLatin1String(field)).toInteger(), m.maxOutputTokens);
            QVERIFY(!unset.contains(QLatin1String(other)));
        }
        // The built-in catalog flags OpenAI's reasoning models.
        QCOMPARE(m_service->catalog().model(QStringLiteral("gpt-6.2-sol"))->outputCapField,
                 QStringLiteral("max_completion_tokens"));
    }

    void admitReservesOrExplainsTheRefusal()
    {
        const QString t = QStringLiteral("test");
        PolicySettings p;
        p[Dimension::RequestsPerMinute] = Limit::of(1);
        QVERIFY(m_service->directory().setUserPolicy(m_bob, p, t).ok());
        NewKey k;
        k.name = QStringLiteral("bob's");
        k.holderUserId = m_bob;
        const QByteArray secret = m_service->access().createKey(k, t)->secret.toUtf8();
        const http::Request r =
            request("{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", secret);
        RequestContext first = through(r, 5);
        prepareForward(first, 16);
        QVERIFY(!admit(first, m_service->enforcement()));
        QVERIFY(first.decision.allowed);
        QCOMPARE(first.headers.value("x-ratelimit-remaining-requests"), QByteArray("0"));

        RequestContext second = through(r, 5);
        prepareForward(second, 16);
        const Refusal refused = admit(second, m_service->enforcement());
        QVERIFY(refused);
        QCOMPARE(refused->status, 429);
        QCOMPARE(refused->code, QStringLiteral("limit_reached"));
        QVERIFY(!refused->headers.value("Retry-After").isEmpty());
        QCOMPARE(refused->explanation.value(QLatin1String("decision")).toString(), QStringLiteral("denied"));
        m_service->enforcement().ledger().release(first.decision.reservation);
    }

    void storageErrorsNeverReachAClientAsText()
    {
        const Error storage = Error::storage(QStringLiteral("UNIQUE constraint failed: customers.identifier"));
        const RequestError e = fromCoreError(storage, "req_abc");
        QCOMPARE(e.status, 503);
        QCOMPARE(e.code, QStringLiteral("storage_unavailable"));
        for (Api api : {Api::OpenAIChat, Api::AnthropicMessages}) {
            const QByteArray body = errorBody(api, e);
            QVERIFY2(!body.contains("UNIQUE") && !body.contains("customers"), body.constData());
            QVERIFY(body.contains("req_abc"));
        }
        const admin::Reply reply = admin::errorReply(storage);
        QCOMPARE(reply.status, 503);
        QVERIFY2(!reply.body.contains("UNIQUE") && !reply.body.contains("customers"), reply.body.constData());

        // Through the customer stage, with the table gone under it.
        QVERIFY(
            runSql(m_service->database().connection(), QStringLiteral("ALTER TABLE customers RENAME TO gone")).ok());
        const http::Request r =
            request("{\"model\":\"mock-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                    "\"customer_params\":{\"customer_identifier\":\"globex\"}}",
                    m_annKey.toUtf8());
        RequestContext c = through(r, 3);
        const Refusal refused = resolveCustomer(c, *m_service);
        QVERIFY(
            runSql(m_service->database().connection(), QStringLiteral("ALTER TABLE gone RENAME TO customers")).ok());
        QVERIFY(refused);
        QCOMPARE(refused->status, 503);
        QVERIFY2(!refused->message.contains(QLatin1String("customers")), qPrintable(refused->message));
    }

    void errorShapesFollowTheApi()
    {
        const RequestError e {
            403, QStringLiteral("no"), QStringLiteral("model_not_allowed"), QStringLiteral("model"), {}, {}};
        const QJsonObject openai = QJsonDocument::fromJson(errorBody(Api::OpenAIChat, e)).object();
        QCOMPARE(openai.value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString(),
                 QStringLiteral("model_not_allowed"));
        QCOMPARE(openai.value(QLatin1String("error")).toObject().value(QLatin1String("type")).toString(),
                 QStringLiteral("permission_error"));
        const QJsonObject anthropic = QJsonDocument::fromJson(errorBody(Api::AnthropicMessages, e)).object();
        QCOMPARE(anthropic.value(QLatin1String("type")).toString(), QStringLiteral("error"));
        QCOMPARE(anthropic.value(QLatin1String("error")).toObject().value(QLatin1String("type")).toString(),
                 QStringLiteral("permission_error"));
    }
};

QTEST_GUILESS_MAIN(TestStages)
#include "test_stages.moc"
