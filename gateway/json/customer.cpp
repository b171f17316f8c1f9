#include "gateway/json/customer.h"

#include <QCoreApplication>

#include <cmath>

namespace tollgate::json {

namespace {
} // namespace

void readCustomer(Fields& f, Customer& c, const QTimeZone& zone)
{
    if (auto v = f.string(QLatin1StringView("customer_identifier"), false, 256))
        c.identifier = *v;
    if (auto v = f.string(QLatin1StringView("name"), false, 200))
        c.name = *v;
    if (auto v = f.string(QLatin1StringView("email"), false, 254))
        c.email = *v;
    else if (f.isNull(QLatin1StringView("email")))
        c.email.clear();
    if (f.isNull(QLatin1StringView("rate_limit_per_minute"))) {
        f.value(QLatin1StringView("rate_limit_per_minute"));
        c.rateLimitPerMinute.reset();
    } else if (auto v = f.integer(QLatin1StringView("rate_limit_per_minute"), 1, 1'000'000'000))
        c.rateLimitPerMinute = *v;
    if (auto v = f.string(QLatin1StringView("budget_duration"), false, 20)) {
        if (auto d = budgetDurationFromName(*v))
            c.budgetDuration = *d;
        else
            f.fail(QLatin1StringView("budget_duration"),
                   tr("must be daily, weekly, monthly, yearly, custom or none, not '%1'").arg(*v));
    }
    if (auto t = f.time(QLatin1StringView("period_start"), zone))
        c.periodStart = *t;
    if (auto t = f.time(QLatin1StringView("period_end"), zone))
        c.periodEnd = *t;
    if (c.budgetDuration != BudgetDuration::Custom
        && (f.has(QLatin1StringView("period_start")) || f.has(QLatin1StringView("period_end")))
        && !f.has(QLatin1StringView("budget_duration")))
        c.budgetDuration = BudgetDuration::Custom; // a period given means a custom period
    if (auto m = f.nullableMoney(QLatin1StringView("period_budget")))
        c.periodBudget = *m;
    if (auto m = f.nullableMoney(QLatin1StringView("total_budget")))
        c.totalBudget = *m;
    const QJsonValue markup = f.value(QLatin1StringView("markup_percentage"));
    if (markup.isDouble() && markup.toDouble() >= 0 && markup.toDouble() <= 10'000)
        c.markupBasisPoints = qint32(std::llround(markup.toDouble() * 100));
    else if (!markup.isUndefined() && !markup.isNull())
        f.fail(QLatin1StringView("markup_percentage"), tr("must be a number from 0 to 10000 (12.5 for 12.5 %)"));
}

} // namespace tollgate::json
