#pragma once

#include "core/usage/usagetypes.h"

#include <QTest>

// The same report read two ways (from the rollups, and from the records over a range starting 1 ms earlier) agrees
// in its totals and row by row (bucket ends: the first bucket's start differs by that 1 ms). On a difference the
// test is marked failed; callers return when QTest::currentTestFailed().
inline void compareReports(const tollgate::UsageReport& rollups, const tollgate::UsageReport& records)
{
    QCOMPARE(rollups.total.cost, records.total.cost);
    QCOMPARE(rollups.total.requests, records.total.requests);
    QCOMPARE(rollups.total.denied, records.total.denied);
    QCOMPARE(rollups.total.inputTokens, records.total.inputTokens);
    QCOMPARE(rollups.total.outputTokens, records.total.outputTokens);
    QCOMPARE(rollups.rows.size(), records.rows.size());
    for (qsizetype i = 0; i < rollups.rows.size(); ++i) {
        QCOMPARE(rollups.rows[i].key, records.rows[i].key);
        QCOMPARE(rollups.rows[i].bucketEnd, records.rows[i].bucketEnd);
        QCOMPARE(rollups.rows[i].totals.cost, records.rows[i].totals.cost);
        QCOMPARE(rollups.rows[i].totals.requests, records.rows[i].totals.requests);
        QCOMPARE(rollups.rows[i].totals.denied, records.rows[i].totals.denied);
        QCOMPARE(rollups.rows[i].totals.outputTokens, records.rows[i].totals.outputTokens);
    }
}
