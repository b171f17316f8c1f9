#include "core/domain/validation.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QTimeZone>

namespace tollgate::validate {

namespace {
} // namespace

Status moneyLimit(const std::optional<Money>& v, const QString& field)
{
    if (!v)
        return {};
    if (*v < 0)
        return Error::invalid(field, tr("must not be negative"));
    if (*v > kMaxMoneyLimit)
        return Error::invalid(field, tr("is more than $1,000,000,000; use no limit instead"));
    return {};
}

Status email(const QString& v, const QString& field)
{
    // Deliberately simple (RFC 5322 allows far more): one @, a non-empty local part, a dotted domain, no spaces.
    static const QRegularExpression re(QStringLiteral(R"(^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$)"));
    if (v.isEmpty())
        return Error::invalid(field, tr("is required"));
    if (v.size() > 254)
        return Error::invalid(field, tr("is longer than 254 characters"));
    if (!re.match(v).hasMatch())
        return Error::invalid(field, tr("is not an email address: '%1'").arg(v));
    return {};
}

Status name(const QString& v, const QString& field, int maxLength)
{
    if (v.trimmed().isEmpty())
        return Error::invalid(field, tr("is required"));
    if (v.size() > maxLength)
        return Error::invalid(field, tr("is longer than %1 characters").arg(maxLength));
    for (QChar c : v)
        if (c.category() == QChar::Other_Control)
            return Error::invalid(field, tr("contains a control character"));
    return {};
}

Status timezone(const QString& ianaId, const QString& field)
{
    if (ianaId.isEmpty() || !QTimeZone::isTimeZoneIdAvailable(ianaId.toUtf8()))
        return Error::invalid(field, tr("'%1' is not a known IANA time zone (such as Europe/Berlin)").arg(ianaId));
    return {};
}

Status modelRule(const ModelRule& r, const QString& field, const std::function<bool(const QString&)>& modelExists)
{
    if (r.state != ModelRule::State::List)
        return {};
    QStringList sorted(r.models.begin(), r.models.end());
    std::sort(sorted.begin(), sorted.end());
    for (const QString& m : sorted)
        if (!modelExists(m))
            return Error::invalid(field, tr("'%1' is not a model in the catalog").arg(m));
    return {};
}

Status policy(const PolicySettings& p, const QString& field, const std::function<bool(const QString&)>& modelExists,
              bool allowBypass)
{
    const QString prefix = field.isEmpty() ? QString() : field + u'.';
    for (Dimension d : kAllDimensions) {
        const Limit& l = p[d];
        if (!l.isLimited())
            continue;
        const QString f = prefix + dimensionName(d);
        if (l.value < 0)
            return Error::invalid(f, tr("must not be negative"));
        switch (d) {
        case Dimension::DailyCost:
        case Dimension::MonthlyCost:
            if (l.value > kMaxMoneyLimit)
                return Error::invalid(f, tr("is more than $1,000,000,000; use no limit instead"));
            break;
        case Dimension::DailyTokens:
        case Dimension::MonthlyTokens:
            if (l.value > kMaxTokenLimit)
                return Error::invalid(f, tr("is more than 10^12 tokens; use no limit instead"));
            break;
        case Dimension::RequestsPerMinute:
        case Dimension::RequestsPerHour:
        case Dimension::RequestsPerDay:
            if (l.value > kMaxRequestLimit)
                return Error::invalid(f, tr("is more than 10^9 requests; use no limit instead"));
            break;
        case Dimension::MaxTier:
            if (l.value < 1 || l.value > 10)
                return Error::invalid(f, tr("must be a tier between 1 and 10"));
            break;
        }
    }
    if (auto s = modelRule(p.allowedModels, prefix + QStringLiteral("allowedModels"), modelExists); !s.ok())
        return s;
    if (auto s = modelRule(p.blockedModels, prefix + QStringLiteral("blockedModels"), modelExists); !s.ok())
        return s;
    if (!allowBypass && (p.bypassCostLimits || p.bypassRateLimits || p.bypassModelRestrictions))
        return Error::invalid(prefix + QStringLiteral("bypass"),
                              tr("bypass flags can only be set on a user's override"));
    if (p.notes.size() > 4000)
        return Error::invalid(prefix + QStringLiteral("notes"), tr("is longer than 4000 characters"));
    return {};
}

} // namespace tollgate::validate
