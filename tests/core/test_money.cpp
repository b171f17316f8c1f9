// Money at the edges: dollars and per-million prices in, exact integers out, clear refusals.

#include "core/catalog/pricing.h"
#include "core/domain/money.h"

#include <QTest>

using namespace tollgate;

class TestMoney final : public QObject
{
    Q_OBJECT

private slots:
    void parsesDollars_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("nanos");
        QTest::newRow("whole") << QStringLiteral("12") << qint64(12'000'000'000);
        QTest::newRow("cents") << QStringLiteral("12.50") << qint64(12'500'000'000);
        QTest::newRow("dollar sign and commas") << QStringLiteral("$1,200.00") << qint64(1'200'000'000'000);
        QTest::newRow("one nano-dollar") << QStringLiteral("0.000000001") << qint64(1);
        QTest::newRow("leading dot") << QStringLiteral(".5") << qint64(500'000'000);
        QTest::newRow("zero") << QStringLiteral("0") << qint64(0);
    }
    void parsesDollars()
    {
        QFETCH(QString, text);
        QFETCH(qint64, nanos);
        auto r = money::parseDollars(text, QStringLiteral("limit"));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
        QCOMPARE(r.value(), nanos);
    }

    void refusesBadDollars_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("why");
        QTest::newRow("negative") << QStringLiteral("-5") << QStringLiteral("negative");
        QTest::newRow("too precise") << QStringLiteral("0.0000000001") << QStringLiteral("decimal");
        QTest::newRow("letters") << QStringLiteral("12abc") << QStringLiteral("not a number");
        QTest::newRow("empty") << QStringLiteral("  ") << QStringLiteral("empty");
        QTest::newRow("overflow") << QStringLiteral("99999999999999") << QStringLiteral("too large");
        QTest::newRow("arabic-indic digits") << QStringLiteral("\u0661\u0662") << QStringLiteral("not a number");
    }
    void refusesBadDollars()
    {
        QFETCH(QString, text);
        QFETCH(QString, why);
        auto r = money::parseDollars(text, QStringLiteral("monthlyLimit"));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().field, QStringLiteral("monthlyLimit"));
        QVERIFY2(r.error().message.contains(why), qPrintable(r.error().message));
    }

    void formats()
    {
        QCOMPARE(money::formatDollars(12'500'000'000), QStringLiteral("$12.50"));
        QCOMPARE(money::formatDollars(0), QStringLiteral("$0.00"));
        QCOMPARE(money::formatDollars(150'000), QStringLiteral("$0.00015"));
        QCOMPARE(money::formatDollars(-1'000'000'000), QStringLiteral("-$1.00"));
        QCOMPARE(money::formatPricePerMillion(2500), QStringLiteral("2.50"));
        QCOMPARE(money::formatPricePerMillion(75), QStringLiteral("0.075"));
    }

    void pricesPerMillionAreExactPerToken()
    {
        QCOMPARE(money::parsePricePerMillion(QStringLiteral("2.50"), {}).value(), qint64(2500));
        QCOMPARE(money::parsePricePerMillion(QStringLiteral("0.075"), {}).value(), qint64(75));
        QCOMPARE(money::parsePricePerMillion(QStringLiteral("0.005"), {}).value(), qint64(5));
        auto tooFine = money::parsePricePerMillion(QStringLiteral("0.0375"), QStringLiteral("input"));
        QVERIFY(!tooFine.ok());
        QVERIFY(tooFine.error().message.contains(QLatin1String("$0.001")));
    }

    void markupRoundsHalfUp()
    {
        QCOMPARE(withMarkup(1000, 1250), Money(1125));
        QCOMPARE(withMarkup(3, 5000), Money(5)); // 4.5 -> 5
        QCOMPARE(withMarkup(1'000'000'000, 0), Money(1'000'000'000));
    }
};

QTEST_GUILESS_MAIN(TestMoney)
#include "test_money.moc"
