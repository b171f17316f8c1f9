#pragma once

#include "core/domain/tsan.h"

#include <QObject>

#include <memory>
#include <mutex>

namespace tollgate::http {

// Runs f in target's thread, later (queued) or while the caller waits (blocking). The one way work crosses threads
// through Qt's event queue here, so that ThreadSanitizer sees the hand-over (domain/tsan.h).
template<typename F>
void runIn(QObject* target, F&& f, Qt::ConnectionType type = Qt::QueuedConnection)
{
    // The closure is made before the release, so that all it holds is covered; Qt then only carries its address.
    auto* work = new std::decay_t<F>(std::forward<F>(f));
    tsan::released();
    QMetaObject::invokeMethod(
        target,
        [work] {
            tsan::acquired();
            const std::unique_ptr<std::decay_t<F>> owned(work);
            (*owned)();
            tsan::released(); // what it wrote, for a caller that waited
        },
        type);
    if (type == Qt::BlockingQueuedConnection)
        tsan::acquired();
}

// What work finished on another thread (the usage writer, an admin task) posts its continuation to: a guarded
// pointer to an object of the thread that started the work, so a post that arrives after that thread ended does
// nothing.
struct ThreadAnchor
{
    std::mutex mutex;
    QObject* object = nullptr;

    template<typename F>
    void post(F&& f)
    {
        std::lock_guard lock(mutex);
        if (object)
            runIn(object, std::forward<F>(f));
    }
};

// An object living in the thread that made it, with the anchor other threads post to; the anchor goes quiet when
// this is destroyed.
class Anchored final
{
public:
    Anchored() { m_anchor->object = &m_object; }
    ~Anchored()
    {
        std::lock_guard lock(m_anchor->mutex);
        m_anchor->object = nullptr;
    }
    Q_DISABLE_COPY_MOVE(Anchored)

    QObject& object() { return m_object; }
    const std::shared_ptr<ThreadAnchor>& anchor() const { return m_anchor; }

private:
    QObject m_object;
    std::shared_ptr<ThreadAnchor> m_anchor = std::make_shared<ThreadAnchor>();
};

} // namespace tollgate::http
