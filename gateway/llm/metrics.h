#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

#include <array>
#include <atomic>
#include <mutex>

namespace tollgate::llm {

// The gateway's counters and latency histograms, rendered in the Prometheus text format for GET /metrics.
// Recording costs a few relaxed atomic adds and one short critical section per request.
class Metrics final
{
public:
    enum class Route : quint8 { ChatCompletions, Responses, Messages, CountTokens, Embeddings, Count };

    // One answered request: its route, model, HTTP status, the whole latency and the gateway's own share of it
    // (the whole minus the time spent waiting for the provider), in microseconds.
    void request(Route route, const QString& model, int status, qint64 totalUs, qint64 overheadUs);
    void denial(const QString& code);

    struct Gauges
    {
        qint64 inFlight = 0;
        qint64 upstreamErrors = 0;
        qint64 meteringQueueDepth = 0;
        qint64 meteringFailures = 0;
        qint64 openConnections = 0;
    };
    QByteArray render(const Gauges& gauges) const;

    // Upper bounds of the histogram buckets, in seconds.
    static constexpr std::array<double, 16> kBuckets {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   10,   60};

private:
    struct Histogram
    {
        std::array<std::atomic<qint64>, kBuckets.size() + 1> counts {}; // the last one: +Inf
        std::atomic<qint64> sumUs {0};
        void observe(qint64 us);
        void render(QByteArray& out, const char* name, const char* route) const;
    };
    struct Key
    {
        Route route;
        QString model;
        int status;
        friend bool operator==(const Key&, const Key&) = default;
        friend size_t qHash(const Key& k, size_t seed) { return qHashMulti(seed, int(k.route), k.model, k.status); }
    };

    std::array<Histogram, size_t(Route::Count)> m_total;
    std::array<Histogram, size_t(Route::Count)> m_overhead;
    mutable std::mutex m_mutex;
    QHash<Key, qint64> m_requests;
    QHash<QString, qint64> m_denials;
};

} // namespace tollgate::llm
