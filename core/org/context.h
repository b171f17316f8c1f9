#pragma once

namespace tollgate {

class Audit;
class Clock;
class Database;
class OrgState;

// What every module of the organisation works with: the database, the clock, the published snapshot and the audit
// log. Owned by Service; a module keeps references.
struct ModuleContext
{
    Database& db;
    const Clock& clock;
    OrgState& org;
    const Audit& audit;
};

} // namespace tollgate
