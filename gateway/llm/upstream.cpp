#include "gateway/llm/upstream.h"

#include <QTimer>
#include <QUrlQuery>

namespace tollgate::llm {

namespace {

class HttpCall final : public UpstreamCall
{
public:
    explicit HttpCall(std::unique_ptr<http::Call> call)
        : m_call(std::move(call))
    {
    }
    void setPaused(bool paused) override { m_call->setPaused(paused); }

private:
    std::unique_ptr<http::Call> m_call;
};

// Plays a mock script as if it came over the network: head, pieces, end (or a dropped connection). Pieces go out a
// batch per turn of the event loop, and not while the caller has paused the call, as a socket would deliver them.
class MockCall final : public QObject, public UpstreamCall
{
public:
    static constexpr qsizetype kBatch = 64;

    MockCall(MockScript script, http::CallEvents events)
        : m_script(std::move(script))
        , m_events(std::move(events))
    {
        QTimer::singleShot(std::max(0, m_script.delayMs), this, [this] { play(); });
    }

    void setPaused(bool paused) override
    {
        m_paused = paused;
        if (!paused && m_next >= 0)
            schedule();
    }

private:
    void play()
    {
        http::Headers h;
        h.add("Content-Type", m_script.contentType);
        m_events.head(m_script.status, h);
        piecesFrom(0);
    }
    void piecesFrom(qsizetype from)
    {
        for (qsizetype i = from; i < m_script.count(); ++i) {
            if (i == m_script.dropAfter) {
                m_events.error(http::CallError::Closed,
                               QStringLiteral("the mock provider dropped the connection as asked"));
                return;
            }
            if (i == 1 && !m_stalled && m_script.stallMs > 0) {
                m_stalled = true;
                QTimer::singleShot(m_script.stallMs, this, [this] { piecesFrom(1); });
                return;
            }
            if (m_paused || i - from == kBatch) {
                m_next = i;
                if (!m_paused)
                    schedule();
                return;
            }
            m_events.data(m_script.piece(i));
        }
        m_events.end();
    }
    void schedule()
    {
        if (m_scheduled)
            return;
        m_scheduled = true;
        QTimer::singleShot(0, this, [this] {
            m_scheduled = false;
            if (m_paused || m_next < 0)
                return;
            piecesFrom(std::exchange(m_next, -1));
        });
    }

    MockScript m_script;
    http::CallEvents m_events;
    qsizetype m_next = -1; // where a paused or yielded play goes on
    bool m_paused = false;
    bool m_scheduled = false;
    bool m_stalled = false;
};

} // namespace

QUrl upstreamUrl(const Provider& provider, Api api, bool countTokens)
{
    QString base = provider.baseUrl;
    while (base.endsWith(u'/'))
        base.chop(1);
    QString path;
    switch (api) {
    case Api::OpenAIChat: path = QStringLiteral("/chat/completions"); break;
    case Api::OpenAIResponses: path = QStringLiteral("/responses"); break;
    case Api::OpenAIEmbeddings: path = QStringLiteral("/embeddings"); break;
    case Api::AnthropicMessages:
        path = countTokens ? QStringLiteral("/messages/count_tokens") : QStringLiteral("/messages");
        break;
    }
    // OpenAI-style base URLs end in /v1; Anthropic's is the bare host.
    if (provider.kind == ProviderKind::Anthropic && !base.endsWith(u"/v1"))
        base += QStringLiteral("/v1");
    return QUrl(base + path);
}

std::unique_ptr<UpstreamCall> startUpstream(http::Client& client, const Provider& provider, UpstreamRequest request,
                                            http::CallEvents events)
{
    const QUrl base(provider.baseUrl);
    if (base.scheme() == u"mock") {
        const int delay = QUrlQuery(base).queryItemValue(QStringLiteral("delay_ms")).toInt();
        MockScript script =
            request.countTokens ? mockTokenCount(request.body) : mockAnswer(request.api, request.body, delay);
        return std::make_unique<MockCall>(std::move(script), std::move(events));
    }
    http::ClientRequest r;
    r.url = upstreamUrl(provider, request.api, request.countTokens);
    r.timeoutMs = request.timeoutMs;
    r.body = std::move(request.bytes);
    r.headers.add("Content-Type", "application/json");
    if (provider.kind == ProviderKind::Anthropic) {
        if (!provider.secret.isEmpty())
            r.headers.add("x-api-key", provider.secret.toUtf8());
        const QByteArray version = request.clientHeaders.value("anthropic-version");
        r.headers.add("anthropic-version", version.isEmpty() ? QByteArray("2023-06-01") : version);
        const QByteArray beta = request.clientHeaders.value("anthropic-beta");
        if (!beta.isEmpty())
            r.headers.add("anthropic-beta", beta);
    } else if (!provider.secret.isEmpty()) {
        r.headers.add("Authorization", "Bearer " + provider.secret.toUtf8());
    }
    // The client delivers events from its sockets' signals: never from inside send().
    return std::make_unique<HttpCall>(client.send(std::move(r), std::move(events)));
}

} // namespace tollgate::llm
