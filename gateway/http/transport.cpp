#include "gateway/http/transport.h"

#include "gateway/http/logging.h"

#include <QSocketNotifier>
#include <QSslSocket>

#ifdef Q_OS_WIN
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace tollgate::http {

Q_LOGGING_CATEGORY(lcTransport, "tollgate.gateway.http.transport")

namespace {

#ifdef Q_OS_WIN
using Length = int;
constexpr int kShutWrite = SD_SEND;
bool wouldBlock() { return WSAGetLastError() == WSAEWOULDBLOCK; }
bool interrupted() { return false; }
void closeDescriptor(qintptr s) { ::closesocket(SOCKET(s)); }
bool setNonBlocking(qintptr s)
{
    u_long on = 1;
    return ::ioctlsocket(SOCKET(s), FIONBIO, &on) == 0;
}
#else
using Length = socklen_t;
constexpr int kShutWrite = SHUT_WR;
bool wouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK; }
bool interrupted() { return errno == EINTR; }
void closeDescriptor(qintptr s) { ::close(int(s)); }
bool setNonBlocking(qintptr s)
{
    const int flags = ::fcntl(int(s), F_GETFL);
    return flags >= 0 && ::fcntl(int(s), F_SETFL, flags | O_NONBLOCK) == 0;
}
#endif

#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL; // a peer that reset must not raise SIGPIPE
#else
constexpr int kSendFlags = 0;
#endif

// A plain TCP connection on its descriptor. The read side stops at the peer's end of stream without closing the
// write side (RFC 9112 §9.6: a client may half-close after its request and still read the response).
class PlainTransport final : public Transport
{
public:
    PlainTransport(qintptr descriptor, QObject* parent)
        : Transport(parent)
        , m_fd(descriptor)
        , m_readNotifier(descriptor, QSocketNotifier::Read, this)
        , m_writeNotifier(descriptor, QSocketNotifier::Write, this)
    {
        m_writeNotifier.setEnabled(false);
        connect(&m_readNotifier, &QSocketNotifier::activated, this, [this] { onReadable(); });
        connect(&m_writeNotifier, &QSocketNotifier::activated, this, [this] { onWritable(); });
        sockaddr_storage address {};
        Length length = sizeof address;
        if (::getpeername(m_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
            m_peer.setAddress(reinterpret_cast<const sockaddr*>(&address));
        int one = 1;
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
#ifdef SO_NOSIGPIPE
        ::setsockopt(m_fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    }

    ~PlainTransport() override { closeDescriptorNow(); }

    QByteArray read(qint64 max) override
    {
        const qint64 n = std::min<qint64>(max, m_in.size() - m_inPos);
        QByteArray out;
        if (n == m_in.size()) {
            out = std::exchange(m_in, {});
        } else {
            out = QByteArray(m_in.constData() + m_inPos, n);
            m_inPos += n;
            if (m_inPos == m_in.size()) {
                m_in.clear();
                m_inPos = 0;
            }
        }
        if (m_fd >= 0 && !m_peerFinished && !m_failed && !m_readNotifier.isEnabled())
            m_readNotifier.setEnabled(true); // room again: take more from the kernel
        return out;
    }

    qint64 bytesAvailable() const override { return m_in.size() - m_inPos; }
    bool peerFinished() const override { return m_peerFinished; }
    qint64 bytesToWrite() const override { return m_out.size() - m_outPos; }

    void write(QByteArrayView data) override
    {
        if (m_fd < 0 || m_closing || m_failed || data.isEmpty())
            return;
        if (m_outPos == m_out.size()) { // nothing queued: straight to the kernel
            const qint64 sent = sendSome(data.constData(), data.size());
            if (sent < 0)
                return;
            data = data.sliced(sent);
            if (data.isEmpty())
                return;
        }
        m_out.append(data);
        m_writeNotifier.setEnabled(true);
    }

    void closeAfterWrite() override
    {
        if (m_fd < 0 || m_closing)
            return;
        m_closing = true;
        if (m_outPos == m_out.size())
            shutdownWrite();
    }

    void abort() override
    {
        closeDescriptorNow();
        markClosed();
    }

private:
    void onReadable()
    {
        const qint64 room = kReadBufferBytes - (m_in.size() - m_inPos);
        if (room <= 0) {
            m_readNotifier.setEnabled(false); // read() enables it again
            return;
        }
        // Through a scratch buffer: sizing m_in for the largest read would allocate 64 KiB per small request.
        static thread_local char scratch[64 * 1024];
        qint64 n;
        do {
            n = ::recv(m_fd, scratch, int(std::min<qint64>(room, sizeof scratch)), 0);
        } while (n < 0 && interrupted());
        if (n > 0 && !m_closing) {
            if (m_inPos > 0) {
                m_in.remove(0, m_inPos);
                m_inPos = 0;
            }
            m_in.append(scratch, n);
        }
        if (n > 0) {
            if (m_closing) // lingering after our close: what the peer still sends is dropped
                return;
            if (m_in.size() - m_inPos >= kReadBufferBytes)
                m_readNotifier.setEnabled(false);
            Q_EMIT readyRead();
            return;
        }
        if (n == 0) {
            m_peerFinished = true;
            m_readNotifier.setEnabled(false);
            if (m_closing && m_outPos == m_out.size()) {
                abort(); // the peer's end after ours: done
                return;
            }
            Q_EMIT readyRead();
            return;
        }
        if (!wouldBlock())
            failLater();
    }

    void onWritable()
    {
        while (m_outPos < m_out.size()) {
            const qint64 sent = sendSome(m_out.constData() + m_outPos, m_out.size() - m_outPos);
            if (sent < 0)
                return;
            if (sent == 0)
                break;
            m_outPos += sent;
        }
        if (m_outPos == m_out.size()) {
            m_out.clear();
            m_outPos = 0;
            m_writeNotifier.setEnabled(false);
            if (m_closing)
                shutdownWrite();
        } else if (m_outPos > 64 * 1024 && m_outPos > m_out.size() / 2) {
            m_out.remove(0, m_outPos);
            m_outPos = 0;
        }
        Q_EMIT bytesWritten();
    }

    // Bytes the kernel took (0 when it takes none now), or -1 after an error (reported later).
    qint64 sendSome(const char* data, qint64 size)
    {
        qint64 n;
        do {
            n = ::send(m_fd, data, int(std::min<qint64>(size, 1 << 30)), kSendFlags);
        } while (n < 0 && interrupted());
        if (n >= 0)
            return n;
        if (wouldBlock())
            return 0;
        failLater();
        return -1;
    }

    void shutdownWrite()
    {
        if (m_fd < 0)
            return;
        ::shutdown(m_fd, kShutWrite);
        if (m_peerFinished) {
            abort();
            return;
        }
        m_readNotifier.setEnabled(true); // wait for the peer's end (the owner bounds the wait)
    }

    // A reset or another error: the owner hears of it from the event loop, never from inside its own write().
    void failLater()
    {
        if (m_failed)
            return;
        m_failed = true;
        m_readNotifier.setEnabled(false);
        m_writeNotifier.setEnabled(false);
        QMetaObject::invokeMethod(
            this, [this] { abort(); }, Qt::QueuedConnection);
    }

    void closeDescriptorNow()
    {
        if (m_fd < 0)
            return;
        m_readNotifier.setEnabled(false);
        m_writeNotifier.setEnabled(false);
        closeDescriptor(m_fd);
        m_fd = -1;
    }

    qintptr m_fd;
    QSocketNotifier m_readNotifier;
    QSocketNotifier m_writeNotifier;
    QByteArray m_in;
    qsizetype m_inPos = 0;
    QByteArray m_out;
    qsizetype m_outPos = 0;
    bool m_peerFinished = false;
    bool m_closing = false;
    bool m_failed = false;
};

class TlsTransport final : public Transport
{
public:
    TlsTransport(QSslSocket* socket, QObject* parent)
        : Transport(parent)
        , m_socket(socket)
    {
        socket->setParent(this);
        socket->setReadBufferSize(kReadBufferBytes);
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        m_peer = socket->peerAddress();
        connect(socket, &QSslSocket::readyRead, this, &Transport::readyRead);
        connect(socket, &QSslSocket::bytesWritten, this, &Transport::bytesWritten);
        connect(socket, &QSslSocket::disconnected, this, [this] { markClosed(); });
        connect(socket, &QSslSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
            if (e != QAbstractSocket::RemoteHostClosedError) // else disconnected() follows
                abort();
        });
    }

    QByteArray read(qint64 max) override { return m_socket->read(max); }
    qint64 bytesAvailable() const override { return m_socket->bytesAvailable(); }
    bool peerFinished() const override { return m_socket->state() != QAbstractSocket::ConnectedState; }
    void write(QByteArrayView data) override
    {
        if (m_socket->state() == QAbstractSocket::ConnectedState)
            m_socket->write(data.constData(), data.size());
    }
    qint64 bytesToWrite() const override { return m_socket->bytesToWrite() + m_socket->encryptedBytesToWrite(); }
    void closeAfterWrite() override
    {
        if (m_socket->state() == QAbstractSocket::UnconnectedState)
            markClosed();
        else
            m_socket->disconnectFromHost();
    }
    void abort() override
    {
        m_socket->abort();
        markClosed();
    }

private:
    QSslSocket* m_socket;
};

} // namespace

void Transport::markClosed()
{
    if (m_closed)
        return;
    m_closed = true;
    Q_EMIT closed();
}

Transport* Transport::plain(qintptr descriptor, QObject* parent)
{
    if (!setNonBlocking(descriptor)) {
        qCWarning(lcTransport) << "cannot make a connection non-blocking; closing it";
        closeDescriptor(descriptor);
        return nullptr;
    }
    return new PlainTransport(descriptor, parent);
}

Transport* Transport::tls(qintptr descriptor, const QSslConfiguration& configuration, QObject* parent)
{
    auto* socket = new QSslSocket;
    socket->setSslConfiguration(configuration);
    if (!socket->setSocketDescriptor(descriptor)) {
        qCWarning(lcTransport) << "cannot take over a TLS connection:" << socket->errorString();
        delete socket;
        closeDescriptor(descriptor);
        return nullptr;
    }
    auto* t = new TlsTransport(socket, parent);
    socket->startServerEncryption();
    return t;
}

} // namespace tollgate::http
