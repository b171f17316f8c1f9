// Provider secrets at rest (core/secrets/vault.h): encrypted under the key file, or in the OS keychain on the desktop;
// never in the database itself. On SQLite (a file per case), and on PostgreSQL when TOLLGATE_TEST_POSTGRES names an
// empty database (tests/postgres/shared.py). The keychain cases need a real Secret Service: tests/core/keychain.sh
// runs them on a private D-Bus session with GNOME Keyring and sets TOLLGATE_TEST_KEYCHAIN=1; elsewhere they are
// skipped, and every other case runs with a D-Bus address that leads nowhere (no keychain answers).

#include "core/secrets/keychain.h"
#include "core/service/service.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <sys/stat.h>

using namespace tollgate;

class TestSecrets final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    SystemClock m_clock;
    int m_serial = 0;
    bool m_postgres = false;
    QString m_db; // this case's database: a file, or the PostgreSQL URL
    QString m_keyFile; // this case's key file
    const QString t = QStringLiteral("test");

    static bool keychainCases() { return qEnvironmentVariableIntValue("TOLLGATE_TEST_KEYCHAIN") == 1; }

    Result<std::unique_ptr<Service>> tryOpen(const QString& keyFile, bool keychain = false) const
    {
        Service::Options o;
        o.secretKeyFile = keyFile;
        o.keychain = keychain;
        return Service::open(*DatabaseLocation::parse(m_db), m_clock, o);
    }
    std::unique_ptr<Service> open(bool keychain = false) const
    {
        auto s = tryOpen(m_keyFile, keychain);
        if (!s.ok())
            qFatal("cannot open: %s", qPrintable(s.error().toString()));
        return std::move(s.value());
    }
    // What the database holds, read past Tollgate.
    QString raw(const QString& sql, const QVariant& arg = {}) const
    {
        auto db = Database::open(*DatabaseLocation::parse(m_db));
        auto r = arg.isValid() ? runSql(db.value()->connection(), sql, {arg}) : runSql(db.value()->connection(), sql);
        return r.ok() && r->next() ? r->value(0).toString() : QString();
    }
    void exec(const QString& sql, const QVariantList& args = {}) const
    {
        auto db = Database::open(*DatabaseLocation::parse(m_db));
        auto r = runSql(db.value()->connection(), sql, args);
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().toString()));
    }
    QString storedSecret(Id provider) const
    {
        return raw(QStringLiteral("SELECT secret FROM providers WHERE id = ?"), provider);
    }
    static Id addProvider(Service& s, const QString& name, const QString& secret)
    {
        Provider p;
        p.name = name;
        p.kind = ProviderKind::OpenAICompatible;
        p.baseUrl = QStringLiteral("https://api.example.com/v1");
        p.secret = secret;
        auto saved = s.catalog().saveProvider(p, QStringLiteral("test"));
        if (!saved.ok())
            qFatal("cannot save: %s", qPrintable(saved.error().toString()));
        return saved->id;
    }
    static QString secretOf(const Service& s, Id provider) { return s.catalog().provider(provider)->secret; }
    static QString uniqueSecret()
    {
        return QStringLiteral("sk-proj-%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    }
    // Every file beside a SQLite database (the database, its WAL and shared memory, the usage journal): none may hold
    // `secret`, in UTF-8 or UTF-16.
    QStringList filesHolding(const QString& secret) const
    {
        QStringList found;
        if (m_postgres)
            return found;
        const QFileInfo db(m_db);
        for (const QFileInfo& f : QDir(db.absolutePath()).entryInfoList(QDir::Files)) {
            if (!f.fileName().startsWith(db.fileName()))
                continue;
            QFile file(f.absoluteFilePath());
            if (!file.open(QIODevice::ReadOnly)) {
                found << f.fileName() + QStringLiteral(" (unreadable)");
                continue;
            }
            const QByteArray bytes = file.readAll();
            const QByteArray utf16(reinterpret_cast<const char*>(secret.utf16()), secret.size() * 2);
            if (bytes.contains(secret.toUtf8()) || bytes.contains(utf16))
                found << f.fileName();
        }
        return found;
    }
    static int mode(const QString& path)
    {
        struct stat st = {};
        return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
    }

private slots:
    void initTestCase()
    {
        const QString postgres = qEnvironmentVariable("TOLLGATE_TEST_POSTGRES");
        m_postgres = !postgres.isEmpty();
        qInfo("on %s%s", m_postgres ? "PostgreSQL" : "SQLite", keychainCases() ? ", with a Secret Service" : "");
        // No keychain answers, unless the keychain cases run on their own D-Bus session.
        if (!keychainCases())
            qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tollgate-test-bus");
    }

    void init()
    {
        ++m_serial;
        m_keyFile = m_dir.filePath(QStringLiteral("keys/case%1.secret-key").arg(m_serial));
        if (!m_postgres) {
            m_db = m_dir.filePath(QStringLiteral("case%1/tollgate.db").arg(m_serial));
            return;
        }
        // One PostgreSQL database for every case: each starts without secrets and without a key.
        m_db = qEnvironmentVariable("TOLLGATE_TEST_POSTGRES");
        if (!raw(QStringLiteral("SELECT COUNT(*) FROM schema_version")).isEmpty()) {
            exec(QStringLiteral("DELETE FROM providers WHERE id NOT IN (SELECT provider_id FROM models)"));
            exec(QStringLiteral("UPDATE providers SET secret = ''"));
            exec(QStringLiteral("DELETE FROM secret_keys"));
        }
    }

    void secretsAreEncryptedUnderTheKeyFile()
    {
        const QString secret = uniqueSecret();
        Id id = 0;
        {
            auto s = open();
            QCOMPARE(s->secrets().keyFile(), m_keyFile);
            QVERIFY(QFileInfo::exists(m_keyFile));
            QCOMPARE(mode(m_keyFile), 0600);
            id = addProvider(*s, QStringLiteral("test-openai"), secret);
            QCOMPARE(s->catalog().provider(id)->secretStorage, SecretStorage::Encrypted);
            QCOMPARE(secretOf(*s, id), secret);
        }
        const QString stored = storedSecret(id);
        QVERIFY2(stored.startsWith(QLatin1String("enc:v1:")), qPrintable(stored));
        QVERIFY(!stored.contains(secret));
        QCOMPARE(raw(QStringLiteral("SELECT key_id FROM secret_keys")), stored.section(u':', 2, 2));
        QCOMPARE(filesHolding(secret), QStringList());
        // Another start reads it back; two encryptions of one secret differ (a fresh nonce each time).
        auto s = open();
        QCOMPARE(secretOf(*s, id), secret);
        QCOMPARE(s->catalog().provider(id)->secretStorage, SecretStorage::Encrypted);
        const Id twin = addProvider(*s, QStringLiteral("test-twin"), secret);
        QVERIFY(storedSecret(twin) != stored);
        // An update without a secret keeps the stored one as it is.
        Provider p = *s->catalog().provider(id);
        p.secret.clear();
        p.name = QStringLiteral("test-openai-renamed");
        QVERIFY(s->catalog().saveProvider(p, t).ok());
        QCOMPARE(storedSecret(id), stored);
        QCOMPARE(secretOf(*s, id), secret);
    }

    // Pointing a provider elsewhere is entering its secret again: a stored secret goes only where it went when typed.
    void changingWhereASecretGoesNeedsItAgain()
    {
        auto s = open();
        const QString secret = uniqueSecret();
        const Id id = addProvider(*s, QStringLiteral("test-moved"), secret);
        const QString stored = storedSecret(id);
        Provider p = *s->catalog().provider(id);
        p.secret.clear();
        p.baseUrl = QStringLiteral("https://listener.attacker.example/v1");
        auto moved = s->catalog().saveProvider(p, t);
        QVERIFY(!moved.ok());
        QCOMPARE(moved.error().code, Error::Code::Conflict);
        QCOMPARE(moved.error().field, QStringLiteral("secret"));
        QCOMPARE(storedSecret(id), stored);
        p.baseUrl = QStringLiteral("https://api.example.com/v1");
        p.kind = ProviderKind::Anthropic;
        QVERIFY(!s->catalog().saveProvider(p, t).ok());
        p.kind = ProviderKind::OpenAICompatible;
        p.baseUrl = QStringLiteral("https://llm2.internal.example/v1");
        p.secret = uniqueSecret();
        QVERIFY(s->catalog().saveProvider(p, t).ok());
        QCOMPARE(secretOf(*s, id), p.secret);
        QVERIFY(storedSecret(id) != stored);
    }

    void aPlainTextSecretOfAnEarlierVersionIsSealedAtStart()
    {
        const QString secret = uniqueSecret();
        Id id = 0;
        {
            auto s = open();
            id = addProvider(*s, QStringLiteral("test-legacy"), QStringLiteral("placeholder"));
        }
        // As an earlier version left it: the secret in plain text, no key recorded, no key file.
        exec(QStringLiteral("UPDATE providers SET secret = ? WHERE id = ?"), {secret, id});
        exec(QStringLiteral("DELETE FROM secret_keys"));
        QVERIFY(QFile::remove(m_keyFile));
        if (!m_postgres)
            QVERIFY(!filesHolding(secret).isEmpty()); // the check below can see it
        {
            auto s = open();
            QCOMPARE(secretOf(*s, id), secret);
            QCOMPARE(s->catalog().provider(id)->secretStorage, SecretStorage::Encrypted);
            QVERIFY(storedSecret(id).startsWith(QLatin1String("enc:v1:")));
            QVERIFY(QFileInfo::exists(m_keyFile));
            const auto audit = s->audit().entries({});
            QVERIFY(std::any_of(audit.cbegin(), audit.cend(),
                                [](const AuditEntry& e) { return e.action == QLatin1String("seal-secrets"); }));
        }
        QCOMPARE(filesHolding(secret), QStringList());
    }

    void aMissingKeyFileIsAnErrorNamingIt()
    {
        Id id = 0;
        {
            auto s = open();
            id = addProvider(*s, QStringLiteral("test-missing"), uniqueSecret());
        }
        const QString stored = storedSecret(id);
        const QString moved = m_keyFile + QStringLiteral(".elsewhere");
        QVERIFY(QFile::rename(m_keyFile, moved));
        auto refused = tryOpen(m_keyFile);
        QVERIFY(!refused.ok());
        const QString message = refused.error().toString();
        QVERIFY2(message.contains(m_keyFile) && message.contains(QLatin1String("does not exist")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("--secret-key-file")), qPrintable(message));
        // Nothing was made or changed: no new key file, the same secret under the same key.
        QVERIFY(!QFileInfo::exists(m_keyFile));
        QCOMPARE(storedSecret(id), stored);
        // The file where it is now, named: the secrets open.
        auto s = tryOpen(moved);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().toString()));
        QVERIFY(!secretOf(*s.value(), id).isEmpty());
    }

    void aWrongOrBrokenKeyFileIsAnErrorNamingIt()
    {
        Id id = 0;
        {
            auto s = open();
            id = addProvider(*s, QStringLiteral("test-wrong"), uniqueSecret());
        }
        const QString stored = storedSecret(id);
        QFile original(m_keyFile);
        QVERIFY(original.open(QIODevice::ReadOnly));
        const QByteArray key = original.readAll();
        original.close();
        // Another key.
        const QString other = m_dir.filePath(QStringLiteral("keys/other%1.secret-key").arg(m_serial));
        QVERIFY(SecretKey::generate().writeFile(other, QStringLiteral("another key")).ok());
        auto refused = tryOpen(other);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.error().message.contains(other)
                     && refused.error().message.contains(stored.section(u':', 2, 2)),
                 qPrintable(refused.error().toString()));
        // Not a key at all.
        QFile broken(other);
        QVERIFY(broken.open(QIODevice::WriteOnly | QIODevice::Truncate));
        broken.write("tollgate-secret-key-v1:c2hvcnQ=\n");
        broken.close();
        refused = tryOpen(other);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.error().message.contains(other) && refused.error().message.contains(QLatin1String("holds no")),
                 qPrintable(refused.error().toString()));
        // Nothing was overwritten.
        QCOMPARE(storedSecret(id), stored);
        QVERIFY(original.open(QIODevice::ReadOnly));
        QCOMPARE(original.readAll(), key);
    }

    void anAlteredSecretIsRefused()
    {
        Id id = 0;
        {
            auto s = open();
            id = addProvider(*s, QStringLiteral("test-altered"), uniqueSecret());
        }
        QString stored = storedSecret(id);
        const qsizetype at = stored.size() - 5;
        stored[at] = stored[at] == u'A' ? u'B' : u'A';
        exec(QStringLiteral("UPDATE providers SET secret = ? WHERE id = ?"), {stored, id});
        auto refused = tryOpen(m_keyFile);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.error().message.contains(QLatin1String("test-altered"))
                     && refused.error().message.contains(QLatin1String("altered")),
                 qPrintable(refused.error().toString()));
    }

    void rotationReEncryptsEverySecretInOneTransaction()
    {
        const QString a = uniqueSecret(), b = uniqueSecret();
        auto s = open();
        const Id first = addProvider(*s, QStringLiteral("test-rotate-a"), a);
        const Id second = addProvider(*s, QStringLiteral("test-rotate-b"), b);
        const QString oldKey = s->secrets().keyId();
        const QString before = storedSecret(first);
        const QString oldCopy = m_keyFile + QStringLiteral(".old");
        QVERIFY(QFile::copy(m_keyFile, oldCopy));
        auto rotated = s->catalog().rotateSecretKey(t);
        QVERIFY2(rotated.ok(), qPrintable(rotated.ok() ? QString() : rotated.error().toString()));
        QCOMPARE(rotated.value(), 2);
        const QString newKey = s->secrets().keyId();
        QVERIFY(newKey != oldKey && !newKey.isEmpty());
        QCOMPARE(raw(QStringLiteral("SELECT key_id FROM secret_keys")), newKey);
        QCOMPARE(storedSecret(first).section(u':', 2, 2), newKey);
        QCOMPARE(storedSecret(second).section(u':', 2, 2), newKey);
        QVERIFY(storedSecret(first) != before);
        QCOMPARE(SecretKey::readFile(m_keyFile)->id(), newKey);
        QCOMPARE(mode(m_keyFile), 0600);
        QVERIFY(!QFileInfo::exists(m_keyFile + QStringLiteral(".new")));
        // Sealing goes on under the new key; the old file opens nothing any more.
        const Id third = addProvider(*s, QStringLiteral("test-rotate-c"), uniqueSecret());
        QCOMPARE(storedSecret(third).section(u':', 2, 2), newKey);
        s.reset();
        QVERIFY(!tryOpen(oldCopy).ok());
        s = open();
        QCOMPARE(secretOf(*s, first), a);
        QCOMPARE(secretOf(*s, second), b);
    }

    void anInterruptedRotationIsFinishedAtStart()
    {
        const QString secret = uniqueSecret();
        Id id = 0;
        {
            auto s = open();
            id = addProvider(*s, QStringLiteral("test-interrupted"), secret);
            // Stopped after the commit, before the rename: the database is under the key of the .new file.
            auto next = s->secrets().beginRotation();
            QVERIFY(next.ok());
            Status committed = s->database().transaction([&](QSqlDatabase& tx) -> Status {
                if (auto u = runSql(tx, QStringLiteral("UPDATE providers SET secret = ? WHERE id = ?"),
                                    {next->seal(secret).value(), id});
                    !u.ok())
                    return u.error();
                return s->secrets().recordKey(tx, next.value());
            });
            QVERIFY(committed.ok());
        }
        QVERIFY(QFileInfo::exists(m_keyFile + QStringLiteral(".new")));
        auto s = open();
        QCOMPARE(secretOf(*s, id), secret);
        QVERIFY(!QFileInfo::exists(m_keyFile + QStringLiteral(".new")));
        QCOMPARE(SecretKey::readFile(m_keyFile)->id(), raw(QStringLiteral("SELECT key_id FROM secret_keys")));
    }

    void instancesShareTheKeyFile()
    {
        auto a = open();
        auto b = open();
        const QString secret = uniqueSecret();
        const Id id = addProvider(*a, QStringLiteral("test-shared"), secret);
        QVERIFY(b->catalog().reload().ok());
        QCOMPARE(secretOf(*b, id), secret);
        // A third instance that was not given the file refuses to start, and makes no key of its own.
        const QString elsewhere = m_dir.filePath(QStringLiteral("keys/elsewhere%1.secret-key").arg(m_serial));
        auto c = tryOpen(elsewhere);
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.contains(elsewhere), qPrintable(c.error().toString()));
        QVERIFY(!QFileInfo::exists(elsewhere));
    }

    void withoutAKeychainTheDesktopEncrypts()
    {
        if (keychainCases())
            QSKIP("a keychain answers here");
        // The console asks for the keychain; none answers, so its secrets are encrypted under the key file.
        auto s = open(true);
        const QString secret = uniqueSecret();
        const Id id = addProvider(*s, QStringLiteral("test-nokeychain"), secret);
        QCOMPARE(s->catalog().provider(id)->secretStorage, SecretStorage::Encrypted);
        QVERIFY(storedSecret(id).startsWith(QLatin1String("enc:v1:")));
        QVERIFY(QFileInfo::exists(m_keyFile));
        // A secret in a keychain this process cannot reach: that provider says why and is not used; the rest work.
        exec(QStringLiteral("UPDATE providers SET secret = 'keychain:v1:provider-secret-elsewhere' WHERE name = ?"),
             {QStringLiteral("openai")});
        s.reset();
        s = open();
        const auto providers = s->catalog().providers();
        const auto openai = std::find_if(providers.cbegin(), providers.cend(),
                                         [](const Provider& p) { return p.name == QLatin1String("openai"); });
        QVERIFY(openai != providers.cend());
        QCOMPARE(openai->secretStorage, SecretStorage::Keychain);
        QVERIFY(openai->secret.isEmpty());
        QVERIFY2(openai->secretProblem.contains(QLatin1String("keychain")), qPrintable(openai->secretProblem));
        QCOMPARE(secretOf(*s, id), secret);
    }

    // A console on a database other instances share encrypts under the shared key file: they could not read the
    // console's keychain.
    void aSharedDatabaseNeverUsesTheKeychain()
    {
        if (!m_postgres || !keychainCases())
            QSKIP("on PostgreSQL with a Secret Service (tests/postgres/shared.py runs it so)");
        auto s = open(true);
        const Id id = addProvider(*s, QStringLiteral("test-shared-console"), uniqueSecret());
        QCOMPARE(s->catalog().provider(id)->secretStorage, SecretStorage::Encrypted);
        QVERIFY(storedSecret(id).startsWith(QLatin1String("enc:v1:")));
    }

    void theDesktopKeepsSecretsInTheKeychain()
    {
        if (!keychainCases() || m_postgres)
            QSKIP("needs a Secret Service (tests/core/keychain.sh) and the desktop's own database");
        const QString secret = uniqueSecret();
        Id id = 0;
        QString account;
        {
            auto s = open(true);
            id = addProvider(*s, QStringLiteral("test-keychain"), secret);
            QCOMPARE(s->catalog().provider(id)->secretStorage, SecretStorage::Keychain);
            // No key was needed, so none was made.
            QVERIFY(!QFileInfo::exists(m_keyFile));
        }
        const QString stored = storedSecret(id);
        QVERIFY2(stored.startsWith(QLatin1String("keychain:v1:provider-secret-")), qPrintable(stored));
        account = stored.mid(12);
        Keychain keychain;
        QCOMPARE(keychain.read(account).valueOr(QString()), secret);
        QCOMPARE(filesHolding(secret), QStringList());
        // Read back by a new process's vault (no cache), even one that would not write to the keychain.
        {
            auto s = open(false);
            QCOMPARE(secretOf(*s, id), secret);
            QCOMPARE(s->catalog().provider(id)->secretProblem, QString());
        }
        auto s = open(true);
        QCOMPARE(secretOf(*s, id), secret);
        // A new secret replaces the entry; the old one is removed.
        Provider p = *s->catalog().provider(id);
        const QString replacement = uniqueSecret();
        p.secret = replacement;
        QVERIFY(s->catalog().saveProvider(p, t).ok());
        QCOMPARE(keychain.read(account).error().code, Error::Code::NotFound);
        const QString newAccount = storedSecret(id).mid(12);
        QCOMPARE(keychain.read(newAccount).valueOr(QString()), replacement);
        // Deleting the provider removes its entry.
        QVERIFY(s->catalog().deleteProvider(id, t).ok());
        QCOMPARE(keychain.read(newAccount).error().code, Error::Code::NotFound);
    }

    void theDesktopMovesPlainTextSecretsToTheKeychain()
    {
        if (!keychainCases() || m_postgres)
            QSKIP("needs a Secret Service (tests/core/keychain.sh) and the desktop's own database");
        const QString secret = uniqueSecret();
        Id id = 0;
        {
            auto s = open();
            id = addProvider(*s, QStringLiteral("test-keychain-legacy"), QStringLiteral("placeholder"));
        }
        exec(QStringLiteral("UPDATE providers SET secret = ? WHERE id = ?"), {secret, id});
        auto s = open(true);
        QCOMPARE(secretOf(*s, id), secret);
        QCOMPARE(s->catalog().provider(id)->secretStorage, SecretStorage::Keychain);
        QVERIFY(storedSecret(id).startsWith(QLatin1String("keychain:v1:")));
        QCOMPARE(filesHolding(secret), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestSecrets)
#include "test_secrets.moc"
