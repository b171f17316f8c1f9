// libFuzzer target: customer_params as an LLM request carries it: the request body is JSON, its customer_params
// member is read onto the customer the identifier names (an existing one, with limits set, or a new one) exactly as
// the gateway does. Refusals name a path under customer_params; what is accepted is a customer with sane limits.
#include "gateway/json/customer.h"

#include <QJsonDocument>

#include <cstdint>
#include <cstdlib>

using namespace tollgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(reinterpret_cast<const char*>(data), qsizetype(size)));
    if (!doc.isObject())
        return 0;
    const QJsonValue params = doc.object().value(QLatin1String("customer_params"));
    if (!params.isObject())
        return 0;
    for (int existing = 0; existing < 2; ++existing) {
        Customer c;
        if (existing) {
            c.id = 7;
            c.identifier = QStringLiteral("acme");
            c.periodBudget = 5 * kNanosPerDollar;
            c.rateLimitPerMinute = 10;
        }
        json::Fields f(params.toObject(), QStringLiteral("customer_params"));
        json::readCustomer(f, c, QTimeZone(QByteArrayLiteral("Europe/Berlin")));
        const Status s = f.finish();
        if (!s.ok()) {
            if (!s.error().field.startsWith(QLatin1String("customer_params")))
                std::abort();
            continue;
        }
        if ((c.periodBudget && *c.periodBudget < 0) || (c.totalBudget && *c.totalBudget < 0))
            std::abort();
    }
    return 0;
}
