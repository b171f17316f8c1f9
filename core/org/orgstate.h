#pragma once

#include "core/domain/result.h"
#include "core/org/snapshot.h"

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>

namespace tollgate {

class Database;

// Holds the published snapshot of the organisation and lets one writer at a time replace it. Readers take the
// current snapshot (a shared pointer: no lock is held while they read it); a writer opens an Edit, which holds the
// database's write lock, validates against the snapshot it started from, writes its transaction, changes a draft
// and publishes it. An Edit dropped without publish() changes nothing, so a refused write leaves nothing behind.
class OrgState final
{
public:
    explicit OrgState(Database& db);
    Q_DISABLE_COPY_MOVE(OrgState)

    SnapshotPtr current() const;
    quint64 version() const { return m_version.load(std::memory_order_acquire); }

    class Edit final
    {
    public:
        Q_DISABLE_COPY_MOVE(Edit)
        // What the change started from (the current snapshot: no other writer can publish meanwhile). It stays
        // alive, unchanged, until the Edit is dropped, also after publish().
        const Snapshot& base() const { return *m_base; }
        // The copy being changed, made on first use.
        Snapshot& draft();
        Snapshot* operator->() { return &draft(); }
        // Makes the draft (or, when nothing was drafted, a copy of the base) current with the next version.
        void publish();
        // Lets other writers in without publishing (after publish(), for follow-up work outside the lock).
        void release() { m_lock.unlock(); }

    private:
        friend class OrgState;
        explicit Edit(OrgState& state);
        OrgState& m_state;
        std::unique_lock<std::mutex> m_lock;
        SnapshotPtr m_base;
        std::optional<Snapshot> m_draft;
    };
    // The database's write lock is taken here and held until the Edit is dropped.
    Edit edit() { return Edit(*this); }
    // Reads a part of the snapshot again with `load` (a Store load) and publishes it; nothing when a read fails.
    Status reload(const std::function<Status(Snapshot&)>& load);

private:
    void publish(Snapshot next);

    Database& m_db;
    mutable std::mutex m_lock; // guards m_current
    SnapshotPtr m_current;
    std::atomic<quint64> m_version {0};
};

} // namespace tollgate
