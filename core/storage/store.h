#pragma once

#include "core/org/snapshot.h"

#include <QSqlDatabase>

namespace tollgate {

class Database;
class SecretVault;

// How the organisation's tables become the values of a snapshot and the values become rows again: the column lists
// and the mapping of each row, in one place (the bulk user insert keeps its prepared statements in
// core/directory/users.cpp, and the usage records theirs in core/usage/records.cpp). Each load replaces its part of `s`
// (the rest of `s` stays as it is), so a module can reload just what it owns; the parts after the organisation need
// s.org.id.
class Store final
{
public:
    explicit Store(const Database& db);

    // Writes, in the caller's transaction; an insert sets the new row's id. Each entity's columns are listed once,
    // for its insert and its update alike.
    static Status updateOrganization(QSqlDatabase& tx, const Organization& o);
    static Status insertGroup(QSqlDatabase& tx, Group& g);
    static Status updateGroup(QSqlDatabase& tx, const Group& g);
    static Status insertProject(QSqlDatabase& tx, Project& p);
    static Status updateProject(QSqlDatabase& tx, const Project& p);
    static Status insertKey(QSqlDatabase& tx, ApiKey& k); // with its groups
    static Status updateKey(QSqlDatabase& tx, const ApiKey& k); // what an admin may change, and its groups
    // The secret as SecretVault::seal() made it: the database never holds the secret itself.
    static Status insertProvider(QSqlDatabase& tx, Provider& p, const QString& sealedSecret);
    static Status updateProvider(QSqlDatabase& tx, const Provider& p, const QString& sealedSecret);
    // skipExisting: another instance may add the same built-in model at the same moment; that is no error.
    static Status insertModel(QSqlDatabase& tx, const ModelInfo& m, bool skipExisting = false);
    static Status updateModel(QSqlDatabase& tx, const ModelInfo& m);
    static Status upsertAlias(QSqlDatabase& tx, const ModelAlias& a);
    static Status insertAliasIfNew(QSqlDatabase& tx, const ModelAlias& a);
    // A conflict (and nothing written) when the identifier exists in the database.
    static Status insertCustomer(QSqlDatabase& tx, Customer& c);
    static Status updateCustomer(QSqlDatabase& tx, const Customer& c);

    Status loadOrganization(Snapshot& s) const; // the organisation and its calendar
    Status loadDirectory(Snapshot& s) const; // groups, users, memberships
    Status loadAccess(Snapshot& s) const; // projects, API keys and their groups
    Status loadCatalog(Snapshot& s, SecretVault& secrets) const; // providers (their secrets opened), models, aliases
    Status loadCustomers(Snapshot& s) const;

private:
    const Database& m_db;
};

} // namespace tollgate
