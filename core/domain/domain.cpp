#include "core/domain/domain.h"

namespace tollgate {

QString providerKindName(ProviderKind kind)
{
    switch (kind) {
    case ProviderKind::OpenAICompatible: return QStringLiteral("openai");
    case ProviderKind::Anthropic: return QStringLiteral("anthropic");
    case ProviderKind::Mock: return QStringLiteral("mock");
    }
    return {};
}

std::optional<ProviderKind> providerKindFromName(const QString& name)
{
    for (ProviderKind k : {ProviderKind::OpenAICompatible, ProviderKind::Anthropic, ProviderKind::Mock})
        if (providerKindName(k) == name)
            return k;
    return std::nullopt;
}

QString secretStorageName(SecretStorage s)
{
    switch (s) {
    case SecretStorage::None: return QStringLiteral("none");
    case SecretStorage::Keychain: return QStringLiteral("keychain");
    case SecretStorage::Encrypted: return QStringLiteral("encrypted");
    case SecretStorage::PlainText: return QStringLiteral("plain_text");
    }
    return {};
}

QString budgetDurationName(BudgetDuration d)
{
    switch (d) {
    case BudgetDuration::None: return QStringLiteral("none");
    case BudgetDuration::Daily: return QStringLiteral("daily");
    case BudgetDuration::Weekly: return QStringLiteral("weekly");
    case BudgetDuration::Monthly: return QStringLiteral("monthly");
    case BudgetDuration::Yearly: return QStringLiteral("yearly");
    case BudgetDuration::Custom: return QStringLiteral("custom");
    }
    return {};
}

std::optional<BudgetDuration> budgetDurationFromName(const QString& name)
{
    for (BudgetDuration d : {BudgetDuration::None, BudgetDuration::Daily, BudgetDuration::Weekly,
                             BudgetDuration::Monthly, BudgetDuration::Yearly, BudgetDuration::Custom})
        if (budgetDurationName(d) == name)
            return d;
    return std::nullopt;
}

QString usageStatusName(UsageStatus s)
{
    switch (s) {
    case UsageStatus::Ok: return QStringLiteral("ok");
    case UsageStatus::Denied: return QStringLiteral("denied");
    case UsageStatus::UpstreamError: return QStringLiteral("upstream_error");
    case UsageStatus::Cancelled: return QStringLiteral("cancelled");
    case UsageStatus::Incomplete: return QStringLiteral("incomplete");
    }
    return {};
}

std::optional<UsageStatus> usageStatusFromName(QStringView name)
{
    for (UsageStatus s : {UsageStatus::Ok, UsageStatus::Denied, UsageStatus::UpstreamError, UsageStatus::Cancelled,
                          UsageStatus::Incomplete})
        if (usageStatusName(s) == name)
            return s;
    return std::nullopt;
}

QString groupIdsText(const QList<Id>& ids)
{
    if (ids.isEmpty())
        return QStringLiteral("");
    QString out(1, u',');
    for (Id id : ids)
        out += QString::number(id) + u',';
    return out;
}

QList<Id> groupIdsFromText(QStringView text)
{
    QList<Id> ids;
    for (QStringView part : text.split(u',', Qt::SkipEmptyParts))
        if (const Id id = part.toLongLong(); id > 0)
            ids.append(id);
    return ids;
}

QString adminRoleName(AdminRole role)
{
    switch (role) {
    case AdminRole::Viewer: return QStringLiteral("viewer");
    case AdminRole::Admin: return QStringLiteral("admin");
    case AdminRole::Owner: return QStringLiteral("owner");
    }
    return {};
}

std::optional<AdminRole> adminRoleFromName(const QString& name)
{
    for (AdminRole r : {AdminRole::Viewer, AdminRole::Admin, AdminRole::Owner})
        if (adminRoleName(r) == name)
            return r;
    return std::nullopt;
}

} // namespace tollgate
