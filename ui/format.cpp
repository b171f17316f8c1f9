#include "ui/format.h"

#include "core/domain/money.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLineEdit>
#include <QLocale>
#include <QTimeZone>

namespace tollgate::format {

QString money(Money amount)
{
    // To the cent, with thousands separators; amounts under a cent still show that they are not zero.
    if (amount > 0 && amount < kNanosPerCent)
        return QStringLiteral("<$0.01");
    const Money cents = (amount + kNanosPerCent / 2) / kNanosPerCent;
    return u'$' + QLocale().toString(double(cents) / 100.0, 'f', 2);
}

QString moneyOrNone(const std::optional<Money>& amount) { return amount ? money(*amount) : QStringLiteral("\u2014"); }

QString count(qint64 n) { return QLocale().toString(n); }

QString time(Instant t, const QString& timezone)
{
    if (t <= 0)
        return QStringLiteral("\u2014");
    return QDateTime::fromMSecsSinceEpoch(t, QTimeZone(timezone.toUtf8()))
        .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString limit(Dimension d, const Limit& l)
{
    switch (l.state) {
    case Limit::State::Unset: return QStringLiteral("\u2014");
    case Limit::State::Unlimited: return tr("unlimited");
    case Limit::State::Value: break;
    }
    switch (d) {
    case Dimension::DailyCost:
    case Dimension::MonthlyCost: return money(l.value);
    case Dimension::DailyTokens:
    case Dimension::MonthlyTokens: return tr("%1 tokens").arg(count(l.value));
    case Dimension::RequestsPerMinute:
    case Dimension::RequestsPerHour:
    case Dimension::RequestsPerDay: return tr("%1 requests").arg(count(l.value));
    case Dimension::MaxTier: return tr("tier %1").arg(l.value);
    }
    return {};
}

namespace {

bool isSpace(QChar c) { return c == u' ' || c == QChar(0x00a0) || c == QChar(0x202f); }

// The locale's separators, with every kind of space taken as the space it prints (French groups with U+202F).
QString separator(const QString& s) { return s.size() == 1 && isSpace(s[0]) ? QStringLiteral(" ") : s; }

} // namespace

Result<std::optional<Money>> parseMoney(const QString& input, const QString& field, const QLocale& locale, bool suggest)
{
    QString t = input.trimmed();
    for (const QLatin1StringView sign : {QLatin1StringView("US$"), QLatin1StringView("$")}) {
        if (t.startsWith(sign))
            t = t.mid(sign.size()).trimmed();
        else if (t.endsWith(sign))
            t = t.chopped(sign.size()).trimmed();
    }
    if (t.isEmpty())
        return std::optional<Money>();
    for (QChar& c : t)
        if (isSpace(c))
            c = u' ';
    const QString point = separator(locale.decimalPoint());
    const QString group = separator(locale.groupSeparator());
    if (t.startsWith(u'-') || t.startsWith(QChar(0x2212)))
        return Error::invalid(field, tr("must not be negative"));
    const QStringList decimals = t.split(point);
    if (decimals.size() > 2)
        return Error::invalid(field, tr("has more than one decimal separator '%1'").arg(point));
    const QString whole = decimals[0];
    const QString fraction = decimals.value(1);
    const auto digitsOnly = [](const QString& s) {
        return std::all_of(s.cbegin(), s.cend(), [](QChar c) { return c >= u'0' && c <= u'9'; });
    };
    // The spelling that would be read, when the text used the other notation's separators: its thousands and decimal
    // separators exchanged ("1,250.00" -> "1.250,00"), or its one separator taken as the decimals ("12.50" ->
    // "12,50" where thousands are grouped with spaces).
    const auto suggestion = [&]() -> QString {
        if (!suggest)
            return {};
        QString exchanged = input.trimmed();
        QString decimal = input.trimmed();
        for (QChar& c : exchanged) {
            if (QString(c) == group || (group == u' ' && isSpace(c)))
                c = point[0];
            else if (c == u'.' || c == u',')
                c = group == u' ' ? u' ' : group[0];
        }
        for (QChar& c : decimal)
            if ((c == u'.' || c == u',') && QString(c) != point)
                c = point[0];
        for (const QString& candidate : {exchanged, decimal})
            if (candidate != input.trimmed() && parseMoney(candidate, field, locale, false).ok())
                return candidate;
        return {};
    };
    const auto quoted = [](const QString& separator) {
        return separator == u' ' ? tr("a space") : QStringLiteral("'%1'").arg(separator);
    };
    const auto unreadable = [&](const QString& why) -> Error {
        const QString better = suggestion();
        return Error::invalid(field, better.isEmpty() ? why : tr("%1: write %2").arg(why, better));
    };
    if (!digitsOnly(fraction))
        return unreadable(fraction.contains(group)
                              ? tr("has a thousands separator %1 after the decimals").arg(quoted(group))
                              : tr("is not an amount: '%1'").arg(input.trimmed()));
    const QStringList groups = whole.split(group);
    for (qsizetype i = 0; i < groups.size(); ++i) {
        const QString& g = groups[i];
        if (!digitsOnly(g) || (groups.size() > 1 && g.isEmpty())) {
            const bool otherSeparator = g.contains(u'.') || g.contains(u',');
            return unreadable(otherSeparator ? tr("cannot be read here: %1 separates the decimals and %2 the thousands")
                                                   .arg(quoted(point), quoted(group))
                                             : tr("is not an amount: '%1'").arg(input.trimmed()));
        }
        if (groups.size() > 1 && (i == 0 ? g.size() > 3 : g.size() != 3))
            return unreadable(tr("cannot be read: %1 separates thousands here, so it must be followed by three digits")
                                  .arg(quoted(group)));
    }
    if (whole.isEmpty() && fraction.isEmpty())
        return Error::invalid(field, tr("is not an amount: '%1'").arg(input.trimmed()));
    auto m = money::parseDollars(groups.join(QString()) + u'.' + fraction, field);
    if (!m.ok())
        return m.error();
    return std::optional<Money>(m.value());
}

QString moneyInput(Money amount, const QLocale& locale)
{
    QString s = money::formatDollars(amount).mid(1); // "1250.00", "0.000000001"
    return s.replace(u'.', locale.decimalPoint());
}

QString exactMoney(Money amount, const QLocale& locale)
{
    const QString plain = money::formatDollars(amount).mid(1);
    const qsizetype dot = plain.indexOf(u'.');
    const QString whole = locale.toString(plain.left(dot).toLongLong());
    return u'$' + whole + (dot < 0 ? QString() : locale.decimalPoint() + plain.mid(dot + 1));
}

Result<std::optional<Money>> optionalDollars(const QString& text, const QString& field)
{
    return parseMoney(text, field, QLocale(), true);
}

Result<std::optional<qint64>> optionalCount(const QString& text, const QString& field, qint64 min, qint64 max)
{
    QString t = text.trimmed();
    if (t.isEmpty())
        return std::optional<qint64>();
    t.remove(u',');
    t.remove(QLocale().groupSeparator());
    bool ok = false;
    const qint64 v = t.toLongLong(&ok);
    if (!ok)
        return Error::invalid(field, tr("must be a whole number"));
    if (v < min || v > max)
        return Error::invalid(field, tr("must be between %1 and %2").arg(count(min), count(max)));
    return std::optional<qint64>(v);
}

void markInvalid(QLineEdit* edit, const QString& reason)
{
    edit->setStyleSheet(reason.isEmpty() ? QString() : QStringLiteral("QLineEdit { border: 1px solid #c62828; }"));
    edit->setToolTip(reason);
    edit->setProperty("invalidReason", reason);
}

} // namespace tollgate::format
