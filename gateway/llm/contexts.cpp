#include "gateway/llm/contexts.h"

namespace tollgate::llm {

void StoredContexts::remember(const QString& responseId, qint64 tokens)
{
    if (responseId.isEmpty() || tokens < 0)
        return;
    const QMutexLocker lock(&m_mutex);
    if (!m_tokens.contains(responseId))
        m_order.enqueue(responseId);
    m_tokens.insert(responseId, tokens);
    while (m_order.size() > m_capacity)
        m_tokens.remove(m_order.dequeue());
}

qint64 StoredContexts::tokensOf(const QString& responseId) const
{
    const QMutexLocker lock(&m_mutex);
    return m_tokens.value(responseId, -1);
}

} // namespace tollgate::llm
