#pragma once

#include "gateway/http/message.h"
#include "gateway/http/parser.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

class QThread;

namespace tollgate::http {

class Connection;
class Listener;
class Worker;

struct ServerOptions
{
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 8787; // 0: any free port (see Server::port())
    int threads = 0; // 0: one per core
    int maxConnections = 16'384;
    ParserLimits limits;
    int headerTimeoutMs = 10'000; // from the first byte of a request to the end of its headers
    int requestTimeoutMs = 60'000; // from the first byte to the end of the body
    int idleTimeoutMs = 75'000; // a kept-alive connection with no request under way
    // Written toward a client and not yet taken: above this a stream stops reading its provider (and pipelined
    // requests wait) until the client has taken half of it.
    qint64 streamBufferBytes = 256 * 1024;
    int sendTimeoutMs = 60'000; // a client that takes no byte of its response for this long is dropped
    QString tlsCertificateFile; // PEM; with tlsKeyFile: serve HTTPS
    QString tlsKeyFile;
};

// One request and its response. Lives in the connection's thread; a handler answers through it at once or later
// (hold it in a QPointer: it is deleted when the client goes away). Exactly one of respond() or
// beginStream()..endStream() per exchange.
class Exchange final : public QObject
{
    Q_OBJECT
public:
    const Request& request() const { return m_request; }
    Request& request() { return m_request; }
    const QHostAddress& peer() const { return m_peer; }
    // Since the request was complete: for latency figures.
    const QElapsedTimer& timer() const { return m_timer; }

    void respond(Response response);
    // A response whose body follows piece by piece (chunked; close-delimited for HTTP/1.0 clients).
    void beginStream(int status, Headers headers);
    void write(QByteArrayView data);
    void endStream();
    // Ends the exchange without a proper end: the client sees the connection drop (a stream that failed midway).
    void abort();

    bool isFinished() const { return m_finished; }
    bool isStreaming() const { return m_streaming; }
    // Written and not yet taken by the client; isBackedUp() when that passes the server's streamBufferBytes (stop
    // producing until drained()).
    qint64 bytesQueued() const;
    bool isBackedUp() const;

Q_SIGNALS:
    // The client went away before the response ended.
    void clientGone();
    // The client sent its end of stream while the response is under way: a half-close (it may still read the
    // answer) or a close (it will not); TCP cannot tell them apart until a write fails.
    void clientFinished();
    // The client took what was queued down to half the stream buffer.
    void drained();

private:
    friend class Connection;
    Exchange(Connection* connection, Request request, QHostAddress peer);
    Connection* m_connection;
    Request m_request;
    QHostAddress m_peer;
    QElapsedTimer m_timer;
    bool m_streaming = false;
    bool m_chunked = false;
    bool m_finished = false;
};

// Handles requests; called in a worker thread, from several threads at once.
class Handler
{
public:
    virtual ~Handler() = default;
    virtual void handle(Exchange& exchange) = 0;
    // The body of a refusal the server makes itself, before any handler runs (a malformed or too large request, a
    // request that did not arrive in time): in the shape of the API the handler serves. The default is the shape
    // both LLM APIs' clients can show: {"error":{"message":..,"type":..}}.
    virtual QByteArray errorBody(int status, const QString& message) const;
};

struct ServerStats
{
    qint64 openConnections = 0;
    qint64 requests = 0; // complete requests handed to the handler
    qint64 rejectedConnections = 0; // over the connection cap
    qint64 protocolErrors = 0; // 4xx/5xx from the parser or a deadline
};

// An HTTP/1.1 server: one listener and a pool of worker threads, each with its own event loop and its share of the
// connections (handed out round robin). The thread that calls start() carries no traffic.
class Server final
{
public:
    Server(Handler& handler, ServerOptions options);
    ~Server();
    Q_DISABLE_COPY_MOVE(Server)

    // Listens; on failure returns the reason (address in use, unreadable TLS files...).
    QString start();
    // Stops accepting, lets requests under way finish (kept-alive connections close after their response) for up
    // to drainMs, then closes everything. Blocks the caller.
    void stop(int drainMs = 10'000);
    bool isRunning() const { return m_running; }
    quint16 port() const { return m_port; }
    const ServerOptions& options() const { return m_options; }
    bool isTls() const { return !m_options.tlsCertificateFile.isEmpty(); }
    ServerStats stats() const;

private:
    friend class Listener;
    friend class Worker;
    friend class Connection;
    void dispatch(qintptr descriptor);
    void connectionClosed();

    Handler& m_handler;
    ServerOptions m_options;
    QSslConfiguration m_tls;
    std::vector<QThread*> m_threads;
    std::vector<Worker*> m_workers;
    Listener* m_listener = nullptr;
    std::atomic<int> m_next {0};
    bool m_running = false;
    quint16 m_port = 0;

    std::atomic<qint64> m_open {0};
    std::atomic<qint64> m_requests {0};
    std::atomic<qint64> m_rejected {0};
    std::atomic<qint64> m_protocolErrors {0};
    std::mutex m_drainMutex;
    std::condition_variable m_drained;
};

} // namespace tollgate::http
