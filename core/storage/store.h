#pragma once

#include "core/org/snapshot.h"

namespace tollgate {

class Database;

// How the organisation's tables become the values of a snapshot: the column lists and the mapping of each row, in
// one place. Each load replaces its part of `s` (the rest of `s` stays as it is), so a module can reload just what
// it owns; the parts after the organisation need s.org.id.
class Store final
{
public:
    explicit Store(const Database& db);

    Status loadOrganization(Snapshot& s) const; // the organisation and its calendar
    Status loadDirectory(Snapshot& s) const; // groups, users, memberships
    Status loadAccess(Snapshot& s) const; // projects, API keys and their groups
    Status loadCatalog(Snapshot& s) const; // providers and models
    Status loadCustomers(Snapshot& s) const;

private:
    const Database& m_db;
};

} // namespace tollgate
