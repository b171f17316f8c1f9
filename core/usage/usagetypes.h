#pragma once

#include "core/domain/domain.h"

namespace tollgate {

// Usage reports: totals and series over usage records, by one dimension, in calendar buckets of the organisation's
// time zone.
enum class UsageDimension : quint8 { None, User, Group, Key, Project, Model, Customer, Status };
QString
usageDimensionName(UsageDimension d); // "none", "user", "group", "key", "project", "model", "customer", "status"
std::optional<UsageDimension> usageDimensionFromName(const QString& name);

struct UsageQuery
{
    Instant from = 0; // [from, to)
    Instant to = 0;
    UsageDimension groupBy = UsageDimension::None;
    WindowKind granularity = WindowKind::Lifetime; // Day, Week, Month; Lifetime: one bucket for the whole range
    int top = 0; // > 0: only the N keys with the highest cost over the whole range
    // Filters (0 / empty: all)
    Id userId = 0;
    Id groupId = 0; // members of the group and of its subgroups
    Id keyId = 0;
    Id projectId = 0;
    Id customerId = 0;
    QString model;
};

inline constexpr int kMaxUsageBuckets = 1000;

// The rollups keep usage per dimension and local day, ISO week and month (usage_rollups).
enum class RollupPeriod : quint8 { Day, Month, Week };

struct UsageTotals
{
    qint64 requests = 0; // every record, denials included
    qint64 denied = 0;
    qint64 inputTokens = 0;
    qint64 cachedTokens = 0;
    qint64 outputTokens = 0;
    Money cost = 0;

    UsageTotals& operator+=(const UsageTotals& o);
};

struct UsageRow
{
    Instant bucketStart = 0;
    Instant bucketEnd = 0;
    QString key; // the dimension's value: an id, a model id or a status; empty when not grouped
    QString label; // for people: a user's email, a group's name...
    UsageTotals totals;
};

struct UsageReport
{
    QList<UsageRow> rows; // by bucket, then by cost (highest first)
    UsageTotals total; // everything the filters match in the range (with top N: beyond the rows too)
};

// The request log: usage records, newest first.
struct UsageLogFilter
{
    Id id = 0; // one record
    Instant from = 0; // [from, to); 0: open
    Instant to = 0;
    Id userId = 0;
    Id keyId = 0;
    Id projectId = 0;
    Id customerId = 0;
    Id groupId = 0; // requests counted for this group: its members' and its subgroups' members'
    QString model;
    std::optional<UsageStatus> status;
    Id beforeId = 0; // paging: records older than this one
    int limit = 200; // at most 10,000
};

} // namespace tollgate
