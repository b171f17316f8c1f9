#pragma once

#include "gateway/http/message.h"

#include <QHash>
#include <QObject>
#include <QUrl>

#include <functional>
#include <memory>

namespace tollgate::http {

struct ClientRequest
{
    QByteArray method = "POST";
    QUrl url; // http or https
    Headers headers; // Host, Content-Length and Connection are added
    QByteArray body;
    int timeoutMs = 600'000; // until the first byte, and then between any two bytes
};

enum class CallError { Connect, Timeout, Protocol, Closed };

// What a call reports, in order: head once, data any number of times, then end or error (exactly one of them).
struct CallEvents
{
    std::function<void(int status, const Headers& headers)> head;
    std::function<void(QByteArray data)> data;
    std::function<void()> end;
    std::function<void(CallError error, QString message)> error;
};

class Client;
class ClientConnection;

// A call in flight. Destroying it (or cancel()) aborts the call; its connection is closed, not reused.
class Call final
{
public:
    ~Call() { cancel(); }
    Q_DISABLE_COPY_MOVE(Call)
    void cancel();
    // A paused call reads nothing more from the provider (its socket's buffer fills and TCP pushes back) and its
    // deadline waits; data() resumes after setPaused(false), from the event loop.
    void setPaused(bool paused);

private:
    friend class Client;
    friend class ClientConnection;
    Call() = default;
    ClientConnection* m_connection = nullptr;
    Client* m_waitingIn = nullptr; // queued behind the per-origin connection cap
    bool m_paused = false;
};

// An HTTP/1.1 client for one thread, with keep-alive connection pools per origin and no small cap on connections
// per host (QNetworkAccessManager opens at most six, which would queue the two-thousandth concurrent LLM call behind
// the first ones). A request that fails before any response byte on a reused connection is retried once on a new one.
class Client final : public QObject
{
public:
    explicit Client(QObject* parent = nullptr);
    ~Client() override;

    std::unique_ptr<Call> send(ClientRequest request, CallEvents events);

    void setMaxConnectionsPerOrigin(int n) { m_maxPerOrigin = n; }
    void setIdleTimeoutMs(int ms) { m_idleTimeoutMs = ms; }
    int openConnections() const;

private:
    friend class ClientConnection;
    friend class Call;
    struct Pending
    {
        ClientRequest request;
        CallEvents events;
        Call* call;
    };
    struct Pool
    {
        QList<ClientConnection*> idle;
        QList<Pending> waiting;
        int total = 0;
    };
    void start(Pool& pool, const QString& origin, Pending pending, bool allowReuse);
    void released(ClientConnection* c, bool reusable);
    void retry(ClientConnection* c, Pending pending);
    void forget(Call* call);

    QHash<QString, Pool> m_pools;
    int m_maxPerOrigin = 8192;
    int m_idleTimeoutMs = 30'000;
};

} // namespace tollgate::http
