#include "core/domain/clock.h"

#include <chrono>

namespace tollgate {

Instant SystemClock::now() const
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

SystemClock& SystemClock::instance()
{
    static SystemClock clock;
    return clock;
}

} // namespace tollgate
