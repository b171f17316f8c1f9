#include "core/secrets/vault.h"

#include "core/storage/database.h"

#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QStandardPaths>
#include <QUuid>

#include <filesystem>

Q_LOGGING_CATEGORY(lcSecrets, "tollgate.core.secrets", QtInfoMsg)

namespace tollgate {

namespace {

const QLatin1StringView kKeychainPrefix("keychain:v1:");
constexpr qint64 kKeychainRetryMs = 60'000;

QString rotationFile(const QString& keyFile) { return keyFile + QStringLiteral(".new"); }

} // namespace

QString SecretVault::defaultKeyFile(const DatabaseLocation& location)
{
    if (location.kind == Dialect::Kind::SQLite)
        return location.path.isEmpty() || location.path == u":memory:" ? QString()
                                                                       : location.path + QStringLiteral(".secret-key");
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/secret-keys/")
        + location.fileStem() + QStringLiteral(".secret-key");
}

SecretVault::SecretVault(const Database& db, QString keyFile, bool keychain)
    : m_db(db)
    , m_keyFile(std::move(keyFile))
    // A database other instances share keeps its secrets where they can read them: under the shared key file.
    , m_useKeychain(keychain && Keychain::isBuiltIn() && db.location().kind == Dialect::Kind::SQLite)
{
}

SecretVault::~SecretVault() = default;

Result<std::unique_ptr<SecretVault>> SecretVault::open(const Database& db, const Options& options)
{
    std::unique_ptr<SecretVault> vault(new SecretVault(
        db, options.keyFile.isEmpty() ? defaultKeyFile(db.location()) : options.keyFile, options.keychain));
    if (Status s = vault->load(); !s.ok())
        return s.error();
    return vault;
}

Result<QString> SecretVault::recordedKeyId() const
{
    auto r = runSql(m_db.connection(), QStringLiteral("SELECT key_id FROM secret_keys"));
    if (!r.ok())
        return r.error();
    return r->next() ? r->value(0).toString() : QString();
}

Status SecretVault::recordKey(QSqlDatabase& tx, const SecretKey& key) const
{
    if (auto d = runSql(tx, QStringLiteral("DELETE FROM secret_keys")); !d.ok())
        return d.error();
    if (auto i = runSql(tx, QStringLiteral("INSERT INTO secret_keys (key_id) VALUES (?)"), {key.id()}); !i.ok())
        return i.error();
    return {};
}

QString SecretVault::keyNote() const
{
    return tr("Tollgate's secret key: it decrypts the provider secrets kept in %1.\n"
              "Back it up with the database and keep it private; without it those secrets cannot be read.")
        .arg(m_db.location().displayName());
}

Status SecretVault::load()
{
    std::lock_guard guard(m_lock);
    auto recorded = recordedKeyId();
    if (!recorded.ok())
        return recorded.error();
    const QString wanted = recorded.value();
    if (m_keyFile.isEmpty()) {
        // An in-memory database lives as long as the process, and so does its key.
        m_key = SecretKey::generate();
        return m_db.transaction([this](QSqlDatabase& tx) { return recordKey(tx, m_key); });
    }
    const QString rotated = rotationFile(m_keyFile);
    const auto finishInterruptedRotation = [&]() -> bool {
        if (wanted.isEmpty() || !QFileInfo::exists(rotated))
            return false;
        auto next = SecretKey::readFile(rotated);
        if (!next.ok() || next->id() != wanted)
            return false;
        std::error_code error;
        std::filesystem::rename(QFile::encodeName(rotated).constData(), QFile::encodeName(m_keyFile).constData(),
                                error);
        if (error)
            return false;
        qCInfo(lcSecrets) << "finished the secret key rotation that was interrupted: the key is now" << m_keyFile;
        m_key = next.value();
        return true;
    };
    if (QFileInfo::exists(m_keyFile)) {
        auto key = SecretKey::readFile(m_keyFile);
        if (!key.ok())
            return key.error();
        if (!wanted.isEmpty() && key->id() != wanted) {
            if (finishInterruptedRotation())
                return {};
            return Error::storage(
                tr("the secret key file %1 holds the key %2, but the provider secrets of this database are encrypted "
                   "under the key %3: name the right file with --secret-key-file or TOLLGATE_SECRET_KEY_FILE "
                   "(nothing was changed)")
                    .arg(m_keyFile, key->id(), wanted));
        }
        m_key = key.value();
        if (wanted.isEmpty())
            return m_db.transaction([this](QSqlDatabase& tx) { return recordKey(tx, m_key); });
        QFile::remove(rotated); // a rotation that did not reach its commit
        return {};
    }
    if (!wanted.isEmpty()) {
        if (finishInterruptedRotation())
            return {};
        return Error::storage(tr("the provider secrets of this database are encrypted under the key %1, but the secret "
                                 "key file %2 does not exist: restore it from your backup, or name it with "
                                 "--secret-key-file or TOLLGATE_SECRET_KEY_FILE (nothing was changed)")
                                  .arg(wanted, m_keyFile));
    }
    // A database without a key: the desktop keeps its secrets in the keychain and makes a key only when it must.
    if (m_useKeychain)
        return {};
    return ensureKey();
}

Status SecretVault::ensureKey()
{
    if (!m_key.isNull())
        return {};
    SecretKey key = SecretKey::generate();
    if (Status w = key.writeFile(m_keyFile, keyNote()); !w.ok())
        return w;
    Status s = m_db.transaction([&](QSqlDatabase& tx) -> Status {
        // Another instance on the same database may have made its key first: then that one is the key.
        auto r = runSql(tx, QStringLiteral("SELECT key_id FROM secret_keys"));
        if (!r.ok())
            return r.error();
        if (r->next())
            return Error::conflict(QStringLiteral("secretKey"), r->value(0).toString());
        return recordKey(tx, key);
    });
    if (!s.ok()) {
        QFile::remove(m_keyFile); // made just now, and never used
        if (s.error().code == Error::Code::Conflict)
            return Error::storage(tr("another Tollgate made the secret key %1 of this database at the same moment: "
                                     "copy its key file to %2 (or name it with --secret-key-file) and start again")
                                      .arg(s.error().message, m_keyFile));
        return s;
    }
    qCInfo(lcSecrets) << "made the secret key file" << m_keyFile;
    m_key = key;
    return {};
}

QString SecretVault::keyId() const
{
    std::lock_guard guard(m_lock);
    return m_key.id();
}

SecretStorage SecretVault::storageOf(const QString& stored)
{
    if (stored.isEmpty())
        return SecretStorage::None;
    if (stored.startsWith(kKeychainPrefix))
        return SecretStorage::Keychain;
    if (SecretKey::isSealed(stored))
        return SecretStorage::Encrypted;
    return SecretStorage::PlainText;
}

Result<QString> SecretVault::seal(const QString& secret)
{
    if (secret.isEmpty())
        return QString();
    std::lock_guard guard(m_lock);
    if (m_useKeychain && (!m_keychainFailed.isValid() || m_keychainFailed.hasExpired(kKeychainRetryMs))) {
        const QString account = QStringLiteral("provider-secret-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
        const Status written = m_keychain.write(account, secret);
        if (written.ok()) {
            m_keychainFailed.invalidate();
            m_keychainCache.insert(account, secret);
            return QString(kKeychainPrefix + account);
        }
        m_keychainFailed.start();
        m_keychainError = written.error().message;
        qCWarning(lcSecrets).noquote() << written.error().message
                                       << "- provider secrets are encrypted under the key file" << m_keyFile
                                       << "instead";
    }
    if (Status s = ensureKey(); !s.ok())
        return s.error();
    // Another process may have rotated the key since this one started: sealing under the old key would lose the secret.
    auto recorded = recordedKeyId();
    if (!recorded.ok())
        return recorded.error();
    if (recorded.value() != m_key.id()) {
        auto current = m_keyFile.isEmpty() ? Result<SecretKey>(Error::storage({})) : SecretKey::readFile(m_keyFile);
        if (!current.ok() || current->id() != recorded.value())
            return Error::storage(tr("the secret key of this database was changed to %1 by another Tollgate and the "
                                     "key file %2 does not hold it: copy the new key file here and restart")
                                      .arg(recorded.value(), m_keyFile));
        m_key = current.value();
    }
    return m_key.seal(secret);
}

Result<QString> SecretVault::unseal(const QString& stored)
{
    switch (storageOf(stored)) {
    case SecretStorage::None: return QString();
    case SecretStorage::PlainText: return stored;
    case SecretStorage::Keychain: {
        const QString account = stored.mid(kKeychainPrefix.size());
        {
            std::lock_guard guard(m_lock);
            if (auto it = m_keychainCache.constFind(account); it != m_keychainCache.cend())
                return it.value();
        }
        auto read = m_keychain.read(account);
        if (!read.ok())
            return Error::storage(tr("the secret is in the OS keychain (%1, %2), which cannot be read: %3")
                                      .arg(m_keychain.service(), account, read.error().message));
        std::lock_guard guard(m_lock);
        m_keychainCache.insert(account, read.value());
        return read.value();
    }
    case SecretStorage::Encrypted: break;
    }
    std::lock_guard guard(m_lock);
    const QString id = SecretKey::keyIdOf(stored);
    if (m_key.isNull() || id != m_key.id()) {
        // The key file may have been replaced since (a rotation by another instance, whose new file was copied here).
        auto current = m_keyFile.isEmpty() ? Result<SecretKey>(Error::storage({})) : SecretKey::readFile(m_keyFile);
        if (!current.ok() || current->id() != id)
            return Error::storage(tr("the secret is encrypted under the key %1, which the secret key file %2 does not "
                                     "hold")
                                      .arg(id, m_keyFile.isEmpty() ? tr("(none: in-memory database)") : m_keyFile));
        m_key = current.value();
    }
    auto opened = m_key.open(stored);
    if (!opened.ok())
        return Error::storage(opened.error().message);
    return opened.value();
}

void SecretVault::discard(const QString& stored)
{
    if (storageOf(stored) != SecretStorage::Keychain)
        return;
    const QString account = stored.mid(kKeychainPrefix.size());
    {
        std::lock_guard guard(m_lock);
        m_keychainCache.remove(account);
    }
    if (Status s = m_keychain.remove(account); !s.ok() && s.error().code != Error::Code::NotFound)
        qCWarning(lcSecrets).noquote() << "cannot remove the keychain entry" << account << ":" << s.error().message;
}

Result<SecretKey> SecretVault::beginRotation() const
{
    if (m_keyFile.isEmpty())
        return Error::invalid(QStringLiteral("secretKeyFile"), tr("an in-memory database has no secret key file"));
    SecretKey next = SecretKey::generate();
    if (Status w = next.writeFile(rotationFile(m_keyFile), keyNote()); !w.ok())
        return w.error();
    return next;
}

void SecretVault::abandonRotation() const { QFile::remove(rotationFile(m_keyFile)); }

Status SecretVault::finishRotation(const SecretKey& key)
{
    std::error_code error;
    std::filesystem::rename(QFile::encodeName(rotationFile(m_keyFile)).constData(),
                            QFile::encodeName(m_keyFile).constData(), error);
    std::lock_guard guard(m_lock);
    m_key = key;
    if (error)
        return Error::storage(tr("the secrets are encrypted under the new key in %1, which could not be renamed to %2 "
                                 "(%3): rename it by hand (the next start does it too)")
                                  .arg(rotationFile(m_keyFile), m_keyFile, QString::fromStdString(error.message())));
    makePrivate(m_keyFile, false);
    return {};
}

} // namespace tollgate
