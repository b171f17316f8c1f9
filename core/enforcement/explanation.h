#pragma once

#include "core/enforcement/enforcement.h"

#include <QJsonObject>

namespace tollgate {

// One limit in force, for people and scripts: its scope, the setting and the level it came from, the window, the
// limit, used, reserved, what this request needs and what is left. Money appears as dollar strings ("$12.50") and
// exactly, as integer nano-dollars ("limit_nanos").
QJsonObject limitCheckJson(const LimitCheck& check);

// A decision explained: allowed or not, why, the limit that binds, and every limit in force. The shape the gateway
// puts in its denials (as "tollgate") and the admin API returns from its explain endpoint.
QJsonObject explanationJson(const Decision& decision, const Preflight& preflight, Instant now);

// One sentence for an error message: "monthly cost limit of $50.00 for user ann@x.org (set by group Backend) is
// reached: $49.98 used, $0.02 left; resets 2026-12-01T00:00:00Z".
QString explanationSentence(const Decision& decision, const Preflight& preflight);

QString isoTime(Instant t); // ISO 8601 in UTC, or "never" for the end of time

} // namespace tollgate
