#include "gateway/http/server.h"

#include "gateway/http/anchor.h"
#include "gateway/http/logging.h"
#include "gateway/http/transport.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QThread>
#include <QTimer>

namespace tollgate::http {

Q_LOGGING_CATEGORY(lcHttp, "tollgate.gateway.http", QtInfoMsg)

QByteArray Handler::errorBody(int, const QString& message) const
{
    const QJsonObject error {{QStringLiteral("message"), message},
                             {QStringLiteral("type"), QStringLiteral("invalid_request_error")}};
    return QJsonDocument(QJsonObject {{QStringLiteral("error"), error}}).toJson(QJsonDocument::Compact);
}

// Owns one transport: reads and parses requests, hands each to the handler, writes its response, enforces the
// deadlines. Lives in its worker's thread. Pipelined requests are answered in order by a loop, never from inside the
// previous response (a handler that answers at once would otherwise recurse once per request); the loop yields to
// the event loop after a batch, and waits while the client has not taken what was written.
class Connection final : public QObject
{
    Q_OBJECT
public:
    // Requests answered in one turn of the event loop before other connections get theirs.
    static constexpr int kBatch = 32;

    Connection(Server& server, Transport* transport)
        : m_server(server)
        , m_transport(transport)
        , m_parser(MessageParser::Mode::Request, server.m_options.limits)
    {
        transport->setParent(this);
        m_timer.setSingleShot(true);
        m_sendTimer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, &Connection::onTimeout);
        connect(&m_sendTimer, &QTimer::timeout, this, &Connection::onSendTimeout);
        connect(transport, &Transport::readyRead, this, &Connection::onReadyRead);
        connect(transport, &Transport::bytesWritten, this, &Connection::onBytesWritten);
        connect(transport, &Transport::closed, this, &Connection::onClosed);
        armIdle();
    }

    ~Connection() override { m_server.connectionClosed(); }

    // Stop after the request under way (or one already arriving); close at once if the connection is idle.
    void drain()
    {
        m_draining = true;
        if (!m_exchange && m_parser.idle() && m_transport->bytesAvailable() == 0)
            close();
    }

    void writeRaw(QByteArrayView data)
    {
        if (m_closing || m_transport->isClosed())
            return;
        m_transport->write(data);
        if (m_transport->bytesToWrite() > 0 && !m_sendTimer.isActive())
            m_sendTimer.start(m_server.m_options.sendTimeoutMs);
    }

    qint64 bytesQueued() const { return m_transport->bytesToWrite(); }
    qint64 streamBufferBytes() const { return m_server.m_options.streamBufferBytes; }

    // The exchange wrote its last byte.
    void finished(bool keepAlive)
    {
        if (m_exchange) {
            m_exchange->disconnect(this);
            m_exchange->deleteLater();
            m_exchange.clear();
        }
        if (!keepAlive || m_draining || m_closing) {
            close();
            return;
        }
        armIdle();
        pump(); // a no-op when the answer came from inside pump(): its loop goes on
    }

    // Ends the connection without ending the response: what was written is still sent, then the connection
    // closes, so the client sees a body cut short (no final chunk, or fewer bytes than announced).
    void abort()
    {
        if (m_exchange) {
            m_exchange->disconnect(this);
            m_exchange->deleteLater();
            m_exchange.clear();
        }
        close();
    }

private:
    void onReadyRead()
    {
        if (m_closing)
            return;
        if (m_exchange) { // bytes wait in the transport (bounded) until this response is written
            if (m_transport->peerFinished() && !m_finishedSignalled) {
                m_finishedSignalled = true;
                Q_EMIT m_exchange->clientFinished();
            }
            return;
        }
        pump();
    }

    void onBytesWritten()
    {
        const qint64 queued = m_transport->bytesToWrite();
        if (queued == 0)
            m_sendTimer.stop();
        else
            m_sendTimer.start(m_server.m_options.sendTimeoutMs); // progress: the deadline starts over
        if (m_exchange && queued <= m_server.m_options.streamBufferBytes / 2)
            Q_EMIT m_exchange->drained();
        if (m_waitingForDrain && queued <= pipelineBufferBytes() / 2) {
            m_waitingForDrain = false;
            pump();
        }
    }

    // Parses and answers what has arrived, in order, until a response is under way, the client must first take
    // what was written, or a batch is done.
    void pump()
    {
        if (m_pumping || m_closing)
            return;
        m_pumping = true;
        int answered = 0;
        while (!m_closing && !m_exchange) {
            const MessageParser::State state = m_parser.state();
            if (state == MessageParser::State::Error) {
                m_server.m_protocolErrors.fetch_add(1, std::memory_order_relaxed);
                refuse(m_parser.errorStatus(), m_parser.errorMessage());
                break;
            }
            if (state == MessageParser::State::Complete) {
                if (m_transport->bytesToWrite() > pipelineBufferBytes()) {
                    m_waitingForDrain = true; // a client that pipelines but does not read waits for itself
                    break;
                }
                if (answered == kBatch) {
                    QMetaObject::invokeMethod(this, &Connection::pump, Qt::QueuedConnection);
                    break;
                }
                ++answered;
                dispatch();
                m_parser.advance(); // the next pipelined request, if its bytes are here
                continue;
            }
            const QByteArray data = m_transport->read(64 * 1024);
            if (data.isEmpty()) {
                if (m_transport->peerFinished()) {
                    // Nothing more will come: answer what was complete (above), then close.
                    if (!m_parser.idle() && m_parser.finish() == MessageParser::State::Error)
                        continue; // a request cut short: refused above, on the next turn of this loop
                    close();
                    break;
                }
                watchDeadlines();
                break;
            }
            m_parser.feed(data);
        }
        m_pumping = false;
    }

    // Answers to pipelined requests waiting for the client: less than a stream may hold, since every connection of a
    // client that pipelines without reading can hold this much.
    qint64 pipelineBufferBytes() const { return std::min<qint64>(64 * 1024, m_server.m_options.streamBufferBytes); }

    void watchDeadlines()
    {
        if (m_parser.idle())
            return;
        if (!m_receiving) {
            m_receiving = true;
            m_since.start();
            m_timer.start(std::min(m_server.m_options.headerTimeoutMs, m_server.m_options.requestTimeoutMs));
        }
        if (m_parser.headersDone() && !m_headersSeen) {
            m_headersSeen = true;
            m_timer.start(std::max<qint64>(0, m_server.m_options.requestTimeoutMs - m_since.elapsed()));
            if (m_parser.expectsContinue())
                writeRaw("HTTP/1.1 100 Continue\r\n\r\n");
        }
    }

    void dispatch()
    {
        m_timer.stop();
        m_receiving = false;
        m_headersSeen = false;
        m_server.m_requests.fetch_add(1, std::memory_order_relaxed);
        auto* ex = new Exchange(this, m_parser.takeRequest(), m_transport->peerAddress());
        ex->setParent(this);
        m_exchange = ex;
        m_server.m_handler.handle(*ex);
    }

    void refuse(int status, const QString& message)
    {
        qCDebug(lcHttp).noquote() << "refused" << status << "to" << m_transport->peerAddress().toString() << "-"
                                  << message;
        Headers h;
        h.add("Content-Type", "application/json");
        const QByteArray body = m_server.m_handler.errorBody(status, message);
        h.add("Content-Length", QByteArray::number(body.size()));
        h.add("Connection", "close");
        writeRaw(QByteArray(serializeHead(status, h) + body));
        close();
    }

    void close()
    {
        if (m_closing)
            return;
        m_closing = true;
        m_timer.stop();
        m_sendTimer.stop();
        if (m_transport->isClosed()) {
            deleteLater();
            return;
        }
        m_transport->closeAfterWrite(); // after the bytes are written; closed() deletes us
        // A peer that never reads must not hold the connection: give the goodbye a bounded time.
        m_timer.disconnect();
        connect(&m_timer, &QTimer::timeout, this, [this] { m_transport->abort(); });
        m_timer.start(5'000);
    }

    void onClosed()
    {
        if (m_gone)
            return;
        m_gone = true;
        m_timer.stop();
        m_sendTimer.stop();
        if (m_exchange && !m_exchange->isFinished())
            Q_EMIT m_exchange->clientGone();
        deleteLater();
    }

    void onTimeout()
    {
        if (m_exchange)
            return;
        if (!m_receiving) { // idle keep-alive connection
            close();
            return;
        }
        m_server.m_protocolErrors.fetch_add(1, std::memory_order_relaxed);
        refuse(408,
               m_parser.headersDone() ? tr("the request body did not arrive in time")
                                      : tr("the request headers did not arrive in time"));
    }

    // The client took nothing of what was written for sendTimeoutMs: it is gone for all purposes.
    void onSendTimeout()
    {
        if (m_transport->bytesToWrite() > 0)
            m_transport->abort();
    }

    void armIdle() { m_timer.start(m_server.m_options.idleTimeoutMs); }

    Server& m_server;
    Transport* m_transport;
    MessageParser m_parser;
    QTimer m_timer;
    QTimer m_sendTimer;
    QElapsedTimer m_since;
    QPointer<Exchange> m_exchange;
    bool m_receiving = false;
    bool m_headersSeen = false;
    bool m_draining = false;
    bool m_closing = false;
    bool m_gone = false;
    bool m_pumping = false;
    bool m_waitingForDrain = false;
    bool m_finishedSignalled = false;
};

Exchange::Exchange(Connection* connection, Request request, QHostAddress peer)
    : m_connection(connection)
    , m_request(std::move(request))
    , m_peer(std::move(peer))
{
    m_timer.start();
}

qint64 Exchange::bytesQueued() const { return m_connection->bytesQueued(); }

bool Exchange::isBackedUp() const { return m_connection->bytesQueued() > m_connection->streamBufferBytes(); }

void Exchange::respond(Response response)
{
    if (m_finished || m_streaming)
        return;
    m_finished = true;
    Headers& h = response.headers;
    const bool head = m_request.method == "HEAD";
    h.set("Content-Length", QByteArray::number(response.body.size()));
    if (!m_request.keepAlive)
        h.set("Connection", "close");
    else if (m_request.versionMinor == 0)
        h.set("Connection", "keep-alive");
    QByteArray out = serializeHead(response.status, h);
    if (!head)
        out += response.body;
    m_connection->writeRaw(out);
    m_connection->finished(m_request.keepAlive);
}

void Exchange::beginStream(int status, Headers headers)
{
    if (m_finished || m_streaming)
        return;
    m_streaming = true;
    m_chunked = m_request.versionMinor >= 1;
    if (m_chunked)
        headers.set("Transfer-Encoding", "chunked");
    else
        m_request.keepAlive = false; // the end of the body is the end of the connection
    if (!m_request.keepAlive)
        headers.set("Connection", "close");
    m_connection->writeRaw(serializeHead(status, headers));
}

void Exchange::write(QByteArrayView data)
{
    if (!m_streaming || m_finished || data.isEmpty())
        return;
    if (!m_chunked) {
        m_connection->writeRaw(data);
        return;
    }
    QByteArray out = QByteArray::number(data.size(), 16);
    out.reserve(out.size() + data.size() + 4);
    out += "\r\n";
    out += data;
    out += "\r\n";
    m_connection->writeRaw(out);
}

void Exchange::endStream()
{
    if (!m_streaming || m_finished)
        return;
    m_finished = true;
    if (m_chunked)
        m_connection->writeRaw("0\r\n\r\n");
    m_connection->finished(m_request.keepAlive);
}

void Exchange::abort()
{
    if (m_finished)
        return;
    m_finished = true;
    m_connection->abort();
}

// One worker thread's share of the connections.
class Worker final : public QObject
{
public:
    explicit Worker(Server& server)
        : m_server(server)
    {
    }

    void adopt(qintptr descriptor)
    {
        Transport* transport = m_server.isTls() ? Transport::tls(descriptor, m_server.m_tls, nullptr)
                                                : Transport::plain(descriptor, nullptr);
        if (!transport) {
            m_server.connectionClosed();
            return;
        }
        auto* c = new Connection(m_server, transport);
        c->setParent(this);
    }

    void drain()
    {
        for (QObject* child : children()) {
            if (auto* c = dynamic_cast<Connection*>(child))
                c->drain();
        }
    }

private:
    Server& m_server;
};

class Listener final : public QTcpServer
{
public:
    explicit Listener(Server& server)
        : m_server(server)
    {
    }

protected:
    void incomingConnection(qintptr descriptor) override { m_server.dispatch(descriptor); }

private:
    Server& m_server;
};

Server::Server(Handler& handler, ServerOptions options)
    : m_handler(handler)
    , m_options(std::move(options))
{
}

Server::~Server() { stop(0); }

QString Server::start()
{
    if (m_running)
        return {};
    if (m_options.tlsCertificateFile.isEmpty() != m_options.tlsKeyFile.isEmpty())
        return tr("TLS needs both a certificate and a key file");
    if (isTls()) {
        if (!QSslSocket::supportsSsl())
            return tr("TLS is not available: OpenSSL could not be loaded");
        const QList<QSslCertificate> chain = QSslCertificate::fromPath(m_options.tlsCertificateFile);
        if (chain.isEmpty())
            return tr("no PEM certificate could be read from %1").arg(m_options.tlsCertificateFile);
        QFile keyFile(m_options.tlsKeyFile);
        if (!keyFile.open(QIODevice::ReadOnly))
            return tr("cannot read the TLS key %1: %2").arg(m_options.tlsKeyFile, keyFile.errorString());
        const QByteArray pem = keyFile.readAll();
        QSslKey key(pem, QSsl::Rsa);
        if (key.isNull())
            key = QSslKey(pem, QSsl::Ec);
        if (key.isNull())
            return tr("%1 holds no unencrypted RSA or EC private key in PEM form").arg(m_options.tlsKeyFile);
        m_tls = QSslConfiguration::defaultConfiguration();
        m_tls.setLocalCertificateChain(chain);
        m_tls.setPrivateKey(key);
        m_tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    }
    const int n = m_options.threads > 0 ? m_options.threads : std::max(1, QThread::idealThreadCount());
    for (int i = 0; i < n; ++i) {
        auto* thread = new QThread;
        thread->setObjectName(QStringLiteral("tollgate-http-%1").arg(i));
        auto* worker = new Worker(*this);
        worker->moveToThread(thread);
        QObject::connect(thread, &QThread::finished, worker, &QObject::deleteLater);
        thread->start();
        m_threads.push_back(thread);
        m_workers.push_back(worker);
    }
    QString error;
    runIn(
        m_workers.front(),
        [this, &error] {
            auto* listener = new Listener(*this);
            listener->setMaxPendingConnections(4096);
            listener->setListenBacklogSize(4096); // Qt's default of 50 drops SYNs when thousands connect at once
            listener->setParent(m_workers.front());
            if (!listener->listen(m_options.address, m_options.port)) {
                error = tr("cannot listen on %1:%2: %3")
                            .arg(m_options.address.toString())
                            .arg(m_options.port)
                            .arg(listener->errorString());
                delete listener;
                return;
            }
            m_port = listener->serverPort();
            m_listener = listener;
        },
        Qt::BlockingQueuedConnection);
    if (!error.isEmpty()) {
        stop(0);
        return error;
    }
    m_running = true;
    return {};
}

void Server::stop(int drainMs)
{
    if (m_workers.empty())
        return;
    if (m_listener) {
        runIn(
            m_listener, [this] { m_listener->close(); }, Qt::BlockingQueuedConnection);
    }
    for (Worker* w : m_workers)
        runIn(w, [w] { w->drain(); });
    {
        std::unique_lock lock(m_drainMutex);
        m_drained.wait_for(lock, std::chrono::milliseconds(drainMs), [this] { return m_open.load() == 0; });
    }
    for (QThread* t : m_threads) {
        t->quit(); // the worker and its connections are deleted in the thread (finished -> deleteLater)
        t->wait();
        tsan::acquired(); // what the thread did last (deleting its connections) is before this
        delete t;
    }
    m_threads.clear();
    m_workers.clear();
    m_listener = nullptr;
    m_running = false;
}

ServerStats Server::stats() const
{
    return {m_open.load(std::memory_order_relaxed), m_requests.load(std::memory_order_relaxed),
            m_rejected.load(std::memory_order_relaxed), m_protocolErrors.load(std::memory_order_relaxed)};
}

void Server::dispatch(qintptr descriptor)
{
    if (m_open.load(std::memory_order_relaxed) >= m_options.maxConnections) {
        m_rejected.fetch_add(1, std::memory_order_relaxed);
        QTcpSocket refused;
        if (refused.setSocketDescriptor(descriptor)) {
            refused.write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            refused.flush();
            refused.abort();
        }
        return;
    }
    m_open.fetch_add(1, std::memory_order_relaxed);
    Worker* w = m_workers[size_t(m_next.fetch_add(1, std::memory_order_relaxed)) % m_workers.size()];
    runIn(w, [w, descriptor] { w->adopt(descriptor); });
}

void Server::connectionClosed()
{
    if (m_open.fetch_sub(1) == 1) {
        std::lock_guard lock(m_drainMutex);
        m_drained.notify_all();
    }
    tsan::released(); // QThread::wait() synchronises over futexes TSan does not see: stop() acquires after it
}

} // namespace tollgate::http

#include "server.moc"
