#pragma once

#include "core/domain/domain.h"

#include <QJsonArray>
#include <QJsonObject>

namespace tollgate::codec {

// PolicySettings as stored and audited. A missing key is "not set", null is "explicitly unlimited" (or any model),
// numbers are integers in the dimension's unit (nano-dollars, tokens, requests, tier).
QJsonObject policyToJson(const PolicySettings& p);
// Strict: unknown keys and wrong types are refused, naming `prefix + key`.
Result<PolicySettings> policyFromJson(const QJsonObject& o, const QString& prefix = {});

QJsonValue modelRuleToJson(const ModelRule& r); // Unset: undefined, Any: "*", List: sorted array
Result<ModelRule> modelRuleFromJson(const QJsonValue& v, const QString& field);

// Compact JSON text, or a null QString for an absent policy.
QString policyText(const std::optional<PolicySettings>& p);
Result<std::optional<PolicySettings>> policyFromText(const QString& text);
QString modelRuleText(const ModelRule& r);
Result<ModelRule> modelRuleFromText(const QString& text);

// Entity snapshots for the audit log (secrets and hashes are never included).
QJsonObject toJson(const Organization& o);
QJsonObject toJson(const User& u);
QJsonObject toJson(const Group& g);
QJsonObject toJson(const Project& p);
QJsonObject toJson(const ApiKey& k);
QJsonObject toJson(const Customer& c);
QJsonObject toJson(const ModelInfo& m);
QJsonObject toJson(const Provider& p);
QString compact(const QJsonObject& o);

} // namespace tollgate::codec
