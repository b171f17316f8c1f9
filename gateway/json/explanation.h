#pragma once

#include "core/enforcement/explanation.h"

#include <QJsonObject>

namespace tollgate::json {

// One limit in force, for people and scripts: its scope, the setting and the level it came from, the window, the
// limit, used, reserved, what this request needs and what is left. Money appears as dollar strings ("$12.50") and
// exactly, as integer nano-dollars ("limit_nanos").
QJsonObject limitCheckJson(const LimitCheck& check);

// A decision explained: allowed or not, why, the limit that binds, and every limit in force. The shape the gateway
// puts in its denials (as "tollgate") and the admin API returns from its explain endpoint.
QJsonObject explanationJson(const Decision& decision, const Preflight& preflight, Instant now);

} // namespace tollgate::json
