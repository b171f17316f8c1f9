// libFuzzer target: the admin API's strict JSON field reader, through the readers of the entities that take the most
// kinds of member: a policy (money, "unlimited", null, model lists, tiers) and a customer (money, dates, rates).
// Every refusal names a JSON path; nothing a client sends may crash it.
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
    {
        json::Fields f(doc.object());
        PolicySettings p;
        json::readPolicy(f, p, true);
        const Status s = f.finish();
        if (!s.ok() && !s.error().field.startsWith(u'$'))
            std::abort();
    }
    {
        json::Fields f(doc.object());
        Customer c;
        json::readCustomer(f, c, QTimeZone::utc());
        const Status s = f.finish();
        if (!s.ok() && !s.error().field.startsWith(u'$'))
            std::abort();
    }
    return 0;
}
