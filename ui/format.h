#pragma once

#include "core/domain/domain.h"
#include "core/domain/translate.h"

#include <QString>

class QLineEdit;

namespace tollgate::format {

TOLLGATE_TRANSLATION_CONTEXT("tollgate::format")

// What people read: dollars, counts, times in the organisation's zone.
QString money(Money amount); // "$1,234.57", "<$0.01"; exact amounts are for tooltips and exports
QString moneyOrNone(const std::optional<Money>& amount); // "—" when not set
QString count(qint64 n);
QString time(Instant t, const QString& timezone); // "2026-11-21 14:03:07"
QString limit(Dimension d, const Limit& l); // "$50.00", "1,000 tokens", "unlimited", "—"

// Reads a dollar field: empty is "not set"; anything else must be a dollar amount (the error says why).
Result<std::optional<Money>> optionalDollars(const QString& text, const QString& field);
// Reads a whole-number field (tokens, requests, tier): empty is "not set".
Result<std::optional<qint64>> optionalCount(const QString& text, const QString& field, qint64 min, qint64 max);

// Marks a form field as refused (red frame and the reason as its tooltip), or clears the mark.
void markInvalid(QLineEdit* edit, const QString& reason);

} // namespace tollgate::format
