#pragma once

#include <QElapsedTimer>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QThreadPool>
#include <QTimer>
#include <QWaitCondition>

#include <functional>

class QUndoStack;

namespace tollgate {

class GatewayController;
class Service;

// What every page shares: the service, the gateway controller, the undo stack, and a way to run long work off the
// GUI thread. Tells the pages when the organisation or its usage changed, whoever changed it (the console, the
// admin API or another instance's writes through this service).
class Console final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Console)

public:
    Console(Service& service, GatewayController* gateway, QObject* parent = nullptr);
    ~Console() override;

    Service& service() const { return m_service; }
    GatewayController* gateway() const { return m_gateway; }
    QUndoStack* undoStack() const { return m_undo; }
    // The audit log's actor for changes made here.
    static QString actor();

    // Runs `work` on a worker thread, then `done` with its result on the GUI thread, unless `context` is gone by
    // then. The GUI thread never waits on the database.
    template<typename R>
    void run(QObject* context, std::function<R()> work, std::function<void(R)> done)
    {
        runOn(m_pool, context, std::move(work), std::move(done));
    }
    // As run(), for changes: one at a time, in the order asked (an undo never overtakes the change it undoes).
    template<typename R>
    void write(QObject* context, std::function<R()> work, std::function<void(R)> done)
    {
        runOn(m_writes, context, std::move(work), std::move(done));
    }
    // Waits for every job started with run() or write() (tests and shutdown).
    void waitForIdle();

    // Says something to the admin on the page in front (an undone change, a refused drop).
    void tell(bool error, const QString& text) { emit message(error, text); }

    // Checks for changes now instead of at the next tick (tests).
    void poll();

signals:
    void organisationChanged();
    // At most every few seconds, however busy the gateway: pages that follow usage reload whole reports.
    void usageChanged();
    void message(bool error, const QString& text);

private:
    template<typename R>
    void runOn(QThreadPool& pool, QObject* context, std::function<R()> work, std::function<void(R)> done)
    {
        QPointer<QObject> guard(context);
        jobStarted();
        pool.start([this, guard, work = std::move(work), done = std::move(done)]() mutable {
            R result = work();
            QMetaObject::invokeMethod(
                this,
                [guard, done = std::move(done), result = std::move(result)]() mutable {
                    if (guard)
                        done(std::move(result));
                },
                Qt::QueuedConnection);
            jobFinished();
        });
    }

    Service& m_service;
    GatewayController* m_gateway = nullptr;
    QUndoStack* m_undo = nullptr;
    QThreadPool m_pool;
    QThreadPool m_writes;
    QTimer m_timer;
    void jobStarted();
    void jobFinished();
    // Jobs under way. Not QThreadPool::waitForDone(): in Qt 6 that also ends the pool's threads, and each thread
    // holds a database connection.
    QMutex m_jobsLock;
    QWaitCondition m_idle;
    int m_jobs = 0;
    quint64 m_revision = 0;
    quint64 m_usageRevision = 0;
    QElapsedTimer m_sinceUsageSignal;
};

} // namespace tollgate
