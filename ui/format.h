#pragma once

#include "core/domain/domain.h"
#include "core/domain/translate.h"

#include <QLocale>
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

// Dollar amounts typed the console's way: in its locale's notation ("12,50" and "1.250,00" in German, "12.50" and
// "1,250.00" in English), read strictly so that nothing is stored 100 or 1000 times off. A thousands separator must
// group exactly three digits and may not follow the decimals, and there is at most one decimal separator, so "12,50"
// in English and "12.50" in German are refused with the reason and the spelling that would be read, never guessed.
// Empty text is "not set".
Result<std::optional<Money>> optionalDollars(const QString& text, const QString& field);
Result<std::optional<Money>> parseMoney(const QString& text, const QString& field, const QLocale& locale,
                                        bool suggest = true);
// An amount as it is typed back: the locale's decimal separator, no thousands separators, exact ("12,50").
QString moneyInput(Money amount, const QLocale& locale = QLocale());
// An amount exactly, as a preview of what will be saved: "$1.250,00", "$0,000000001".
QString exactMoney(Money amount, const QLocale& locale = QLocale());
// Reads a whole-number field (tokens, requests, tier): empty is "not set".
Result<std::optional<qint64>> optionalCount(const QString& text, const QString& field, qint64 min, qint64 max);

// Marks a form field as refused (red frame and the reason as its tooltip), or clears the mark.
void markInvalid(QLineEdit* edit, const QString& reason);

} // namespace tollgate::format
