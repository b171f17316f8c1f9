#pragma once

#include "core/domain/domain.h"
#include "core/secrets/keychain.h"
#include "core/secrets/secretkey.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSqlDatabase>

#include <memory>
#include <mutex>

namespace tollgate {

class Database;
struct DatabaseLocation;

// Where provider secrets live at rest. The database never holds a secret itself, only
//   "keychain:v1:<account>"  an entry of the OS keychain (the desktop console's choice, when a keychain answers), or
//   "enc:v1:<key id>:<...>"   the secret under AES-256-GCM with the key of the secret key file (`tollgate serve`, a
//                             desktop without a keychain, and every instance sharing a PostgreSQL database).
// The database records the id of the key its secrets are sealed with, so a missing or wrong key file is an error
// naming the file, found at start, before anything is written; a key file is created only for a database that has no
// key yet. Thread-safe.
class SecretVault final
{
    Q_DECLARE_TR_FUNCTIONS(tollgate::SecretVault)

public:
    struct Options
    {
        QString keyFile; // empty: defaultKeyFile()
        bool keychain = false; // new secrets go to the OS keychain when it answers (SQLite only: never on a shared one)
    };

    // Next to a SQLite database (tollgate.db -> tollgate.db.secret-key); for PostgreSQL one file per server and
    // database in the user's data folder; empty for an in-memory database (whose key lives as long as the process).
    static QString defaultKeyFile(const DatabaseLocation& location);
    // Called with the database's write lock held (it may record the database's first key).
    static Result<std::unique_ptr<SecretVault>> open(const Database& db, const Options& options);
    ~SecretVault();
    Q_DISABLE_COPY_MOVE(SecretVault)

    static SecretStorage storageOf(const QString& stored);
    // What the database keeps for `secret` (empty for none). Called with the database's write lock held.
    Result<QString> seal(const QString& secret);
    // The secret that `stored` stands for; plain text (a database of an earlier version) is returned as it is.
    Result<QString> unseal(const QString& stored);
    // Removes the keychain entry behind `stored` (after the row that named it changed); nothing for other kinds.
    void discard(const QString& stored);

    // The key file (empty for an in-memory database) and the id of the key in use (empty before the first).
    const QString& keyFile() const { return m_keyFile; }
    QString keyId() const;
    const QString& keychainService() const { return m_keychain.service(); }

    // Rotation, in the order Catalog::rotateSecretKey runs it: a new key written to keyFile().new; every encrypted
    // secret resealed and the new key recorded in one transaction; then the new file renamed over the old one. A
    // start that finds the database under the key of a left-over .new file finishes the rename.
    Result<SecretKey> beginRotation() const;
    Status recordKey(QSqlDatabase& tx, const SecretKey& key) const;
    Status finishRotation(const SecretKey& key);
    void abandonRotation() const;

private:
    SecretVault(const Database& db, QString keyFile, bool keychain);
    Status load(); // the key file against the database's record
    Result<QString> recordedKeyId() const;
    Status ensureKey(); // with m_lock held
    QString keyNote() const;

    const Database& m_db;
    const QString m_keyFile;
    const bool m_useKeychain;
    Keychain m_keychain;
    mutable std::mutex m_lock;
    SecretKey m_key;
    QHash<QString, QString> m_keychainCache; // account -> secret, read or written by this process
    QElapsedTimer m_keychainFailed; // valid: when the keychain last refused; retried a minute later
    QString m_keychainError;
};

} // namespace tollgate
