#include "ui/format.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLineEdit>
#include <QLocale>
#include <QTimeZone>

namespace tollgate::format {

namespace {
} // namespace

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

Result<std::optional<Money>> optionalDollars(const QString& text, const QString& field)
{
    if (text.trimmed().isEmpty())
        return std::optional<Money>();
    auto m = money::parseDollars(text.trimmed(), field);
    if (!m.ok())
        return m.error();
    return std::optional<Money>(m.value());
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
