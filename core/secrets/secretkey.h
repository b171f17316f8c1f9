#pragma once

#include "core/domain/result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QString>

namespace tollgate {

// A 256-bit AES-GCM key for the provider secrets kept in the database, and the file that holds it. A sealed secret
// is "enc:v1:<key id>:<base64 of nonce, ciphertext and tag>"; the key id (the first 8 bytes of a SHA-256 of the key,
// in hex) says which key sealed it, so a wrong key file is told from a damaged secret.
class SecretKey final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::SecretKey)

public:
    SecretKey() = default;
    static SecretKey generate();
    // The key in `path`; an error naming the file when it cannot be read or holds no key.
    static Result<SecretKey> readFile(const QString& path);
    // Writes a new key file: 0600 before anything is in it, synced, then renamed over `path` (its folder is made 0700
    // when it is new). `note` goes in the file's comment lines.
    Status writeFile(const QString& path, const QString& note) const;

    bool isNull() const { return m_key.isEmpty(); }
    const QString& id() const { return m_id; }

    // An error only when OpenSSL fails (out of memory): never a value that would not open again.
    Result<QString> seal(const QString& secret) const;
    // Refuses a secret sealed under another key (naming both ids) and one that was altered.
    Result<QString> open(const QString& sealed) const;

    static bool isSealed(const QString& stored) { return stored.startsWith(QLatin1String("enc:v1:")); }
    static QString keyIdOf(const QString& sealed); // empty when `sealed` is not a sealed secret

private:
    explicit SecretKey(QByteArray key);

    QByteArray m_key;
    QString m_id;
};

} // namespace tollgate
