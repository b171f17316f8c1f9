#pragma once

#include "gateway/json/fields.h"

namespace tollgate::json {

// The Respan customer fields (customer_identifier, name, email, rate_limit_per_minute, budget_duration,
// period_start, period_end, period_budget, total_budget, markup_percentage) onto `c`; what is absent stays.
// Read the same way by the admin API's customer routes and by customer_params on LLM requests.
void readCustomer(Fields& f, Customer& c, const QTimeZone& zone);

} // namespace tollgate::json
