#include "ui/console.h"

#include "core/service/service.h"

#include <QSemaphore>
#include <QUndoStack>

namespace tollgate {

Console::Console(Service& service, GatewayController* gateway, QObject* parent)
    : QObject(parent)
    , m_service(service)
    , m_gateway(gateway)
    , m_undo(new QUndoStack(this))
    , m_revision(service.snapshot()->version)
    , m_usageRevision(service.usage().usageRevision())
{
    m_pool.setMaxThreadCount(2);
    // Threads keep their database connections; they live as long as the console.
    m_pool.setExpiryTimeout(-1);
    m_writes.setMaxThreadCount(1);
    m_writes.setExpiryTimeout(-1);
    m_timer.setInterval(500);
    connect(&m_timer, &QTimer::timeout, this, &Console::poll);
    m_timer.start();
}

namespace {

constexpr qint64 kUsageSignalIntervalMs = 5'000;

// Closes the database connection of each of the pool's threads before the service (and its database) goes: each
// of `threads` jobs waits for the others, so each runs on a thread of its own.
void closeConnections(QThreadPool& pool, const Database& db)
{
    const int threads = pool.maxThreadCount();
    QSemaphore arrived;
    for (int i = 0; i < threads; ++i)
        pool.start([&db, &arrived, threads] {
            db.closeThreadConnection();
            arrived.release();
            arrived.acquire(threads);
            arrived.release(threads);
        });
    pool.waitForDone();
}

} // namespace

Console::~Console()
{
    waitForIdle();
    closeConnections(m_pool, m_service.database());
    closeConnections(m_writes, m_service.database());
}

void Console::jobStarted()
{
    QMutexLocker lock(&m_jobsLock);
    ++m_jobs;
}

void Console::jobFinished()
{
    QMutexLocker lock(&m_jobsLock);
    if (--m_jobs == 0)
        m_idle.wakeAll();
}

void Console::waitForIdle()
{
    QMutexLocker lock(&m_jobsLock);
    while (m_jobs > 0)
        m_idle.wait(&m_jobsLock);
}

QString Console::actor() { return QStringLiteral("console"); }

void Console::poll()
{
    const quint64 revision = m_service.snapshot()->version;
    if (revision != m_revision) {
        m_revision = revision;
        emit organisationChanged();
    }
    const quint64 usage = m_service.usage().usageRevision();
    if (usage != m_usageRevision
        && (!m_sinceUsageSignal.isValid() || m_sinceUsageSignal.elapsed() >= kUsageSignalIntervalMs)) {
        m_usageRevision = usage;
        m_sinceUsageSignal.start();
        emit usageChanged();
    }
}

} // namespace tollgate
