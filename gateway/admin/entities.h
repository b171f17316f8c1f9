#pragma once

#include "core/service/service.h"
#include "gateway/json/customer.h"
#include "gateway/json/fields.h"

namespace tollgate::admin {

// The strict JSON reader and the API forms of money, time and policy are shared with the LLM routes (gateway/json).
using namespace tollgate::json;

// The admin API's JSON form of each entity: snake_case, money in US dollars, times in ISO 8601 UTC, and a
// "version" (the last change's time in ms) that a write may send back (or as If-Match) to refuse lost updates.
QJsonObject organizationJson(const Organization& o);
QJsonObject userJson(const User& u, const Service& s);
QJsonObject groupJson(const Group& g, const Service& s);
QJsonObject projectJson(const Project& p);
QJsonObject keyJson(const ApiKey& k);
QJsonObject adminKeyJson(const AdminKey& k);
QJsonObject customerJson(const Customer& c);
QJsonObject modelJson(const ModelInfo& m, const Service& s);
QJsonObject providerJson(const Provider& p);
QJsonObject auditJson(const AuditEntry& e);
QJsonObject usageTotalsJson(const UsageTotals& t);
// Every dimension's effective value for a user and the level it comes from.
QJsonObject effectivePolicyJson(const EffectivePolicy& e);

// The version check of a write: the body's "version" member, else If-Match; 0 when neither was sent.
Instant expectedVersion(Fields& f, Instant ifMatch);

} // namespace tollgate::admin
