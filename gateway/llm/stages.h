#pragma once

#include "core/enforcement/enforcement.h"
#include "core/org/snapshot.h"
#include "gateway/http/message.h"
#include "gateway/llm/bounds.h"
#include "gateway/llm/errors.h"

#include <QJsonObject>

#include <optional>

namespace tollgate {
class Enforcement;
class Service;
} // namespace tollgate

namespace tollgate::llm {

// One LLM request on its way through the stages: what each stage found, for the next ones. It reads one snapshot
// of the organisation from start to end, so every stage sees the same keys, users, models and limits.
struct RequestContext
{
    Api api = Api::OpenAIChat;
    bool countTokens = false; // Anthropic's /v1/messages/count_tokens: forwarded, counted as a request, not charged
    const http::Request* request = nullptr;
    QByteArray requestId;
    Instant now = 0;
    SnapshotPtr org;

    ApiKey key; // authenticate
    QJsonObject body; // readBody; then as forwarded
    Id userId = 0; // resolvePrincipal
    Id customerId = 0; // resolveCustomer
    ModelInfo model; // resolveModel
    QString modelRule; // the alias, snapshot or pattern the model was found by; empty: its own id
    Provider provider;
    bool stream = false; // prepareForward
    bool clientWantsUsage = true;
    QLatin1StringView maxField; // "max_tokens", "max_completion_tokens" or (Responses) "max_output_tokens"
    qint64 choices = 1; // OpenAI's n: each choice may produce up to the output cap
    // Responses that continue a stored one (previous_response_id): the tokens that response held, when known.
    qint64 priorContextTokens = -1;
    QByteArray bytes; // the body as it will be forwarded
    RequestBounds bounds; // what the request can cost beyond its bytes
    AdmissionAmounts amounts;
    Preflight preflight; // admit
    Decision decision;

    UsageRecord record; // filled as the stages learn who, what and why
    QJsonObject extras; // for record.extras
    http::Headers headers; // for the response: x-request-id, rate limit headers...

    static RequestContext begin(Api api, const http::Request& request, SnapshotPtr org, Instant now);
};

// A stage's outcome: nothing to go on, or why the request is refused.
using Refusal = std::optional<RequestError>;

// 1. The key the request carries (Authorization: Bearer, or x-api-key), active and unexpired.
Refusal authenticate(RequestContext& c);
// 2. The body: a JSON object whose fields are what the route's API expects; the key may be used for the route.
Refusal readBody(RequestContext& c);
// 3. The principal: the key's holder, or the member of the key's groups that the request names (the "user" field,
// Anthropic's metadata.user_id, or X-Tollgate-User), by email or id.
Refusal resolvePrincipal(RequestContext& c);
// 4. The customer named by customer_params, created or updated with the fields given (then the snapshot is taken
// again, so admission sees the customer's limits); customer_params is not forwarded.
Refusal resolveCustomer(RequestContext& c, Service& service);
// 5. The model in the catalog and the provider that serves it, on the route of the provider's API.
Refusal resolveModel(RequestContext& c);
// 6. What is forwarded: the output cap (the client's, at most the model's; set to the model's when absent, in the
// field the API takes), the usage chunk of an OpenAI chat stream, the bytes; and the largest cost the request can
// have, for admission (a continued response adds the context stored with the provider).
void prepareForward(RequestContext& c, qint64 minimumLoweredMaxTokens);
// 7. Admission: the worst case reserved on every counter at once, or the refusal explained; a lowered max_tokens
// is written into what is forwarded.
Refusal admit(RequestContext& c, Enforcement& enforcement);

} // namespace tollgate::llm
