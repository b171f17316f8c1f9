#include "core/secrets/secretkey.h"

#include "core/storage/database.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <filesystem>
#include <memory>
#include <openssl/evp.h>
#include <openssl/rand.h>

#ifdef Q_OS_WIN
#include <io.h>
#else
#include <unistd.h>
#endif

namespace tollgate {

namespace {

constexpr int kKeyBytes = 32;
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;
const QByteArray kHeader = QByteArrayLiteral("tollgate-secret-key-v1:");
// Bound into every tag: a sealed value is a Tollgate provider secret, nothing else.
const QByteArray kAssociated = QByteArrayLiteral("tollgate provider secret v1");

bool syncFile(int fd)
{
#ifdef Q_OS_WIN
    return _commit(fd) == 0;
#else
    return ::fsync(fd) == 0;
#endif
}

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

} // namespace

SecretKey::SecretKey(QByteArray key)
    : m_key(std::move(key))
{
    const QByteArray digest = QCryptographicHash::hash(QByteArray(QByteArrayLiteral("tollgate key id\n") + m_key),
                                                       QCryptographicHash::Sha256);
    m_id = QString::fromLatin1(digest.left(8).toHex());
}

SecretKey SecretKey::generate()
{
    QByteArray key(kKeyBytes, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), kKeyBytes) != 1)
        QRandomGenerator::system()->generate(key.begin(), key.end()); // the OS's generator, as OpenSSL's would be
    return SecretKey(std::move(key));
}

Result<SecretKey> SecretKey::readFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error::storage(tr("cannot read the secret key file %1: %2").arg(path, file.errorString()));
    const QByteArray text = file.read(64 * 1024);
    for (QByteArray line : text.split('\n')) {
        line = line.trimmed();
        if (!line.startsWith(kHeader))
            continue;
        const auto decoded =
            QByteArray::fromBase64Encoding(line.mid(kHeader.size()), QByteArray::AbortOnBase64DecodingErrors);
        if (decoded && decoded.decoded.size() == kKeyBytes)
            return SecretKey(decoded.decoded);
        break;
    }
    return Error::storage(
        tr("the secret key file %1 holds no Tollgate secret key (a line \"%2\" and 32 bytes in base64)")
            .arg(path, QString::fromLatin1(kHeader)));
}

Status SecretKey::writeFile(const QString& path, const QString& note) const
{
    const QFileInfo info(path);
    if (!QFileInfo::exists(info.absolutePath())) {
        if (!QDir().mkpath(info.absolutePath()))
            return Error::storage(tr("cannot create the folder %1").arg(info.absolutePath()));
        makePrivate(info.absolutePath(), true);
    }
    // A new file beside `path`, its owner's only from the moment it exists, complete and synced before it is renamed
    // over `path`: a crash leaves the old key or the new one, never half of one.
    const QString temporary = path + QStringLiteral(".tmp");
    QFile::remove(temporary);
    QFile file(temporary);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFile::ReadOwner | QFile::WriteOwner))
        return Error::storage(tr("cannot write the secret key file %1: %2").arg(temporary, file.errorString()));
    QByteArray text;
    for (const QString& line : note.split(u'\n'))
        text += "# " + line.toUtf8() + '\n';
    text += kHeader + m_key.toBase64() + '\n';
    const bool written = file.write(text) == text.size() && file.flush() && syncFile(file.handle());
    file.close();
    std::error_code error;
    if (written)
        std::filesystem::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(path).constData(), error);
    if (!written || error) {
        QFile::remove(temporary);
        return Error::storage(tr("cannot write the secret key file %1: %2")
                                  .arg(path, written ? QString::fromStdString(error.message()) : file.errorString()));
    }
    makePrivate(path, false);
    return {};
}

Result<QString> SecretKey::seal(const QString& secret) const
{
    Q_ASSERT(!isNull());
    const QByteArray plain = secret.toUtf8();
    QByteArray out(kNonceBytes + plain.size() + kTagBytes, Qt::Uninitialized);
    auto* nonce = reinterpret_cast<unsigned char*>(out.data());
    if (RAND_bytes(nonce, kNonceBytes) != 1)
        QRandomGenerator::system()->generate(out.begin(), out.begin() + kNonceBytes);
    CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int n = 0;
    int total = 0;
    const auto* key = reinterpret_cast<const unsigned char*>(m_key.constData());
    bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, nonce) == 1
        && EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(kAssociated.constData()),
                             int(kAssociated.size()))
            == 1
        && EVP_EncryptUpdate(ctx.get(), nonce + kNonceBytes, &n,
                             reinterpret_cast<const unsigned char*>(plain.constData()), int(plain.size()))
            == 1;
    total = n;
    ok = ok && EVP_EncryptFinal_ex(ctx.get(), nonce + kNonceBytes + total, &n) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, nonce + kNonceBytes + plain.size()) == 1;
    if (!ok)
        return Error::storage(tr("OpenSSL could not encrypt the secret"));
    return QStringLiteral("enc:v1:%1:%2").arg(m_id, QString::fromLatin1(out.toBase64()));
}

QString SecretKey::keyIdOf(const QString& sealed)
{
    if (!isSealed(sealed))
        return {};
    return sealed.section(u':', 2, 2);
}

Result<QString> SecretKey::open(const QString& sealed) const
{
    const QString id = keyIdOf(sealed);
    if (id.isEmpty())
        return Error::invalid(QStringLiteral("secret"), tr("is not a sealed secret"));
    if (id != m_id)
        return Error::conflict(QStringLiteral("secret"),
                               tr("was encrypted under the secret key %1, not under %2").arg(id, m_id));
    const auto decoded =
        QByteArray::fromBase64Encoding(sealed.section(u':', 3).toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    const QByteArray* data = &decoded.decoded;
    if (!decoded || data->size() < kNonceBytes + kTagBytes)
        return Error::invalid(QStringLiteral("secret"), tr("the encrypted secret is damaged"));
    const auto* bytes = reinterpret_cast<const unsigned char*>(data->constData());
    const int length = int(data->size()) - kNonceBytes - kTagBytes;
    QByteArray plain(length, Qt::Uninitialized);
    auto* out = reinterpret_cast<unsigned char*>(plain.data());
    CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int n = 0;
    QByteArray tag = data->right(kTagBytes);
    const auto* key = reinterpret_cast<const unsigned char*>(m_key.constData());
    const bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, bytes) == 1
        && EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(kAssociated.constData()),
                             int(kAssociated.size()))
            == 1
        && EVP_DecryptUpdate(ctx.get(), out, &n, bytes + kNonceBytes, length) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1
        && EVP_DecryptFinal_ex(ctx.get(), out + n, &n) == 1;
    if (!ok)
        return Error::invalid(QStringLiteral("secret"),
                              tr("the encrypted secret does not match its key %1: it was altered").arg(m_id));
    return QString::fromUtf8(plain);
}

} // namespace tollgate
