// The model catalog and exact integer costs.

#include "core/catalog/pricing.h"

#include <QTest>

using namespace tollgate;

class TestPricing final : public QObject
{
    Q_OBJECT

private slots:
    void builtInCatalogHasCitedPrices()
    {
        const CatalogFile& c = builtInCatalog();
        QVERIFY(c.models.size() >= 15);
        QStringList ids;
        for (const ModelInfo& m : c.models) {
            ids << m.id;
            QVERIFY2(!m.priceSource.isEmpty(), qPrintable(m.id));
            QVERIFY2(m.tier >= 1 && m.tier <= 10, qPrintable(m.id));
        }
        for (const char* id : {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5", "claude-haiku-4-5",
                               "mock-small", "mock-large", "mock-embed"})
            QVERIFY2(ids.contains(QString::fromLatin1(id)), id);
    }

    void costIsExact()
    {
        const CatalogFile& c = builtInCatalog();
        const auto find = [&](const char* id) {
            for (const ModelInfo& m : c.models)
                if (m.id == QLatin1String(id))
                    return m;
            return ModelInfo {};
        };
        // gpt-4o: $2.50 in, $1.25 cached, $10.00 out per million tokens.
        const ModelInfo gpt4o = find("gpt-4o");
        QCOMPARE(gpt4o.inputPrice, Money(2500));
        // 1,000 input of which 400 cached, 500 output: 600*2500 + 400*1250 + 500*10000 nano-dollars.
        QCOMPARE(costOf(gpt4o, {1000, 400, 500}), Money(600 * 2500 + 400 * 1250 + 500 * 10000));
        // One million output tokens cost exactly the list price.
        QCOMPARE(costOf(gpt4o, {0, 0, 1'000'000}), Money(10) * kNanosPerDollar);
        // Cached tokens never exceed input tokens.
        QCOMPARE(costOf(gpt4o, {100, 500, 0}), Money(100 * 1250));
        // Summing a million small requests equals the cost of one big one: no rounding drift.
        const ModelInfo mini = find("gpt-4o-mini");
        Money sum = 0;
        for (int i = 0; i < 1'000'000; ++i)
            sum += costOf(mini, {3, 0, 1});
        QCOMPARE(sum, costOf(mini, {3'000'000, 0, 1'000'000}));
    }

    void refusesBadCatalogs_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("field");
        const QByteArray provider = R"("providers":[{"name":"p","kind":"mock"}])";
        QTest::newRow("inexact price") << QByteArray(
            "{" + provider + R"(,"models":[{"id":"m","provider":"p","input":"0.0001","source":"x"}]})")
                                       << QStringLiteral("models[0].input");
        QTest::newRow("unknown provider")
            << QByteArray("{" + provider + R"(,"models":[{"id":"m","provider":"q","source":"x"}]})")
            << QStringLiteral("models[0].provider");
        QTest::newRow("no source") << QByteArray("{" + provider + R"(,"models":[{"id":"m","provider":"p"}]})")
                                   << QStringLiteral("models[0].source");
        QTest::newRow("unknown field") << QByteArray(
            "{" + provider + R"(,"models":[{"id":"m","provider":"p","source":"x","speed":1}]})")
                                       << QStringLiteral("models[0].speed");
        QTest::newRow("duplicate") << QByteArray(
            "{" + provider
            + R"(,"models":[{"id":"m","provider":"p","source":"x"},{"id":"m","provider":"p","source":"x"}]})")
                                   << QStringLiteral("models[1].id");
        const QByteArray model = R"(,"models":[{"id":"m","provider":"p","source":"x"}])";
        QTest::newRow("no context window")
            << QByteArray("{" + provider + R"(,"models":[{"id":"m","provider":"p","source":"x","contextWindow":0}]})")
            << QStringLiteral("models[0].contextWindow");
        QTest::newRow("bad cap field") << QByteArray(
            "{" + provider + R"(,"models":[{"id":"m","provider":"p","source":"x","outputCapField":"max"}]})")
                                       << QStringLiteral("models[0].outputCapField");
        QTest::newRow("alias of an unknown model")
            << QByteArray("{" + provider + model + R"(,"aliases":[{"pattern":"a-*","model":"n"}]})")
            << QStringLiteral("aliases[0].model");
        QTest::newRow("alias that is a model's id")
            << QByteArray("{" + provider + model + R"(,"aliases":[{"pattern":"m","model":"m"}]})")
            << QStringLiteral("aliases[0].pattern");
        QTest::newRow("wildcards only") << QByteArray("{" + provider + model
                                                      + R"(,"aliases":[{"pattern":"*?","model":"m"}]})")
                                        << QStringLiteral("aliases[0].pattern");
    }
    void refusesBadCatalogs()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, field);
        auto r = parseCatalog(json);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().field, field);
    }
};

QTEST_GUILESS_MAIN(TestPricing)
#include "test_pricing.moc"
