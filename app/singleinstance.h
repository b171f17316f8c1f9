#pragma once

#include <QObject>
#include <QString>

class QLocalServer;

namespace tollgate {

// One console per user: the first launch listens on a local socket; a second launch finds it, asks it to come to
// the front and exits, instead of starting a second gateway on the same port.
class SingleInstance final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SingleInstance)

public:
    // `key` names the instance; by default one per user of this machine.
    explicit SingleInstance(const QString& key = defaultKey(), QObject* parent = nullptr);
    ~SingleInstance() override;

    // True when another console answered (and was asked to show itself); false when this one is now the first.
    bool activateRunning(int timeoutMs = 2'000);
    // Starts listening for later launches. Returns an error message, or an empty string.
    QString listen();

    static QString defaultKey();

signals:
    // A later launch asked this console to come to the front.
    void activationRequested();

private:
    QString m_name;
    QLocalServer* m_server = nullptr;
};

} // namespace tollgate
