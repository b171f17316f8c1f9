#pragma once

#include "core/catalog/pricing.h"
#include "core/domain/translate.h"
#include "core/service/service.h"

namespace tollgate {

namespace demo {
TOLLGATE_TRANSLATION_CONTEXT("tollgate::Demo")
} // namespace demo

struct DemoSummary
{
    int users = 0;
    int groups = 0;
    int projects = 0;
    int keys = 0;
    int customers = 0;
    qint64 usageRecords = 0;
    QString sampleKeySecret; // the secret of one demo key (Ada Lovelace's), for trying the gateway
};

// Fills an empty organisation with the demo: about 50 people in nested teams, projects, keys, end customers, and
// 90 days of varied synthetic usage ending now, so that every table and chart has something real to show.
// Deterministic for a given seed and clock. Refuses an organisation that already has users.
Result<DemoSummary> loadDemo(Service& service, quint32 seed = 20261121);

// Clears the organisation's people, groups, keys and usage, then loads the demo again.
Result<DemoSummary> resetDemo(Service& service, quint32 seed = 20261121);

} // namespace tollgate
