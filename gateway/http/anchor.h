#pragma once

#include <QObject>

#include <memory>
#include <mutex>

namespace tollgate::http {

// What work finished on another thread (the usage writer, an admin task) posts its continuation to: a guarded
// pointer to an object of the thread that started the work, so a post that arrives after that thread ended does
// nothing.
struct ThreadAnchor
{
    std::mutex mutex;
    QObject* object = nullptr;

    template<typename F> void post(F&& f)
    {
        std::lock_guard lock(mutex);
        if (object)
            QMetaObject::invokeMethod(object, std::forward<F>(f), Qt::QueuedConnection);
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
