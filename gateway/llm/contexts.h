#pragma once

#include <QHash>
#include <QMutex>
#include <QQueue>
#include <QString>

namespace tollgate::llm {

// What the responses a provider stored hold, for requests that continue one (the Responses API's
// previous_response_id): the provider adds that context to their input, so admission reserves it. A response that
// did not go through this gateway is unknown (-1). Bounded: the oldest are forgotten first. Thread-safe.
class StoredContexts final
{
public:
    explicit StoredContexts(qsizetype capacity = 100'000)
        : m_capacity(capacity)
    {
    }
    // A response's whole context: its input (the earlier context included) and its output.
    void remember(const QString& responseId, qint64 tokens);
    qint64 tokensOf(const QString& responseId) const;

private:
    mutable QMutex m_mutex;
    QHash<QString, qint64> m_tokens;
    QQueue<QString> m_order;
    qsizetype m_capacity;
};

} // namespace tollgate::llm
