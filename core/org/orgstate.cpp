#include "core/org/orgstate.h"

#include "core/storage/database.h"

namespace tollgate {

OrgState::OrgState(Database& db)
    : m_db(db)
    , m_current(std::make_shared<const Snapshot>())
{
}

SnapshotPtr OrgState::current() const
{
    std::lock_guard lock(m_lock);
    return m_current;
}

Status OrgState::reload(const std::function<Status(Snapshot&)>& load)
{
    Edit e = edit();
    if (Status s = load(e.draft()); !s.ok())
        return s;
    e.publish();
    return {};
}

void OrgState::publish(Snapshot next)
{
    next.version = m_version.load(std::memory_order_relaxed) + 1;
    auto published = std::make_shared<const Snapshot>(std::move(next));
    {
        std::lock_guard lock(m_lock);
        m_current = std::move(published);
    }
    // Counted once the snapshot it describes is visible: a reader that sees the new version sees the new snapshot.
    m_version.fetch_add(1, std::memory_order_release);
}

OrgState::Edit::Edit(OrgState& state)
    : m_state(state)
    , m_lock(state.m_db.writeLock())
    , m_base(state.current())
{
}

Snapshot& OrgState::Edit::draft()
{
    if (!m_draft)
        m_draft.emplace(*m_base);
    return *m_draft;
}

void OrgState::Edit::publish()
{
    m_state.publish(m_draft ? std::move(*m_draft) : Snapshot(*m_base));
    m_draft.reset();
}

} // namespace tollgate
