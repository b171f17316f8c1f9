#include "app/singleinstance.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>

namespace tollgate {

namespace {

const QByteArray kActivate = QByteArrayLiteral("activate\n");
const QByteArray kShown = QByteArrayLiteral("shown\n");

} // namespace

SingleInstance::SingleInstance(const QString& key, QObject* parent)
    : QObject(parent)
    , m_name(key)
{
}

SingleInstance::~SingleInstance() = default;

QString SingleInstance::defaultKey()
{
    // The home folder tells users apart on every system; hashed, so the name is short and has no separators.
    const QByteArray home = QDir::homePath().toUtf8();
    return QStringLiteral("tollgate-console-")
        + QString::fromLatin1(QCryptographicHash::hash(home, QCryptographicHash::Sha256).toHex().left(16));
}

bool SingleInstance::activateRunning(int timeoutMs)
{
    QLocalSocket socket;
    socket.connectToServer(m_name);
    if (!socket.waitForConnected(timeoutMs))
        return false;
    socket.write(kActivate);
    if (!socket.waitForBytesWritten(timeoutMs))
        return false;
    while (socket.bytesAvailable() < kShown.size() && socket.waitForReadyRead(timeoutMs)) { }
    return socket.readAll().startsWith(kShown);
}

QString SingleInstance::listen()
{
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(m_name)) {
        // A socket left behind by a console that crashed: nobody answered on it (activateRunning said so).
        QLocalServer::removeServer(m_name);
        if (!m_server->listen(m_name))
            return m_server->errorString();
    }
    connect(m_server, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket* socket = m_server->nextPendingConnection()) {
            connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
            connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
                if (!socket->canReadLine())
                    return;
                if (socket->readLine() == kActivate) {
                    emit activationRequested();
                    socket->write(kShown);
                    socket->flush();
                }
                socket->disconnectFromServer();
            });
        }
    });
    return {};
}

} // namespace tollgate
