#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QObject>

class QSslConfiguration;
class QSocketNotifier;

namespace tollgate::http {

// The byte stream under one server connection. Plain TCP is driven by socket notifiers on the descriptor itself:
// Qt's QTcpSocket closes the whole socket when the peer half-closes (a read of 0 bytes), dropping the answer to a
// request sent just before shutdown(SHUT_WR). TLS goes through QSslSocket. Reads are bounded: the transport takes
// at most kReadBufferBytes from the kernel until the owner reads them, so a connection whose requests wait (a
// pipelining client, a response under way) pushes back on its peer instead of growing memory.
class Transport : public QObject
{
    Q_OBJECT
public:
    // Read ahead of the owner at most: with every connection full, maxConnections x this.
    static constexpr qint64 kReadBufferBytes = 64 * 1024;

    // Takes over a connected descriptor; nullptr when it cannot (the descriptor is closed then).
    static Transport* plain(qintptr descriptor, QObject* parent);
    static Transport* tls(qintptr descriptor, const QSslConfiguration& configuration, QObject* parent);

    // Up to max bytes of what has arrived.
    virtual QByteArray read(qint64 max) = 0;
    virtual qint64 bytesAvailable() const = 0;
    // The peer sent its last byte (a half-close or a close): nothing more will arrive.
    virtual bool peerFinished() const = 0;
    virtual void write(QByteArrayView data) = 0;
    // Written but not yet taken by the kernel.
    virtual qint64 bytesToWrite() const = 0;
    // Sends what was written, then closes (waiting a bounded time for the peer's end, so a response is not lost
    // to a reset caused by unread request bytes).
    virtual void closeAfterWrite() = 0;
    // Closes at once; what was not yet sent is lost.
    virtual void abort() = 0;
    bool isClosed() const { return m_closed; }
    const QHostAddress& peerAddress() const { return m_peer; }

Q_SIGNALS:
    // New bytes arrived, or the peer finished.
    void readyRead();
    // The kernel took some of what was written.
    void bytesWritten();
    // The connection is gone: reset, an error, or the end of a close.
    void closed();

protected:
    using QObject::QObject;
    void markClosed();
    QHostAddress m_peer;

private:
    bool m_closed = false;
};

} // namespace tollgate::http
