#pragma once

#include "core/domain/domain.h"
#include "core/domain/window.h"
#include "core/org/shardedhash.h"

#include <QHash>
#include <QSet>

#include <memory>

namespace tollgate {

// How a request's model id was found in the catalog.
struct ModelMatch
{
    const ModelInfo* model = nullptr; // none: unknown
    QString rule; // empty: the id itself; else the alias or pattern, or "<id>-<date>" for a dated snapshot
    // What goes to the provider: the id as the client sent it (a snapshot or a family member is a real provider id),
    // or, for an exact alias, the model's own upstream name.
    bool forwardAsRequested = false;
};

// The organisation as one immutable value: what every read sees (the console, the admin API, each request of the
// gateway), published whole by OrgState after each change. Copying one is cheap (the hashes are sharded and shared
// until a shard is changed), so a change copies the snapshot, changes its copy and publishes it: a write copies
// the shards it touches, a sixty-fourth of a large table.
struct Snapshot
{
    quint64 version = 0; // counted up by every publication

    Organization org;
    std::shared_ptr<const Calendar> calendar; // in the organisation's time zone

    // Directory
    ShardedHash<Id, User> users;
    ShardedHash<QString, Id> usersByEmail; // emailKey()
    ShardedHash<Id, Group> groups;
    ShardedHash<Id, QSet<Id>> members; // group -> its direct members

    // Access
    ShardedHash<Id, Project> projects;
    ShardedHash<Id, ApiKey> keys;
    ShardedHash<QByteArray, Id> keysByHash;

    // Catalog
    QHash<Id, Provider> providers;
    QHash<QString, ModelInfo> models;
    QHash<QString, ModelAlias> aliases; // by pattern

    // Customers
    ShardedHash<Id, Customer> customers;
    ShardedHash<QString, Id> customersByIdentifier;

    const User* user(Id id) const { return find(users, id); }
    const User* userByEmail(const QString& email) const;
    const Group* group(Id id) const { return find(groups, id); }
    const Project* project(Id id) const { return find(projects, id); }
    const ApiKey* key(Id id) const { return find(keys, id); }
    const Provider* provider(Id id) const { return find(providers, id); }
    const ModelInfo* model(const QString& id) const { return find(models, id); }
    // The model a request's id stands for: the model of that id; else an exact alias; else a dated snapshot or
    // "-latest" of either; else the most specific glob pattern that matches (the longest, then the first by name).
    ModelMatch matchModel(const QString& requested) const;
    // Catalog ids and aliases nearest to an unknown id, for the message that refuses it.
    QStringList closestModels(const QString& requested, int count = 3) const;
    const Customer* customer(Id id) const { return find(customers, id); }
    const Customer* customerByIdentifier(const QString& identifier) const;

    // The groups a user is in, directly or through a subgroup, ascending: what a request of the user counts for.
    QList<Id> groupsOf(const User& user) const;
    // The group and every group below it.
    QList<Id> subtree(Id groupId) const;
    // Whether making `newParentId` the parent of `groupId` would make a group its own ancestor.
    bool wouldCycle(Id groupId, Id newParentId) const;
    // The direct members of a group, ascending.
    QList<Id> membersOf(Id groupId) const;

private:
    template<class Key, class T>
    static const T* find(const QHash<Key, T>& hash, const Key& key)
    {
        auto it = hash.constFind(key);
        return it == hash.cend() ? nullptr : &*it;
    }
    template<class Key, class T>
    static const T* find(const ShardedHash<Key, T>& hash, const Key& key)
    {
        return hash.get(key);
    }
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// How an email is compared: trimmed, lower-cased.
inline QString emailKey(const QString& email) { return email.trimmed().toLower(); }

// A hash's values ordered by id: what the list reads return.
template<class Hash>
auto sortedById(const Hash& hash)
{
    using T = typename Hash::mapped_type;
    QList<T> out = hash.values();
    std::sort(out.begin(), out.end(), [](const T& a, const T& b) { return a.id < b.id; });
    return out;
}

} // namespace tollgate
