#include "gateway/llm/metrics.h"

#include <algorithm>

namespace tollgate::llm {

namespace {

const char* routeName(Metrics::Route r)
{
    switch (r) {
    case Metrics::Route::ChatCompletions: return "/v1/chat/completions";
    case Metrics::Route::Responses: return "/v1/responses";
    case Metrics::Route::Messages: return "/v1/messages";
    case Metrics::Route::CountTokens: return "/v1/messages/count_tokens";
    case Metrics::Route::Embeddings: return "/v1/embeddings";
    case Metrics::Route::Count: break;
    }
    return "";
}

// A label value, escaped as the text format wants (backslash, quote, newline).
QByteArray label(const QString& v)
{
    QByteArray out = v.toUtf8();
    out.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return out;
}

QByteArray seconds(qint64 us) { return QByteArray::number(double(us) / 1e6, 'g', 12); }

} // namespace

void Metrics::Histogram::observe(qint64 us)
{
    const double s = double(us) / 1e6;
    const auto it = std::lower_bound(kBuckets.begin(), kBuckets.end(), s);
    counts[size_t(it - kBuckets.begin())].fetch_add(1, std::memory_order_relaxed);
    sumUs.fetch_add(us, std::memory_order_relaxed);
}

void Metrics::Histogram::render(QByteArray& out, const char* name, const char* route) const
{
    qint64 cumulative = 0;
    for (size_t i = 0; i <= kBuckets.size(); ++i) {
        cumulative += counts[i].load(std::memory_order_relaxed);
        const QByteArray le = i < kBuckets.size() ? QByteArray::number(kBuckets[i], 'g', 6) : QByteArray("+Inf");
        out += QByteArray(name) + "_bucket{route=\"" + route + "\",le=\"" + le + "\"} " + QByteArray::number(cumulative)
            + '\n';
    }
    out += QByteArray(name) + "_sum{route=\"" + route + "\"} " + seconds(sumUs.load(std::memory_order_relaxed)) + '\n';
    out += QByteArray(name) + "_count{route=\"" + route + "\"} " + QByteArray::number(cumulative) + '\n';
}

void Metrics::request(Route route, const QString& model, int status, qint64 totalUs, qint64 overheadUs)
{
    m_total[size_t(route)].observe(std::max<qint64>(0, totalUs));
    m_overhead[size_t(route)].observe(std::clamp<qint64>(overheadUs, 0, std::max<qint64>(0, totalUs)));
    std::lock_guard lock(m_mutex);
    ++m_requests[Key {route, model, status}];
}

void Metrics::denial(const QString& code)
{
    std::lock_guard lock(m_mutex);
    ++m_denials[code];
}

QByteArray Metrics::render(const Gauges& g) const
{
    QByteArray out;
    out.reserve(16 * 1024);
    out += "# HELP tollgate_requests_total LLM requests answered, by route, model and HTTP status.\n"
           "# TYPE tollgate_requests_total counter\n";
    QHash<Key, qint64> requests;
    QHash<QString, qint64> denials;
    {
        std::lock_guard lock(m_mutex);
        requests = m_requests;
        denials = m_denials;
    }
    QList<Key> keys = requests.keys();
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
        return std::tie(a.route, a.model, a.status) < std::tie(b.route, b.model, b.status);
    });
    for (const Key& k : std::as_const(keys))
        out += "tollgate_requests_total{route=\"" + QByteArray(routeName(k.route)) + "\",model=\"" + label(k.model)
            + "\",status=\"" + QByteArray::number(k.status) + "\"} " + QByteArray::number(requests.value(k)) + '\n';

    out += "# HELP tollgate_denials_total Requests refused by the gateway, by reason.\n"
           "# TYPE tollgate_denials_total counter\n";
    QStringList codes = denials.keys();
    codes.sort();
    for (const QString& c : std::as_const(codes))
        out += "tollgate_denials_total{reason=\"" + label(c) + "\"} " + QByteArray::number(denials.value(c)) + '\n';

    out += "# HELP tollgate_request_duration_seconds Whole request latency, from the complete request to the last "
           "byte of the response.\n"
           "# TYPE tollgate_request_duration_seconds histogram\n";
    for (size_t r = 0; r < size_t(Route::Count); ++r)
        m_total[r].render(out, "tollgate_request_duration_seconds", routeName(Route(r)));
    out += "# HELP tollgate_gateway_overhead_seconds The gateway's own share of each request's latency (the whole "
           "minus the wait for the provider): checks, forwarding, metering.\n"
           "# TYPE tollgate_gateway_overhead_seconds histogram\n";
    for (size_t r = 0; r < size_t(Route::Count); ++r)
        m_overhead[r].render(out, "tollgate_gateway_overhead_seconds", routeName(Route(r)));

    const auto gauge = [&](const char* name, const char* type, const char* help, qint64 v) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + name + ' '
            + QByteArray::number(v) + '\n';
    };
    gauge("tollgate_requests_in_flight", "gauge", "LLM requests under way.", g.inFlight);
    gauge("tollgate_upstream_errors_total", "counter", "Provider calls that failed or timed out.", g.upstreamErrors);
    gauge("tollgate_metering_queue_depth", "gauge", "Usage records waiting to be committed.", g.meteringQueueDepth);
    gauge("tollgate_metering_failures_total", "counter", "Usage records that could not be written.",
          g.meteringFailures);
    gauge("tollgate_open_connections", "gauge", "Client connections open.", g.openConnections);
    return out;
}

} // namespace tollgate::llm
