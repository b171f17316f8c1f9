#pragma once

#include "core/domain/result.h"

#include <QCoreApplication>

#include <memory>

namespace tollgate {

// The operating system's credential store through QtKeychain: the Secret Service (GNOME Keyring, KeePassXC) or
// KWallet on Linux, the Credential Manager on Windows, the Keychain on macOS. QtKeychain's job queue is bound to the
// thread that ran the first job, so every job of the process runs on one thread kept for them, and any thread may wait
// for one (a job that does not finish within a minute is an error).
class Keychain final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::Keychain)

public:
    explicit Keychain(QString service = QStringLiteral("Tollgate"));
    ~Keychain();
    Q_DISABLE_COPY_MOVE(Keychain)

    // False when this Tollgate was built without QtKeychain (every call is then an error saying so).
    static bool isBuiltIn();
    const QString& service() const { return m_service; }

    // NotFound when the keychain has no such entry; Storage when the keychain cannot be reached.
    Result<QString> read(const QString& account) const;
    Status write(const QString& account, const QString& secret);
    Status remove(const QString& account);

private:
    enum class Op { Read, Write, Remove };
    Result<QString> run(Op op, const QString& account, const QString& secret) const;

    QString m_service;
};

} // namespace tollgate
