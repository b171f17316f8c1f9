#include "core/org/snapshot.h"

#include <QRegularExpression>

#include <algorithm>

namespace tollgate {

const User* Snapshot::userByEmail(const QString& email) const
{
    const Id id = usersByEmail.value(emailKey(email));
    return id ? user(id) : nullptr;
}

const Customer* Snapshot::customerByIdentifier(const QString& identifier) const
{
    const Id id = customersByIdentifier.value(identifier);
    return id ? customer(id) : nullptr;
}

QList<Id> Snapshot::groupsOf(const User& user) const
{
    QList<Id> out;
    for (Id gid : user.groupIds)
        for (Id g = gid; g && !out.contains(g); g = groups.value(g).parentId)
            out.append(g);
    std::sort(out.begin(), out.end());
    return out;
}

QList<Id> Snapshot::subtree(Id groupId) const
{
    QHash<Id, QList<Id>> children;
    for (const Group& g : groups)
        if (g.parentId)
            children[g.parentId].append(g.id);
    QList<Id> tree {groupId};
    for (qsizetype i = 0; i < tree.size(); ++i)
        for (Id child : children.value(tree[i]))
            if (!tree.contains(child))
                tree.append(child);
    return tree;
}

bool Snapshot::wouldCycle(Id groupId, Id newParentId) const
{
    for (Id p = newParentId; p; p = groups.value(p).parentId)
        if (p == groupId)
            return true;
    return false;
}

QList<Id> Snapshot::membersOf(Id groupId) const
{
    const QSet<Id> set = members.value(groupId);
    QList<Id> out(set.begin(), set.end());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace tollgate

namespace tollgate {

namespace {

// Glob matching with * (any run, empty too) and ? (one character): iterative, with one backtrack point.
bool globMatches(QStringView pattern, QStringView text)
{
    qsizetype p = 0, t = 0, star = -1, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == u'?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == u'*') {
            star = p++;
            resume = t;
        } else if (star >= 0) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == u'*')
        ++p;
    return p == pattern.size();
}

qsizetype literalLength(const QString& pattern) { return pattern.size() - pattern.count(u'*') - pattern.count(u'?'); }

// The id without a date or "-latest" at its end: "claude-sonnet-4-5-20250929" -> "claude-sonnet-4-5".
QString undated(const QString& id)
{
    static const QRegularExpression suffix(QStringLiteral(R"((?:-\d{8}|-\d{4}-\d{2}-\d{2}|@\d{8}|-latest)$)"));
    const QRegularExpressionMatch m = suffix.match(id);
    return m.hasMatch() && m.capturedStart() > 0 ? id.left(m.capturedStart()) : QString();
}

int editDistance(QStringView a, QStringView b)
{
    QList<int> row(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        row[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

} // namespace

ModelMatch Snapshot::matchModel(const QString& requested) const
{
    if (const ModelInfo* m = model(requested))
        return {m, {}, false};
    const auto exactAlias = [this](const QString& id) -> const ModelAlias* {
        const auto it = aliases.constFind(id);
        return it != aliases.cend() && !it->isGlob() ? &*it : nullptr;
    };
    if (const ModelAlias* a = exactAlias(requested))
        if (const ModelInfo* m = model(a->modelId))
            return {m, a->pattern, false};
    if (const QString base = undated(requested); !base.isEmpty()) {
        if (const ModelInfo* m = model(base))
            return {m, base + QStringLiteral("-<date>"), true};
        if (const ModelAlias* a = exactAlias(base))
            if (const ModelInfo* m = model(a->modelId))
                return {m, a->pattern + QStringLiteral("-<date>"), true};
    }
    const ModelAlias* best = nullptr;
    for (const ModelAlias& a : aliases) {
        if (!a.isGlob() || !globMatches(a.pattern, requested) || !model(a.modelId))
            continue;
        if (!best || literalLength(a.pattern) > literalLength(best->pattern)
            || (literalLength(a.pattern) == literalLength(best->pattern) && a.pattern < best->pattern))
            best = &a;
    }
    if (best)
        return {model(best->modelId), best->pattern, true};
    return {};
}

QStringList Snapshot::closestModels(const QString& requested, int count) const
{
    QList<std::pair<int, QString>> scored;
    for (const ModelInfo& m : models)
        scored.append({editDistance(requested, m.id), m.id});
    for (const ModelAlias& a : aliases)
        if (!a.isGlob())
            scored.append({editDistance(requested, a.pattern), a.pattern});
    std::sort(scored.begin(), scored.end());
    QStringList out;
    for (qsizetype i = 0; i < scored.size() && out.size() < count; ++i)
        out.append(scored[i].second);
    return out;
}

} // namespace tollgate
