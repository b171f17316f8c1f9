#pragma once

#include "core/domain/result.h"
#include "core/domain/translate.h"

#include <QString>
#include <QtGlobal>

namespace tollgate {

// Money is an integer count of nano-dollars (1e-9 USD). Every list price in the catalog is a whole number of
// nano-dollars per token ($0.001 per million tokens is 1 nano-dollar per token), so a request's cost is an exact
// product of integers; int64 holds about 9.2 billion dollars. Dollars appear only at the edges (parse/format).
using Money = qint64;

inline constexpr Money kNanosPerDollar = 1'000'000'000;
inline constexpr Money kNanosPerCent = 10'000'000;

namespace money {

TOLLGATE_TRANSLATION_CONTEXT("tollgate::money")

// Parses a decimal dollar amount such as "12", "12.5", "0.000000001" or "$1,200.00" into nano-dollars.
// Refuses negative amounts, more than nine decimals, and amounts that would not fit.
Result<Money> parseDollars(const QString& text, const QString& field);

// "$12.50" for whole cents, otherwise as many decimals as needed ("$0.000150").
QString formatDollars(Money amount);

// A price per million tokens ("2.50" meaning $2.50 / 1M tokens) into nano-dollars per token. The price must be a
// multiple of $0.001 per million tokens, so that per-token costs stay exact.
Result<Money> parsePricePerMillion(const QString& text, const QString& field);
QString formatPricePerMillion(Money nanosPerToken);
// A price per thousand calls ("10.00": $10 per 1,000 web searches) into nano-dollars per call, and back.
Result<Money> parsePricePerThousand(const QString& text, const QString& field);
QString formatPricePerThousand(Money nanosPerCall);

// a * b, or nullopt when it would overflow.
std::optional<Money> mulChecked(qint64 a, qint64 b);

} // namespace money
} // namespace tollgate
