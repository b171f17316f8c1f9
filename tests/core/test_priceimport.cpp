// Prices kept current: a price file in Tollgate's format or the public model_prices_and_context_window.json format
// read against the catalog, what it would change per model and component, applied in one audited transaction that
// a service opened afterwards reads back; malformed entries named; defaults that follow the prices set.

#include "core/catalog/catalog.h"
#include "core/catalog/priceimport.h"
#include "core/service/service.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace tollgate;

class TestPriceImport final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    ManualClock m_clock {1'790'000'000'000};

    std::unique_ptr<Service> open(const QString& name)
    {
        auto s = Service::open(DatabaseLocation::parse(m_dir.filePath(name)).value(), m_clock);
        if (!s.ok())
            qFatal("cannot open: %s", qPrintable(s.error().toString()));
        return std::move(s.value());
    }

    static const char* publicFile()
    {
        return R"({
 "sample_spec": {"max_tokens": "LEGACY", "input_cost_per_token": 0.0},
 "claude-sonnet-4-5": {"max_input_tokens": 1000000, "max_output_tokens": 64000, "input_cost_per_token": 3.3e-06,
   "output_cost_per_token": 1.5e-05, "cache_creation_input_token_cost": 4.125e-06, "cache_read_input_token_cost": 3.3e-07,
   "cache_creation_input_token_cost_above_1hr": 6.6e-06, "input_cost_per_token_above_200k_tokens": 6.6e-06,
   "output_cost_per_token_above_200k_tokens": 2.25e-05,
   "search_context_cost_per_query": {"search_context_size_low": 0.01, "search_context_size_medium": 0.01},
   "litellm_provider": "anthropic", "mode": "chat"},
 "openai/gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06,
   "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 128000, "max_output_tokens": 16384},
 "gpt-9-preview": {"input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06, "litellm_provider": "openai",
   "mode": "chat", "max_input_tokens": 200000},
 "gemini/gemini-2.5-pro": {"input_cost_per_token": 1.25e-06, "litellm_provider": "gemini", "mode": "chat"},
 "dall-e-3": {"litellm_provider": "openai", "mode": "image_generation"}
})";
    }

private slots:
    void anExportReadBackChangesNothing()
    {
        auto s = open(QStringLiteral("a.db"));
        const QByteArray file = exportCatalog(*s->snapshot());
        auto plan = planPriceImport(file, *s->snapshot(), {});
        QVERIFY2(plan.ok(), qPrintable(plan.ok() ? QString() : plan.error().toString()));
        QCOMPARE(plan->format, QStringLiteral("tollgate"));
        QCOMPARE(plan->changes.size(), 0);
        QCOMPARE(plan->unchanged, int(s->snapshot()->models.size()));
        // And the built-in list is what a new catalog holds.
        QFile builtIn(QStringLiteral(":/tollgate/catalog/models.json"));
        QVERIFY(builtIn.open(QIODevice::ReadOnly));
        const auto shipped = planPriceImport(builtIn.readAll(), *s->snapshot(), {});
        QVERIFY2(shipped.ok(), qPrintable(shipped.ok() ? QString() : shipped.error().toString()));
        QCOMPARE(shipped->changes.size(), 0);
    }

    void aPublicPriceFileChangesComponentsInOneAuditedTransaction()
    {
        auto s = open(QStringLiteral("b.db"));
        auto plan = planPriceImport(publicFile(), *s->snapshot(), {});
        QVERIFY2(plan.ok(), qPrintable(plan.ok() ? QString() : plan.error().toString()));
        QCOMPARE(plan->format, QStringLiteral("model_prices_and_context_window"));
        QStringList changed;
        for (const PriceChange& c : plan->changes)
            changed << c.modelId + u'.' + c.field + u'=' + c.after;
        // Sonnet's input, cache reads, both cache writes and the long-context input changed; what was given equal
        // (output, the long output, searches) did not; gpt-4o agrees; gpt-9-preview is not in the catalog.
        for (const char* expected : {"claude-sonnet-4-5.input=3.30", "claude-sonnet-4-5.cachedInput=0.33",
                                     "claude-sonnet-4-5.cacheWrite=4.125", "claude-sonnet-4-5.cacheWrite1h=6.60",
                                     "claude-sonnet-4-5.longInput=6.60"})
            QVERIFY2(changed.contains(QString::fromLatin1(expected)), qPrintable(changed.join(u' ')));
        QVERIFY(!changed.join(u' ').contains(QLatin1String(".output=")));
        QVERIFY(!changed.join(u' ').contains(QLatin1String("gpt-4o")));
        QCOMPARE(plan->unchanged, 1);
        QCOMPARE(plan->skipped.size(), 2); // other providers and kinds; models not in the catalog
        QVERIFY(s->catalog().applyPriceImport(*plan, QStringLiteral("test")).ok());
        const ModelInfo sonnet = *s->catalog().model(QStringLiteral("claude-sonnet-4-5"));
        QCOMPARE(sonnet.inputPrice, 3'300);
        QCOMPARE(sonnet.cacheWritePrice, 4'125);
        QCOMPARE(sonnet.longContextThreshold, 200'000);
        QCOMPARE(sonnet.webSearchPrice, 10'000'000);
        // Durable, and read back by the next start.
        s.reset();
        s = open(QStringLiteral("b.db"));
        const ModelInfo again = *s->catalog().model(QStringLiteral("claude-sonnet-4-5"));
        QCOMPARE(again.inputPrice, 3'300);
        QCOMPARE(again.cacheWrite1hPrice, 6'600);
        QCOMPARE(again.longCachedInputPrice, 660); // not given: 2 x the cache-read price
        QSqlQuery q(s->database().connection());
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM audit_log WHERE action = 'import'")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 1);
        // With add-new, the model the catalog lacked comes in, unapproved.
        auto adding = planPriceImport(publicFile(), *s->snapshot(), {true, false});
        QVERIFY(adding.ok());
        QVERIFY(s->catalog().applyPriceImport(*adding, QStringLiteral("test")).ok());
        const auto added = s->catalog().model(QStringLiteral("gpt-9-preview"));
        QVERIFY(added);
        QVERIFY(!added->approved);
        QCOMPARE(added->contextWindow, 200'000);
        QCOMPARE(added->cachedInputPrice, 1'000); // cached defaults to input
    }

    // Real price files list a model several times (by id, with a provider prefix, as dated snapshots): the entry by
    // the model's own id counts; a snapshot's entry counts only when there is none; a family pattern never does.
    void entriesOfOneModelCountOnce()
    {
        auto s = open(QStringLiteral("f.db"));
        const auto plan = planPriceImport(R"({
            "claude-haiku-4-5-20251001": {"input_cost_per_token": 9e-06, "litellm_provider": "anthropic"},
            "claude-haiku-4-5": {"input_cost_per_token": 1.1e-06, "litellm_provider": "anthropic"},
            "openai/gpt-4o": {"input_cost_per_token": 9e-06, "litellm_provider": "openai"},
            "gpt-4o": {"input_cost_per_token": 2.6e-06, "litellm_provider": "openai"},
            "claude-sonnet-4-5-20250929": {"input_cost_per_token": 3.1e-06, "litellm_provider": "anthropic"},
            "claude-opus-4-7": {"input_cost_per_token": 1e-05, "litellm_provider": "anthropic"}})",
                                          *s->snapshot(), {});
        QVERIFY(plan.ok());
        QStringList changed;
        for (const PriceChange& c : plan->changes)
            changed << c.modelId + u'.' + c.field + u'=' + c.after;
        QCOMPARE(changed,
                 QStringList({QStringLiteral("claude-haiku-4-5.input=1.10"),
                              QStringLiteral("claude-sonnet-4-5.input=3.10"), QStringLiteral("gpt-4o.input=2.60")}));
        QVERIFY(
            plan->skipped.join(u' ').contains(QLatin1String("openai/gpt-4o: gpt-4o was priced by an earlier entry")));
    }

    void aMalformedEntryIsNamedAndNothingChanges()
    {
        auto s = open(QStringLiteral("c.db"));
        const Money before = s->catalog().model(QStringLiteral("gpt-4o"))->inputPrice;
        const auto bad = planPriceImport(
            R"({"gpt-4o": {"input_cost_per_token": "cheap", "litellm_provider": "openai"}})", *s->snapshot(), {});
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().field, QStringLiteral("gpt-4o.input_cost_per_token"));
        const auto inexact = planPriceImport(
            R"({"gpt-4o": {"input_cost_per_token": 1.2345e-10, "litellm_provider": "openai"}})", *s->snapshot(), {});
        QVERIFY(!inexact.ok());
        QVERIFY(inexact.error().message.contains(QLatin1String("nano-dollars")));
        const auto tollgate = planPriceImport(R"({"providers":[{"name":"openai","kind":"openai"}],
            "models":[{"id":"gpt-4o","provider":"openai","input":"2.5","cacheWrite":2.5,"source":"x"}]})",
                                              *s->snapshot(), {});
        QVERIFY(!tollgate.ok());
        QCOMPARE(tollgate.error().field, QStringLiteral("models[0].cacheWrite"));
        QCOMPARE(s->catalog().model(QStringLiteral("gpt-4o"))->inputPrice, before);
    }

    void removingAModelAnAliasNamesIsRefusedWhole()
    {
        auto s = open(QStringLiteral("d.db"));
        const QByteArray only = R"({"providers":[{"name":"openai","kind":"openai"}],
            "models":[{"id":"gpt-4o","provider":"openai","input":"2.50","cachedInput":"1.25","output":"10.00",
                       "source":"test"}]})";
        auto plan = planPriceImport(only, *s->snapshot(), {false, true});
        QVERIFY(plan.ok());
        QVERIFY(plan->removed.size() > 10);
        const Status st = s->catalog().applyPriceImport(*plan, QStringLiteral("test"));
        QCOMPARE(st.error().code, Error::Code::Conflict); // the built-in aliases name models it would remove
        QVERIFY(s->catalog().model(QStringLiteral("claude-opus-5-5"))); // nothing was applied
    }

    void pricesNotSetFollowTheirDefaults()
    {
        auto s = open(QStringLiteral("e.db"));
        ModelInfo m;
        m.id = QStringLiteral("house-model");
        m.providerId = s->catalog().providers().first().id;
        m.inputPrice = 2'000;
        m.outputPrice = 8'000;
        m.explicitPrices = 1u << 0 | 1u << 4; // input and output only
        auto saved = s->catalog().saveModel(m, QStringLiteral("test"));
        QVERIFY(saved.ok());
        QCOMPARE(saved->cachedInputPrice, 2'000);
        QCOMPARE(saved->reasoningPrice, 8'000);
        // Changing the input price moves what follows it.
        ModelInfo changed = *saved;
        changed.inputPrice = 4'000;
        saved = s->catalog().saveModel(changed, QStringLiteral("test"));
        QCOMPARE(saved->cachedInputPrice, 4'000);
        QCOMPARE(saved->longInputPrice, 8'000);
    }
};

QTEST_GUILESS_MAIN(TestPriceImport)
#include "test_priceimport.moc"
