#include "core/secrets/keychain.h"

#include <QThread>

#include <chrono>
#include <future>
#include <mutex>

#ifdef TOLLGATE_HAVE_KEYCHAIN
#include <qt6keychain/keychain.h>
#endif

namespace tollgate {

namespace {

// Long enough for a desktop keyring that asks its owner to unlock it first.
constexpr auto kTimeout = std::chrono::seconds(60);

// The thread every job of the process runs on (QtKeychain's job queue stays with the thread of its first job), started
// with the first job and stopped with the application.
QObject* jobThread()
{
    static std::mutex lock;
    static QThread* thread = nullptr;
    static QObject* context = nullptr; // lives on `thread`
    std::lock_guard guard(lock);
    if (!thread) {
        thread = new QThread;
        thread->setObjectName(QStringLiteral("tollgate-keychain"));
        thread->start();
        context = new QObject;
        context->moveToThread(thread);
        qAddPostRoutine([] {
            QMetaObject::invokeMethod(
                context, [] { delete context; }, Qt::BlockingQueuedConnection);
            thread->quit();
            thread->wait();
            delete thread;
        });
    }
    return context;
}

} // namespace

Keychain::Keychain(QString service)
    : m_service(std::move(service))
{
}

Keychain::~Keychain() = default;

bool Keychain::isBuiltIn()
{
#ifdef TOLLGATE_HAVE_KEYCHAIN
    return true;
#else
    return false;
#endif
}

Result<QString> Keychain::read(const QString& account) const { return run(Op::Read, account, {}); }

Status Keychain::write(const QString& account, const QString& secret)
{
    if (auto r = run(Op::Write, account, secret); !r.ok())
        return r.error();
    return {};
}

Status Keychain::remove(const QString& account)
{
    if (auto r = run(Op::Remove, account, {}); !r.ok())
        return r.error();
    return {};
}

Result<QString> Keychain::run(Op op, const QString& account, const QString& secret) const
{
#ifdef TOLLGATE_HAVE_KEYCHAIN
    auto done = std::make_shared<std::promise<Result<QString>>>();
    std::future<Result<QString>> result = done->get_future();
    QMetaObject::invokeMethod(jobThread(), [service = m_service, op, account, secret, done] {
        QKeychain::Job* job = nullptr;
        switch (op) {
        case Op::Read: job = new QKeychain::ReadPasswordJob(service); break;
        case Op::Write: {
            auto* w = new QKeychain::WritePasswordJob(service);
            w->setTextData(secret);
            job = w;
            break;
        }
        case Op::Remove: job = new QKeychain::DeletePasswordJob(service); break;
        }
        job->setKey(account);
        job->setInsecureFallback(false); // never a plain-text file instead
        QObject::connect(job, &QKeychain::Job::finished, job, [op, account, done](QKeychain::Job* j) {
            switch (j->error()) {
            case QKeychain::NoError:
                done->set_value(op == Op::Read ? static_cast<QKeychain::ReadPasswordJob*>(j)->textData() : QString());
                return;
            case QKeychain::EntryNotFound:
                done->set_value(
                    Error::notFound(QStringLiteral("keychain"), tr("the keychain has no entry %1").arg(account)));
                return;
            default:
                done->set_value(Error::storage(
                    tr("the keychain cannot be used: %1")
                        .arg(j->errorString().isEmpty() ? tr("error %1").arg(int(j->error())) : j->errorString())));
            }
        });
        job->start(); // deletes itself once finished
    });
    if (result.wait_for(kTimeout) != std::future_status::ready)
        return Error::storage(tr("the keychain did not answer within %1 seconds").arg(kTimeout.count()));
    return result.get();
#else
    Q_UNUSED(op)
    Q_UNUSED(account)
    Q_UNUSED(secret)
    return Error::storage(tr("this Tollgate was built without QtKeychain"));
#endif
}

} // namespace tollgate
