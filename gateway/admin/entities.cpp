#include "gateway/admin/entities.h"

#include "core/catalog/pricing.h"

#include <QCoreApplication>
#include <QJsonDocument>

#include <cmath>

namespace tollgate::admin {

namespace {

QJsonArray idArray(const QList<Id>& ids)
{
    QJsonArray a;
    for (Id id : ids)
        a.append(id);
    return a;
}

QJsonValue idOrNull(Id id) { return id ? QJsonValue(id) : QJsonValue(QJsonValue::Null); }

QJsonValue modelRuleJson(const ModelRule& r)
{
    switch (r.state) {
    case ModelRule::State::Unset: return QJsonValue::Null;
    case ModelRule::State::Any: return QStringLiteral("*");
    case ModelRule::State::List: {
        QStringList m(r.models.cbegin(), r.models.cend());
        m.sort();
        return QJsonArray::fromStringList(m);
    }
    }
    return QJsonValue::Null;
}

QJsonValue parsedOrText(const QString& text)
{
    if (text.isEmpty())
        return QJsonValue::Null;
    const QJsonDocument d = QJsonDocument::fromJson(text.toUtf8());
    if (d.isObject())
        return d.object();
    return text;
}

} // namespace

QJsonObject organizationJson(const Organization& o)
{
    return {{QStringLiteral("id"), o.id},
            {QStringLiteral("name"), o.name},
            {QStringLiteral("timezone"), o.timezone},
            {QStringLiteral("monthly_budget"), moneyJson(o.monthlyBudget)},
            {QStringLiteral("allow_max_tokens_reduction"), o.allowMaxTokensReduction},
            {QStringLiteral("default_user_monthly_limit"), moneyJson(o.defaultUserMonthlyLimit)},
            {QStringLiteral("default_policy"), policyJson(o.defaultPolicy)},
            {QStringLiteral("updated_at"), timeJson(o.updatedAt)},
            {QStringLiteral("version"), o.updatedAt}};
}

QJsonObject userJson(const User& u, const Service& s)
{
    QJsonArray groups;
    for (Id gid : u.groupIds)
        if (auto g = s.directory().group(gid))
            groups.append(QJsonObject {{QStringLiteral("id"), gid}, {QStringLiteral("name"), g->name}});
    QJsonValue monthly = QJsonValue::Null;
    if (u.policyOverride && (*u.policyOverride)[Dimension::MonthlyCost].isLimited())
        monthly = moneyJson((*u.policyOverride)[Dimension::MonthlyCost].value);
    return {{QStringLiteral("id"), u.id},
            {QStringLiteral("email"), u.email},
            {QStringLiteral("name"), u.name},
            {QStringLiteral("status"),
             u.status == UserStatus::Active ? QStringLiteral("active") : QStringLiteral("inactive")},
            {QStringLiteral("groups"), groups},
            {QStringLiteral("monthly_limit"), monthly},
            {QStringLiteral("policy_override"),
             u.policyOverride ? QJsonValue(policyJson(*u.policyOverride)) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("private_project_id"), idOrNull(u.privateProjectId)},
            {QStringLiteral("created_at"), timeJson(u.createdAt)},
            {QStringLiteral("updated_at"), timeJson(u.updatedAt)},
            {QStringLiteral("version"), u.updatedAt}};
}

QJsonObject groupJson(const Group& g, const Service& s)
{
    return {
        {QStringLiteral("id"), g.id},
        {QStringLiteral("name"), g.name},
        {QStringLiteral("parent_id"), idOrNull(g.parentId)},
        {QStringLiteral("member_count"), s.directory().groupMembers(g.id).size()},
        {QStringLiteral("settings"), g.settings ? QJsonValue(policyJson(*g.settings)) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("monthly_budget"), moneyJson(g.monthlyBudget)},
        {QStringLiteral("budget_action"),
         g.budgetAction == BudgetAction::Warn ? QStringLiteral("warn") : QStringLiteral("block")},
        {QStringLiteral("updated_at"), timeJson(g.updatedAt)},
        {QStringLiteral("version"), g.updatedAt}};
}

QJsonObject projectJson(const Project& p)
{
    return {
        {QStringLiteral("id"), p.id},
        {QStringLiteral("name"), p.name},
        {QStringLiteral("kind"), p.kind == ProjectKind::Shared ? QStringLiteral("shared") : QStringLiteral("private")},
        {QStringLiteral("owner_user_id"), idOrNull(p.ownerUserId)},
        {QStringLiteral("monthly_limit"), moneyJson(p.monthlyLimit)},
        {QStringLiteral("updated_at"), timeJson(p.updatedAt)},
        {QStringLiteral("version"), p.updatedAt}};
}

QJsonObject keyJson(const ApiKey& k)
{
    return {{QStringLiteral("id"), k.id},
            {QStringLiteral("name"), k.name},
            {QStringLiteral("prefix"), k.prefix},
            {QStringLiteral("project_id"), k.projectId},
            {QStringLiteral("holder_user_id"), idOrNull(k.holderUserId)},
            {QStringLiteral("group_ids"), idArray(k.groupIds)},
            {QStringLiteral("features"), QJsonArray::fromStringList(k.features)},
            {QStringLiteral("allowed_models"), modelRuleJson(k.allowedModels)},
            {QStringLiteral("limit"), moneyJson(k.monthlyCap)},
            {QStringLiteral("status"),
             k.status == KeyStatus::Active ? QStringLiteral("active") : QStringLiteral("revoked")},
            {QStringLiteral("disabled"), k.status != KeyStatus::Active},
            {QStringLiteral("expires_at"), timeJson(k.expiresAt)},
            {QStringLiteral("last_used_at"), timeJson(k.lastUsedAt)},
            {QStringLiteral("created_at"), timeJson(k.createdAt)},
            {QStringLiteral("updated_at"), timeJson(k.updatedAt)},
            {QStringLiteral("version"), k.updatedAt}};
}

QJsonObject adminKeyJson(const AdminKey& k)
{
    return {{QStringLiteral("id"), k.id},
            {QStringLiteral("name"), k.name},
            {QStringLiteral("prefix"), k.prefix},
            {QStringLiteral("role"), adminRoleName(k.role)},
            {QStringLiteral("status"),
             k.status == KeyStatus::Active ? QStringLiteral("active") : QStringLiteral("revoked")},
            {QStringLiteral("created_by"), k.createdBy},
            {QStringLiteral("created_at"), timeJson(k.createdAt)},
            {QStringLiteral("last_used_at"), timeJson(k.lastUsedAt)}};
}

QJsonObject customerJson(const Customer& c)
{
    return {{QStringLiteral("id"), c.id},
            {QStringLiteral("customer_identifier"), c.identifier},
            {QStringLiteral("name"), c.name},
            {QStringLiteral("email"), c.email},
            {QStringLiteral("rate_limit_per_minute"),
             c.rateLimitPerMinute ? QJsonValue(*c.rateLimitPerMinute) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("budget_duration"), budgetDurationName(c.budgetDuration)},
            {QStringLiteral("period_start"), timeJson(c.periodStart)},
            {QStringLiteral("period_end"), timeJson(c.periodEnd)},
            {QStringLiteral("period_budget"), moneyJson(c.periodBudget)},
            {QStringLiteral("total_budget"), moneyJson(c.totalBudget)},
            {QStringLiteral("markup_percentage"), c.markupBasisPoints / 100.0},
            {QStringLiteral("limits_locked"), c.limitsLocked},
            {QStringLiteral("updated_at"), timeJson(c.updatedAt)},
            {QStringLiteral("version"), c.updatedAt}};
}

QJsonObject modelJson(const ModelInfo& m, const Service& s)
{
    const auto p = s.catalog().provider(m.providerId);
    QJsonObject o {{QStringLiteral("id"), m.id},
                   {QStringLiteral("provider_id"), m.providerId},
                   {QStringLiteral("provider"), p ? p->name : QString()},
                   {QStringLiteral("upstream_name"), m.upstreamName},
                   {QStringLiteral("tier"), m.tier},
                   {QStringLiteral("max_output_tokens"), m.maxOutputTokens},
                   {QStringLiteral("context_window"), m.contextWindow},
                   {QStringLiteral("long_context_threshold"),
                    m.longContextThreshold > 0 ? QJsonValue(m.longContextThreshold) : QJsonValue()},
                   {QStringLiteral("max_image_tokens"), m.maxImageTokens},
                   {QStringLiteral("approved"), m.approved},
                   {QStringLiteral("price_source"), m.priceSource},
                   {QStringLiteral("output_cap_parameter"),
                    m.outputCapField.isEmpty() ? QJsonValue() : QJsonValue(m.outputCapField)}};
    // Dollars per million tokens (nano-dollars per token / 1000) or per thousand calls (nano-dollars per call / 1e6);
    // "defaulted" lists the components that follow their default rather than a price set for the model.
    QJsonArray defaulted;
    for (const PriceComponent& c : priceComponents()) {
        const double scale = c.unit == PriceComponent::PerThousandCalls ? 1'000'000.0 : 1000.0;
        o.insert(c.apiKey, double(m.*c.field) / scale);
        if (!(m.explicitPrices & (1u << (&c - priceComponents().data()))))
            defaulted.append(QString(c.apiKey));
    }
    o.insert(QStringLiteral("defaulted"), defaulted);
    return o;
}

QJsonObject providerJson(const Provider& p)
{
    // The secret is write-only: only whether one is set and where it is kept ("keychain", "encrypted"), and why it
    // cannot be read when it cannot.
    QJsonObject o {{QStringLiteral("id"), p.id},
                   {QStringLiteral("name"), p.name},
                   {QStringLiteral("kind"), providerKindName(p.kind)},
                   {QStringLiteral("base_url"), p.baseUrl},
                   {QStringLiteral("has_secret"), p.secretStorage != SecretStorage::None},
                   {QStringLiteral("secret_storage"), secretStorageName(p.secretStorage)}};
    if (!p.secretProblem.isEmpty())
        o.insert(QStringLiteral("secret_problem"), p.secretProblem);
    return o;
}

QJsonObject auditJson(const AuditEntry& e)
{
    return {{QStringLiteral("id"), e.id},
            {QStringLiteral("time"), timeJson(e.time)},
            {QStringLiteral("actor"), e.actor},
            {QStringLiteral("entity"), e.entity},
            {QStringLiteral("entity_id"), e.entityId},
            {QStringLiteral("action"), e.action},
            {QStringLiteral("before"), parsedOrText(e.before)},
            {QStringLiteral("after"), parsedOrText(e.after)}};
}

QJsonObject usageTotalsJson(const UsageTotals& t)
{
    return {{QStringLiteral("requests"), t.requests},
            {QStringLiteral("denied"), t.denied},
            {QStringLiteral("input_tokens"), t.inputTokens},
            {QStringLiteral("cached_tokens"), t.cachedTokens},
            {QStringLiteral("output_tokens"), t.outputTokens},
            {QStringLiteral("cost"), moneyJson(t.cost)},
            {QStringLiteral("cost_nanos"), t.cost}};
}

QJsonObject effectivePolicyJson(const EffectivePolicy& e)
{
    QJsonObject o;
    for (Dimension d : kAllDimensions) {
        const ResolvedLimit& l = e[d];
        const bool money = d == Dimension::DailyCost || d == Dimension::MonthlyCost;
        QJsonObject v {{QStringLiteral("source"), policyLevelName(l.source.level)},
                       {QStringLiteral("source_description"), l.source.describe()}};
        if (l.value.isLimited())
            v.insert(QStringLiteral("value"), money ? moneyJson(l.value.value) : QJsonValue(l.value.value));
        else
            v.insert(QStringLiteral("value"), QStringLiteral("unlimited"));
        if (l.source.entityId)
            v.insert(QStringLiteral("source_id"), l.source.entityId);
        o.insert(apiName(d), v);
    }
    return o;
}

Instant expectedVersion(Fields& f, Instant ifMatch)
{
    if (auto v = f.integer(QLatin1StringView("version"), 1, std::numeric_limits<qint64>::max() / 2))
        return *v;
    return ifMatch;
}

} // namespace tollgate::admin
