#pragma once

#include <QtGlobal>

#include <atomic>

namespace tollgate {

// Milliseconds since the Unix epoch, UTC. Every timestamp in the core is one of these.
using Instant = qint64;

// The source of "now" for everything that counts in windows; tests inject a ManualClock.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual Instant now() const = 0;
};

class SystemClock final : public Clock
{
public:
    Instant now() const override;
    static SystemClock& instance();
};

class ManualClock final : public Clock
{
public:
    explicit ManualClock(Instant start = 0)
        : m_now(start)
    {
    }
    Instant now() const override { return m_now.load(std::memory_order_relaxed); }
    void set(Instant t) { m_now.store(t, std::memory_order_relaxed); }
    void advance(qint64 ms) { m_now.fetch_add(ms, std::memory_order_relaxed); }

private:
    std::atomic<Instant> m_now;
};

} // namespace tollgate
