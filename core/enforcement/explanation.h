#pragma once

#include "core/enforcement/enforcement.h"

namespace tollgate {

// A decision explained, as values: the Decision (every limit in force, used, reserved, needed, left, which binds)
// and the Preflight (policy, model access). This file says it in words; gateway/json/explanation.h gives the JSON the
// gateway and the admin API send; the console shows it as a table.

// Where a limit comes from: its policy source, or for a scope's own cap (key, project, group or organisation budget,
// customer) the scope itself.
PolicySource effectiveSource(const LimitCheck& check);

// One sentence for an error message: "monthly cost limit of $50.00 for user ann@x.org (set by group Backend) is
// reached: $49.98 used, $0.02 left; resets 2026-12-01T00:00:00Z".
QString explanationSentence(const Decision& decision, const Preflight& preflight);

QString isoTime(Instant t); // ISO 8601 in UTC, or "never" for the end of time

} // namespace tollgate
