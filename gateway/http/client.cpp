#include "gateway/http/client.h"

#include "gateway/http/parser.h"

#include <QCoreApplication>
#include <QPointer>
#include <QSslSocket>
#include <QTimer>

namespace tollgate::http {

namespace {

QString originOf(const QUrl& url)
{
    return url.scheme() + u'|' + url.host() + u'|' + QString::number(url.port(url.scheme() == u"https" ? 443 : 80));
}

} // namespace

// One connection to an origin, carrying one call at a time.
class ClientConnection final : public QObject
{
    Q_OBJECT
public:
    ClientConnection(Client& client, QString origin, const QUrl& url)
        : m_client(client)
        , m_origin(std::move(origin))
        , m_parser(MessageParser::Mode::Response, ParserLimits {8 * 1024, 64 * 1024, 200, 256 * 1024 * 1024})
    {
        const bool tls = url.scheme() == u"https";
        m_socket = tls ? new QSslSocket(this) : new QTcpSocket(this);
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        // At most this much is read ahead of what the caller took: a paused call pushes back on the provider, and
        // a fast provider's stream is handled a slice per turn of the event loop, beside every other connection.
        m_socket->setReadBufferSize(64 * 1024);
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, &ClientConnection::onTimeout);
        connect(m_socket, &QTcpSocket::readyRead, this, &ClientConnection::onReadyRead);
        connect(m_socket, &QTcpSocket::disconnected, this, [this] { lost({}); });
        connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
            if (e != QAbstractSocket::RemoteHostClosedError) // else disconnected() follows
                lost(m_socket->errorString());
        });
        const quint16 port = quint16(url.port(tls ? 443 : 80));
        if (tls)
            static_cast<QSslSocket*>(m_socket)->connectToHostEncrypted(url.host(), port);
        else
            m_socket->connectToHost(url.host(), port);
    }

    ~ClientConnection() override
    {
        if (m_call)
            m_call->m_connection = nullptr;
    }

    const QString& origin() const { return m_origin; }
    bool isUsable() const
    {
        return m_socket->state() == QAbstractSocket::ConnectedState
            || m_socket->state() == QAbstractSocket::ConnectingState
            || m_socket->state() == QAbstractSocket::HostLookupState;
    }

    void begin(Client::Pending pending, bool reused)
    {
        m_pending = std::move(pending);
        m_call = m_pending.call;
        m_call->m_connection = this;
        m_reused = reused;
        m_paused = m_call->m_paused;
        m_lostWhilePaused = false;
        m_received = false;
        m_headDelivered = false;
        m_parser.reset();
        m_parser.setNoBodyExpected(m_pending.request.method == "HEAD");
        const QUrl& url = m_pending.request.url;
        QByteArray out;
        out.reserve(256 + m_pending.request.body.size());
        out += m_pending.request.method;
        out += ' ';
        QByteArray target = url.path(QUrl::FullyEncoded).toLatin1();
        if (target.isEmpty())
            target = "/";
        if (url.hasQuery())
            target += '?' + url.query(QUrl::FullyEncoded).toLatin1();
        out += target;
        out += " HTTP/1.1\r\nHost: ";
        out += url.host().toLatin1();
        if (url.port() > 0) {
            out += ':';
            out += QByteArray::number(url.port());
        }
        out += "\r\n";
        for (const auto& [name, value] : m_pending.request.headers.fields()) {
            out += name;
            out += ": ";
            out += value;
            out += "\r\n";
        }
        out += "Content-Length: ";
        out += QByteArray::number(m_pending.request.body.size());
        out += "\r\n\r\n";
        out += m_pending.request.body;
        m_timer.start(m_pending.request.timeoutMs);
        m_socket->write(out);
    }

    // The caller no longer wants the answer.
    void cancel()
    {
        m_call = nullptr;
        m_pending = {};
        drop();
    }

    void idleExpired() { drop(); }

    void setPaused(bool paused)
    {
        if (paused == m_paused || !m_call)
            return;
        m_paused = paused;
        if (paused) {
            m_timer.stop(); // the wait is ours, not the provider's
            return;
        }
        m_timer.start(m_pending.request.timeoutMs);
        QMetaObject::invokeMethod(
            this,
            [this] {
                if (m_paused || !m_call)
                    return;
                if (m_socket->bytesAvailable() > 0)
                    onReadyRead();
                if (m_call && !m_paused && m_lostWhilePaused)
                    lost(m_lostWhy);
            },
            Qt::QueuedConnection);
    }

private:
    void onReadyRead()
    {
        if (m_paused && m_call)
            return; // stays in the socket's buffer until resumed
        const QByteArray data = m_socket->readAll();
        if (!m_call) {
            if (!m_pending.call) // bytes on an idle connection: the server broke the protocol; don't reuse
                drop();
            return;
        }
        m_received = true;
        m_timer.start(m_pending.request.timeoutMs);
        m_parser.feed(data);
        deliver();
    }

    void deliver()
    {
        QPointer<ClientConnection> self(this);
        if (m_parser.headersDone() && !m_headDelivered) {
            m_headDelivered = true;
            if (m_pending.events.head)
                m_pending.events.head(m_parser.status(), m_parser.headers());
            if (!self || !m_call)
                return;
        }
        if (m_headDelivered) {
            QByteArray body = m_parser.takeBody();
            if (!body.isEmpty() && m_pending.events.data) {
                m_pending.events.data(std::move(body));
                if (!self || !m_call)
                    return;
            }
        }
        if (m_parser.state() == MessageParser::State::Error) {
            fail(CallError::Protocol, tr("the provider's response is malformed: %1").arg(m_parser.errorMessage()));
            return;
        }
        if (m_parser.state() == MessageParser::State::Complete) {
            const bool reusable = !headerListContains(m_parser.headers().value("Connection"), "close")
                && m_socket->state() == QAbstractSocket::ConnectedState;
            m_timer.stop();
            auto events = std::move(m_pending.events);
            m_call->m_connection = nullptr;
            m_call = nullptr;
            m_pending = {};
            if (reusable) {
                m_timer.start(m_client.m_idleTimeoutMs);
                m_client.released(this, true);
            } else {
                drop();
            }
            if (events.end)
                events.end();
        }
    }

    void lost(const QString& why)
    {
        if (!m_call) {
            drop();
            return;
        }
        if (m_paused) { // what is still buffered is delivered first, once resumed
            m_lostWhilePaused = true;
            m_lostWhy = why;
            return;
        }
        if (m_socket->bytesAvailable() > 0) {
            QPointer<ClientConnection> self(this);
            onReadyRead();
            if (!self || !m_call)
                return;
        }
        if (!m_received && m_reused) {
            // The server closed a kept-alive connection as we sent on it: nothing was processed, try a new one.
            auto pending = std::move(m_pending);
            m_call->m_connection = nullptr;
            m_call = nullptr;
            m_pending = {};
            m_client.retry(this, std::move(pending));
            return;
        }
        m_parser.finish();
        deliver();
        if (m_call)
            fail(m_received ? CallError::Closed : CallError::Connect,
                 why.isEmpty() ? tr("the provider closed the connection before the response ended") : why);
    }

    void onTimeout()
    {
        if (!m_call) { // idle in the pool too long
            drop();
            return;
        }
        fail(CallError::Timeout,
             m_received ? tr("the provider stopped sending for %1 ms").arg(m_pending.request.timeoutMs)
                        : tr("the provider did not answer within %1 ms").arg(m_pending.request.timeoutMs));
    }

    void fail(CallError error, const QString& message)
    {
        auto events = std::move(m_pending.events);
        if (m_call)
            m_call->m_connection = nullptr;
        const bool hadCall = m_call != nullptr;
        m_call = nullptr;
        m_pending = {};
        drop();
        if (hadCall && events.error)
            events.error(error, message);
    }

    void drop()
    {
        if (m_dropped)
            return;
        m_dropped = true;
        m_timer.stop();
        m_socket->disconnect(this);
        m_socket->abort();
        m_client.released(this, false);
        deleteLater();
    }

    friend class Client;
    Client& m_client;
    QString m_origin;
    QTcpSocket* m_socket = nullptr;
    MessageParser m_parser;
    QTimer m_timer;
    Client::Pending m_pending;
    Call* m_call = nullptr;
    bool m_reused = false;
    bool m_paused = false;
    bool m_lostWhilePaused = false;
    QString m_lostWhy;
    bool m_received = false;
    bool m_headDelivered = false;
    bool m_dropped = false;
};

void Call::setPaused(bool paused)
{
    m_paused = paused;
    if (m_connection)
        m_connection->setPaused(paused);
}

void Call::cancel()
{
    if (auto* c = std::exchange(m_connection, nullptr))
        c->cancel();
    if (auto* client = std::exchange(m_waitingIn, nullptr))
        client->forget(this);
}

Client::Client(QObject* parent)
    : QObject(parent)
{
}

Client::~Client()
{
    for (Pool& pool : m_pools) {
        for (const Pending& p : pool.waiting)
            p.call->m_waitingIn = nullptr;
    }
}

void Client::forget(Call* call)
{
    for (Pool& pool : m_pools)
        pool.waiting.removeIf([call](const Pending& p) { return p.call == call; });
}

int Client::openConnections() const
{
    int n = 0;
    for (const Pool& p : m_pools)
        n += p.total;
    return n;
}

std::unique_ptr<Call> Client::send(ClientRequest request, CallEvents events)
{
    std::unique_ptr<Call> call(new Call);
    const QString origin = originOf(request.url);
    Pool& pool = m_pools[origin];
    start(pool, origin, Pending {std::move(request), std::move(events), call.get()}, true);
    return call;
}

void Client::start(Pool& pool, const QString& origin, Pending pending, bool allowReuse)
{
    while (allowReuse && !pool.idle.isEmpty()) {
        ClientConnection* c = pool.idle.takeLast();
        if (c->isUsable()) {
            c->begin(std::move(pending), true);
            return;
        }
        c->m_dropped = true;
        --pool.total;
        c->deleteLater();
    }
    if (pool.total >= m_maxPerOrigin) {
        pending.call->m_waitingIn = this;
        pool.waiting.append(std::move(pending));
        return;
    }
    ++pool.total;
    auto* c = new ClientConnection(*this, origin, pending.request.url);
    c->setParent(this);
    c->begin(std::move(pending), false);
}

void Client::released(ClientConnection* c, bool reusable)
{
    auto it = m_pools.find(c->origin());
    if (it == m_pools.end())
        return;
    Pool& pool = *it;
    if (!reusable) {
        pool.idle.removeOne(c);
        --pool.total;
    }
    while (!pool.waiting.isEmpty()) {
        Pending next = pool.waiting.takeFirst();
        next.call->m_waitingIn = nullptr;
        if (reusable) {
            c->m_timer.stop();
            c->begin(std::move(next), true);
        } else {
            start(pool, c->origin(), std::move(next), true);
        }
        return;
    }
    if (reusable)
        pool.idle.append(c);
}

void Client::retry(ClientConnection* c, Pending pending)
{
    c->m_dropped = true;
    c->m_socket->disconnect(c);
    c->deleteLater();
    auto it = m_pools.find(c->origin());
    if (it == m_pools.end())
        return;
    --it->total;
    start(*it, c->origin(), std::move(pending), false);
}

} // namespace tollgate::http

#include "client.moc"
