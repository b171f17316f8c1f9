#pragma once

#include "core/domain/domain.h"
#include "core/domain/translate.h"

namespace tollgate::validate {

TOLLGATE_TRANSLATION_CONTEXT("tollgate::validate")

// Each returns an Error naming `field` and the reason, or nothing when the value is acceptable.

// Money limits: not negative, not absurd (at most $1 billion).
Status moneyLimit(const std::optional<Money>& v, const QString& field);
Status email(const QString& v, const QString& field);
Status name(const QString& v, const QString& field, int maxLength = 200);
Status timezone(const QString& ianaId, const QString& field);
// Every numeric dimension within its range; model ids must exist in `knownModels`.
Status policy(const PolicySettings& p, const QString& field, const std::function<bool(const QString&)>& modelExists,
              bool allowBypass);
Status modelRule(const ModelRule& r, const QString& field, const std::function<bool(const QString&)>& modelExists);

inline constexpr Money kMaxMoneyLimit = 1'000'000'000LL * kNanosPerDollar; // $1 billion
inline constexpr qint64 kMaxTokenLimit = 1'000'000'000'000LL; // 1e12 tokens
inline constexpr qint64 kMaxRequestLimit = 1'000'000'000LL;

} // namespace tollgate::validate
