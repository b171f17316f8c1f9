#pragma once

#include <QLoggingCategory>

namespace tollgate {

// tollgate.ui: what the console tells its user went wrong (the banners' errors), for a support request.
Q_DECLARE_LOGGING_CATEGORY(lcUi)

} // namespace tollgate
