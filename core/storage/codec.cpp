#include "core/storage/codec.h"

#include "core/catalog/pricing.h"
#include "core/storage/database.h"

#include <QCoreApplication>
#include <QJsonDocument>

#include <algorithm>

namespace tollgate::codec {

namespace {

QJsonValue optMoney(const std::optional<Money>& m) { return m ? QJsonValue(qint64(*m)) : QJsonValue(); }

QJsonArray idArray(const QList<Id>& ids)
{
    QJsonArray a;
    for (Id id : ids)
        a.append(qint64(id));
    return a;
}

} // namespace

QJsonValue modelRuleToJson(const ModelRule& r)
{
    switch (r.state) {
    case ModelRule::State::Unset: return QJsonValue(QJsonValue::Undefined);
    case ModelRule::State::Any: return QStringLiteral("*");
    case ModelRule::State::List: {
        QStringList models(r.models.begin(), r.models.end());
        std::sort(models.begin(), models.end());
        return QJsonArray::fromStringList(models);
    }
    }
    return {};
}

Result<ModelRule> modelRuleFromJson(const QJsonValue& v, const QString& field)
{
    if (v.isUndefined())
        return ModelRule::unset();
    if (v.isNull() || v.toString() == QLatin1String("*"))
        return ModelRule::any();
    if (!v.isArray())
        return Error::invalid(field, Database::tr("must be a list of model ids, or \"*\" for any model"));
    QSet<QString> models;
    const QJsonArray a = v.toArray();
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (!a[i].isString() || a[i].toString().trimmed().isEmpty())
            return Error::invalid(field + QStringLiteral("[%1]").arg(i), Database::tr("must be a non-empty model id"));
        models.insert(a[i].toString().trimmed());
    }
    return ModelRule::list(std::move(models));
}

QJsonObject policyToJson(const PolicySettings& p)
{
    QJsonObject o;
    for (Dimension d : kAllDimensions) {
        const Limit& l = p[d];
        if (l.state == Limit::State::Unlimited)
            o.insert(dimensionName(d), QJsonValue());
        else if (l.state == Limit::State::Value)
            o.insert(dimensionName(d), qint64(l.value));
    }
    if (p.allowedModels.isSet())
        o.insert(QStringLiteral("allowedModels"), modelRuleToJson(p.allowedModels));
    if (p.blockedModels.isSet())
        o.insert(QStringLiteral("blockedModels"), modelRuleToJson(p.blockedModels));
    if (p.bypassCostLimits)
        o.insert(QStringLiteral("bypassCostLimits"), true);
    if (p.bypassRateLimits)
        o.insert(QStringLiteral("bypassRateLimits"), true);
    if (p.bypassModelRestrictions)
        o.insert(QStringLiteral("bypassModelRestrictions"), true);
    if (!p.notes.isEmpty())
        o.insert(QStringLiteral("notes"), p.notes);
    return o;
}

Result<PolicySettings> policyFromJson(const QJsonObject& o, const QString& prefix)
{
    PolicySettings p;
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString key = it.key();
        const QString field = prefix + key;
        const QJsonValue v = it.value();
        bool known = false;
        for (Dimension d : kAllDimensions) {
            if (key != dimensionName(d))
                continue;
            known = true;
            if (v.isNull()) {
                p[d] = Limit::unlimited();
            } else if (v.isDouble()) {
                const double x = v.toDouble();
                if (x != double(qint64(x)))
                    return Error::invalid(field, Database::tr("must be a whole number"));
                if (x < 0)
                    return Error::invalid(field, Database::tr("must not be negative"));
                p[d] = Limit::of(qint64(x));
            } else {
                return Error::invalid(field, Database::tr("must be a number, or null for no limit"));
            }
        }
        if (known)
            continue;
        if (key == QLatin1String("allowedModels") || key == QLatin1String("blockedModels")) {
            auto r = modelRuleFromJson(v, field);
            if (!r.ok())
                return r.error();
            (key == QLatin1String("allowedModels") ? p.allowedModels : p.blockedModels) = r.value();
        } else if (key.startsWith(QLatin1String("bypass"))) {
            if (!v.isBool())
                return Error::invalid(field, Database::tr("must be true or false"));
            if (key == QLatin1String("bypassCostLimits"))
                p.bypassCostLimits = v.toBool();
            else if (key == QLatin1String("bypassRateLimits"))
                p.bypassRateLimits = v.toBool();
            else if (key == QLatin1String("bypassModelRestrictions"))
                p.bypassModelRestrictions = v.toBool();
            else
                return Error::invalid(field, Database::tr("is not a known setting"));
        } else if (key == QLatin1String("notes")) {
            if (!v.isString())
                return Error::invalid(field, Database::tr("must be text"));
            p.notes = v.toString();
        } else {
            return Error::invalid(field, Database::tr("is not a known setting"));
        }
    }
    return p;
}

QString policyText(const std::optional<PolicySettings>& p)
{
    if (!p)
        return {};
    return compact(policyToJson(*p));
}

Result<std::optional<PolicySettings>> policyFromText(const QString& text)
{
    if (text.isNull() || text.isEmpty())
        return std::optional<PolicySettings>();
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &err);
    if (!doc.isObject())
        return Error::storage(Database::tr("a stored policy is not a JSON object: %1").arg(err.errorString()));
    auto r = policyFromJson(doc.object());
    if (!r.ok())
        return r.error();
    return std::optional<PolicySettings>(std::move(r.value()));
}

QString modelRuleText(const ModelRule& r)
{
    const QJsonValue v = modelRuleToJson(r);
    if (v.isUndefined())
        return {};
    if (v.isString())
        return v.toString();
    return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
}

Result<ModelRule> modelRuleFromText(const QString& text)
{
    if (text.isEmpty())
        return ModelRule::unset();
    if (text == QLatin1String("*"))
        return ModelRule::any();
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8());
    return modelRuleFromJson(doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(text), QStringLiteral("models"));
}

QJsonObject toJson(const Organization& o)
{
    return {{QStringLiteral("id"), qint64(o.id)},
            {QStringLiteral("name"), o.name},
            {QStringLiteral("timezone"), o.timezone},
            {QStringLiteral("defaultPolicy"), policyToJson(o.defaultPolicy)},
            {QStringLiteral("monthlyBudget"), optMoney(o.monthlyBudget)},
            {QStringLiteral("allowMaxTokensReduction"), o.allowMaxTokensReduction},
            {QStringLiteral("defaultUserMonthlyLimit"), optMoney(o.defaultUserMonthlyLimit)}};
}

QJsonObject toJson(const User& u)
{
    QJsonObject o {{QStringLiteral("id"), qint64(u.id)},
                   {QStringLiteral("email"), u.email},
                   {QStringLiteral("name"), u.name},
                   {QStringLiteral("status"),
                    u.status == UserStatus::Active ? QStringLiteral("active") : QStringLiteral("inactive")},
                   {QStringLiteral("groupIds"), idArray(u.groupIds)},
                   {QStringLiteral("privateProjectId"), qint64(u.privateProjectId)}};
    o.insert(QStringLiteral("policy"), u.policyOverride ? QJsonValue(policyToJson(*u.policyOverride)) : QJsonValue());
    return o;
}

QJsonObject toJson(const Group& g)
{
    return {{QStringLiteral("id"), qint64(g.id)},
            {QStringLiteral("name"), g.name},
            {QStringLiteral("parentId"), g.parentId ? QJsonValue(qint64(g.parentId)) : QJsonValue()},
            {QStringLiteral("settings"), g.settings ? QJsonValue(policyToJson(*g.settings)) : QJsonValue()},
            {QStringLiteral("monthlyBudget"), optMoney(g.monthlyBudget)},
            {QStringLiteral("budgetAction"),
             g.budgetAction == BudgetAction::Block ? QStringLiteral("block") : QStringLiteral("warn")}};
}

QJsonObject toJson(const Project& p)
{
    return {
        {QStringLiteral("id"), qint64(p.id)},
        {QStringLiteral("name"), p.name},
        {QStringLiteral("kind"), p.kind == ProjectKind::Shared ? QStringLiteral("shared") : QStringLiteral("private")},
        {QStringLiteral("ownerUserId"), p.ownerUserId ? QJsonValue(qint64(p.ownerUserId)) : QJsonValue()},
        {QStringLiteral("monthlyLimit"), optMoney(p.monthlyLimit)}};
}

QJsonObject toJson(const ApiKey& k)
{
    QJsonObject o {{QStringLiteral("id"), qint64(k.id)},
                   {QStringLiteral("name"), k.name},
                   {QStringLiteral("prefix"), k.prefix},
                   {QStringLiteral("projectId"), qint64(k.projectId)},
                   {QStringLiteral("holderUserId"), k.holderUserId ? QJsonValue(qint64(k.holderUserId)) : QJsonValue()},
                   {QStringLiteral("groupIds"), idArray(k.groupIds)},
                   {QStringLiteral("features"), QJsonArray::fromStringList(k.features)},
                   {QStringLiteral("monthlyCap"), optMoney(k.monthlyCap)},
                   {QStringLiteral("expiresAt"), k.expiresAt ? QJsonValue(qint64(k.expiresAt)) : QJsonValue()},
                   {QStringLiteral("status"),
                    k.status == KeyStatus::Active ? QStringLiteral("active") : QStringLiteral("revoked")}};
    const QJsonValue models = modelRuleToJson(k.allowedModels);
    o.insert(QStringLiteral("allowedModels"), models.isUndefined() ? QJsonValue(QStringLiteral("*")) : models);
    return o;
}

QJsonObject toJson(const Customer& c)
{
    return {
        {QStringLiteral("id"), qint64(c.id)},
        {QStringLiteral("identifier"), c.identifier},
        {QStringLiteral("name"), c.name},
        {QStringLiteral("email"), c.email},
        {QStringLiteral("rateLimitPerMinute"), c.rateLimitPerMinute ? QJsonValue(*c.rateLimitPerMinute) : QJsonValue()},
        {QStringLiteral("budgetDuration"), budgetDurationName(c.budgetDuration)},
        {QStringLiteral("periodStart"), c.periodStart ? QJsonValue(qint64(c.periodStart)) : QJsonValue()},
        {QStringLiteral("periodEnd"), c.periodEnd ? QJsonValue(qint64(c.periodEnd)) : QJsonValue()},
        {QStringLiteral("periodBudget"), optMoney(c.periodBudget)},
        {QStringLiteral("totalBudget"), optMoney(c.totalBudget)},
        {QStringLiteral("markupBasisPoints"), c.markupBasisPoints},
        {QStringLiteral("limitsLocked"), c.limitsLocked}};
}

QJsonObject toJson(const ModelInfo& m)
{
    QJsonObject o {{QStringLiteral("id"), m.id},
                   {QStringLiteral("providerId"), qint64(m.providerId)},
                   {QStringLiteral("upstreamName"), m.upstreamName},
                   {QStringLiteral("tier"), m.tier},
                   {QStringLiteral("inputPrice"), qint64(m.inputPrice)},
                   {QStringLiteral("cachedInputPrice"), qint64(m.cachedInputPrice)},
                   {QStringLiteral("outputPrice"), qint64(m.outputPrice)},
                   {QStringLiteral("maxOutputTokens"), qint64(m.maxOutputTokens)},
                   {QStringLiteral("contextWindow"), qint64(m.contextWindow)},
                   {QStringLiteral("approved"), m.approved},
                   {QStringLiteral("priceSource"), m.priceSource},
                   {QStringLiteral("outputCapField"), m.outputCapField}};
    // Every other component as billed (nano-dollars), and which ones were set rather than defaulted.
    for (const PriceComponent& c : priceComponents())
        if (c.field != &ModelInfo::inputPrice && c.field != &ModelInfo::cachedInputPrice
            && c.field != &ModelInfo::outputPrice)
            o.insert(c.key, qint64(m.*c.field));
    o.insert(QStringLiteral("explicitPrices"), qint64(m.explicitPrices));
    o.insert(QStringLiteral("longContextThreshold"), m.longContextThreshold);
    o.insert(QStringLiteral("maxImageTokens"), m.maxImageTokens);
    return o;
}

QJsonObject toJson(const Provider& p)
{
    // The secret is write-only: the audit log records only whether one is set.
    return {{QStringLiteral("id"), qint64(p.id)},
            {QStringLiteral("name"), p.name},
            {QStringLiteral("kind"), providerKindName(p.kind)},
            {QStringLiteral("baseUrl"), p.baseUrl},
            {QStringLiteral("secretSet"), !p.secret.isEmpty()}};
}

QString compact(const QJsonObject& o) { return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)); }

} // namespace tollgate::codec
