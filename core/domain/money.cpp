#include "core/domain/money.h"

#include <QCoreApplication>

#include <limits>

namespace tollgate::money {

namespace {

// Parses "123.456" (digits, optional dot, digits) scaled by 10^scaleDigits. Returns nullopt on bad syntax.
Result<qint64> parseScaled(QString text, int scaleDigits, const QString& field, const QString& tooPreciseMessage)
{
    text = text.trimmed();
    if (text.startsWith(u'$'))
        text.remove(0, 1);
    text.remove(u',');
    if (text.startsWith(u'-'))
        return Error::invalid(field, money::tr("must not be negative"));
    if (text.isEmpty())
        return Error::invalid(field, money::tr("is empty; expected an amount such as 12.50"));

    const qsizetype dot = text.indexOf(u'.');
    const QStringView whole = dot < 0 ? QStringView(text) : QStringView(text).left(dot);
    const QStringView frac = dot < 0 ? QStringView() : QStringView(text).mid(dot + 1);
    if (whole.isEmpty() && frac.isEmpty())
        return Error::invalid(field, money::tr("is not a number"));
    for (QChar c : whole)
        if (!c.isDigit() || c.unicode() > '9')
            return Error::invalid(field, money::tr("is not a number: '%1'").arg(text));
    for (QChar c : frac)
        if (!c.isDigit() || c.unicode() > '9')
            return Error::invalid(field, money::tr("is not a number: '%1'").arg(text));
    if (frac.size() > scaleDigits)
        return Error::invalid(field, tooPreciseMessage);

    qint64 value = 0;
    constexpr qint64 maxValue = std::numeric_limits<qint64>::max();
    for (QChar c : whole) {
        const int d = c.unicode() - '0';
        if (value > (maxValue - d) / 10)
            return Error::invalid(field, money::tr("is too large"));
        value = value * 10 + d;
    }
    for (int i = 0; i < scaleDigits; ++i) {
        const int d = i < frac.size() ? frac[i].unicode() - '0' : 0;
        if (value > (maxValue - d) / 10)
            return Error::invalid(field, money::tr("is too large"));
        value = value * 10 + d;
    }
    return value;
}

QString formatScaled(qint64 value, int scaleDigits, int minDecimals)
{
    const bool negative = value < 0;
    quint64 v = negative ? quint64(-(value + 1)) + 1 : quint64(value);
    quint64 scale = 1;
    for (int i = 0; i < scaleDigits; ++i)
        scale *= 10;
    QString frac = QString::number(v % scale).rightJustified(scaleDigits, u'0');
    while (frac.size() > minDecimals && frac.endsWith(u'0'))
        frac.chop(1);
    QString out = negative ? QStringLiteral("-") : QString();
    out += QString::number(v / scale);
    if (!frac.isEmpty())
        out += u'.' + frac;
    return out;
}

} // namespace

Result<Money> parseDollars(const QString& text, const QString& field)
{
    return parseScaled(text, 9, field,
                       money::tr("has more than 9 decimal places (the smallest unit is a nano-dollar)"));
}

QString formatDollars(Money amount)
{
    QString s = formatScaled(amount, 9, 2);
    if (s.startsWith(u'-'))
        return QStringLiteral("-$") + s.mid(1);
    return u'$' + s;
}

Result<Money> parsePricePerMillion(const QString& text, const QString& field)
{
    // $ per 1M tokens with 3 decimals == nano-dollars per token.
    return parseScaled(text, 3, field,
                       money::tr("must be a multiple of $0.001 per million tokens so that per-token costs stay exact"));
}

QString formatPricePerMillion(Money nanosPerToken) { return formatScaled(nanosPerToken, 3, 2); }

Result<Money> parsePricePerThousand(const QString& text, const QString& field)
{
    // $ per 1,000 calls with 6 decimals == nano-dollars per call.
    return parseScaled(text, 6, field, money::tr("must be a multiple of $0.000001 per thousand calls"));
}

QString formatPricePerThousand(Money nanosPerCall) { return formatScaled(nanosPerCall, 6, 2); }

std::optional<Money> mulChecked(qint64 a, qint64 b)
{
    qint64 out = 0;
    if (__builtin_mul_overflow(a, b, &out))
        return std::nullopt;
    return out;
}

} // namespace tollgate::money
