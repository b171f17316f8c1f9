#pragma once

#include <QLoggingCategory>

namespace tollgate::llm {

// tollgate.gateway.llm: refusals that are the gateway's own trouble (storage, metering) and provider failures, each
// with its request id; debug: every refusal and cancelled call.
Q_DECLARE_LOGGING_CATEGORY(lcLlm)

} // namespace tollgate::llm
