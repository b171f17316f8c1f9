#include "gateway/llm/stages.h"

#include "core/catalog/pricing.h"
#include "core/service/service.h"
#include "gateway/json/customer.h"
#include "gateway/json/explanation.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

namespace tollgate::llm {

namespace {

RequestError refusal(int status, QString message, QString code, QString param = {})
{
    return RequestError {status, std::move(message), std::move(code), std::move(param), {}, {}};
}

RequestError invalid(QString param, QString message)
{
    return refusal(400, std::move(message), QStringLiteral("invalid_request"), std::move(param));
}

bool isPositiveInteger(const QJsonValue& v)
{
    return v.isDouble() && v.toDouble() >= 1 && v.toDouble() <= 1e12 && double(v.toInteger()) == v.toDouble();
}

// Go-style durations, as OpenAI's x-ratelimit-reset-* headers: "1s", "6m0s", "2h3m4s".
QByteArray durationText(qint64 seconds)
{
    seconds = std::max<qint64>(0, seconds);
    if (seconds < 60)
        return QByteArray::number(seconds) + 's';
    if (seconds < 3600)
        return QByteArray::number(seconds / 60) + 'm' + QByteArray::number(seconds % 60) + 's';
    return QByteArray::number(seconds / 3600) + 'h' + QByteArray::number(seconds % 3600 / 60) + 'm'
        + QByteArray::number(seconds % 60) + 's';
}

// x-ratelimit-*-requests of the tightest request limit in force.
void addRateHeaders(http::Headers& h, const Decision& d, Instant now)
{
    const LimitCheck* tightest = nullptr;
    qint64 remaining = 0;
    for (const LimitCheck& c : d.checks) {
        if (c.metric != Metric::Requests || !c.enforce)
            continue;
        const qint64 left = std::max<qint64>(0, c.limit - c.used - (d.allowed ? 1 : 0));
        if (!tightest || left < remaining) {
            tightest = &c;
            remaining = left;
        }
    }
    if (!tightest)
        return;
    h.add("x-ratelimit-limit-requests", QByteArray::number(tightest->limit));
    h.add("x-ratelimit-remaining-requests", QByteArray::number(remaining));
    h.add("x-ratelimit-reset-requests", durationText((tightest->window.end - now + 999) / 1000));
}

constexpr qint64 kMaxChoices = 128; // OpenAI's own bound on n

// The output cap forwarded, the usage options, the bytes and the amounts admission reserves.
void finishForward(RequestContext& c, qint64 asked, qint64 maxOutput, qint64 minimumLoweredMaxTokens);

Refusal validateCap(const QJsonObject& body, const char* field)
{
    const QJsonValue v = body.value(QLatin1String(field));
    if (!v.isUndefined() && !v.isNull() && !isPositiveInteger(v))
        return invalid(QString::fromLatin1(field), tr("%1 must be a positive integer").arg(QString::fromLatin1(field)));
    return std::nullopt;
}

Refusal validateUser(const QJsonObject& body)
{
    const QJsonValue user = body.value(QLatin1String("user"));
    if (!user.isUndefined() && !user.isString())
        return invalid(QStringLiteral("user"), tr("user must be a string"));
    return std::nullopt;
}

// The Responses API: input is a string or a list of items (messages, tool outputs, reasoning items: passed on as
// they are); it may be left out when the context is the provider's (previous_response_id, conversation, prompt).
Refusal validateResponsesBody(const QJsonObject& body)
{
    const QJsonValue input = body.value(QLatin1String("input"));
    if (!input.isUndefined() && !input.isString() && !input.isArray())
        return invalid(QStringLiteral("input"), tr("input must be a string or an array of input items"));
    if (input.isUndefined() && !body.contains(QLatin1String("previous_response_id"))
        && !body.contains(QLatin1String("conversation")) && !body.contains(QLatin1String("prompt")))
        return invalid(QStringLiteral("input"), tr("input is required: a string or an array of input items"));
    const QJsonValue previous = body.value(QLatin1String("previous_response_id"));
    if (!previous.isUndefined() && !previous.isNull() && !previous.isString())
        return invalid(QStringLiteral("previous_response_id"), tr("previous_response_id must be a string"));
    if (Refusal bad = validateCap(body, "max_output_tokens"))
        return bad;
    return validateUser(body);
}

Refusal validateBody(Api api, const QJsonObject& body, bool countTokens)
{
    const QJsonValue model = body.value(QLatin1String("model"));
    if (!model.isString() || model.toString().isEmpty())
        return invalid(QStringLiteral("model"), tr("model is required and must be a string"));
    if (body.contains(QLatin1String("stream")) && !body.value(QLatin1String("stream")).isBool()
        && !body.value(QLatin1String("stream")).isNull())
        return invalid(QStringLiteral("stream"), tr("stream must be true or false"));
    if (body.contains(QLatin1String("customer_params")) && !body.value(QLatin1String("customer_params")).isObject())
        return invalid(QStringLiteral("customer_params"), tr("customer_params must be an object"));
    if (api == Api::OpenAIEmbeddings) {
        const QJsonValue input = body.value(QLatin1String("input"));
        if (!(input.isString() || (input.isArray() && !input.toArray().isEmpty())))
            return invalid(QStringLiteral("input"), tr("input must be a string or a non-empty array"));
        return std::nullopt;
    }
    if (api == Api::OpenAIResponses)
        return validateResponsesBody(body);
    const QJsonValue messages = body.value(QLatin1String("messages"));
    if (!messages.isArray() || messages.toArray().isEmpty())
        return invalid(QStringLiteral("messages"), tr("messages must be a non-empty array"));
    const QJsonArray list = messages.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QJsonObject m = list[i].toObject();
        if (!list[i].isObject() || !m.value(QLatin1String("role")).isString())
            return invalid(QStringLiteral("messages[%1]").arg(i), tr("each message must be an object with a role"));
        const QJsonValue content = m.value(QLatin1String("content"));
        if (!(content.isString() || content.isArray() || content.isNull() || content.isUndefined()))
            return invalid(QStringLiteral("messages[%1].content").arg(i),
                           tr("content must be a string or an array of parts"));
    }
    for (const char* field : {"max_tokens", "max_completion_tokens"})
        if (Refusal bad = validateCap(body, field))
            return bad;
    if (api == Api::OpenAIChat && body.contains(QLatin1String("n")) && !body.value(QLatin1String("n")).isNull()) {
        // Every choice may be as long as the output cap: n multiplies the reservation, so it is bounded.
        const QJsonValue n = body.value(QLatin1String("n"));
        if (!isPositiveInteger(n) || n.toInteger() > kMaxChoices)
            return invalid(QStringLiteral("n"), tr("n must be an integer from 1 to %1").arg(kMaxChoices));
    }
    if (api == Api::AnthropicMessages) {
        if (!countTokens && !isPositiveInteger(body.value(QLatin1String("max_tokens"))))
            return invalid(QStringLiteral("max_tokens"), tr("max_tokens is required and must be a positive integer"));
        const QJsonValue metadata = body.value(QLatin1String("metadata"));
        if (!metadata.isUndefined() && !metadata.isObject())
            return invalid(QStringLiteral("metadata"), tr("metadata must be an object"));
    } else {
        if (Refusal bad = validateUser(body))
            return bad;
        const QJsonValue options = body.value(QLatin1String("stream_options"));
        if (!options.isUndefined() && !options.isNull() && !options.isObject())
            return invalid(QStringLiteral("stream_options"), tr("stream_options must be an object"));
    }
    return std::nullopt;
}

void finishForward(RequestContext& c, qint64 asked, qint64 maxOutput, qint64 minimumLoweredMaxTokens)
{
    // Forwarded with the cap set (to what the model allows at most, so the provider can never produce more than was
    // reserved) and the usage chunk asked for; serialized once, and its size bounds the input tokens.
    if (maxOutput > 0)
        c.body.insert(c.maxField, maxOutput);
    if (asked > maxOutput && maxOutput > 0) {
        // The model's cap lowered what the client asked for: said the same way as a lowering to fit a limit.
        c.headers.add("x-tollgate-max-tokens-lowered", QByteArray::number(maxOutput));
        c.record.detail =
            tr("%1 lowered to %2: the most model %3 produces").arg(c.maxField).arg(maxOutput).arg(c.model.id);
    }
    if (!c.countTokens)
        c.bounds = boundRequest(c.api, c.body); // may cap server tools in the body
    c.bytes = QJsonDocument(c.body).toJson(QJsonDocument::Compact);
    c.amounts = {};
    c.amounts.inputTokens = c.bytes.size() + c.bounds.images * c.model.maxImageTokens + c.bounds.hiddenInputTokens;
    if (c.api == Api::OpenAIResponses
        && (c.body.contains(QLatin1String("previous_response_id")) || c.body.contains(QLatin1String("conversation")))) {
        // The provider adds the stored conversation to the input: what that earlier response held when it went
        // through this gateway, else as much as the model's context takes.
        c.amounts.inputTokens += c.priorContextTokens >= 0 ? c.priorContextTokens : c.model.contextWindow;
    }
    // Every input token at the highest price any input class has (a cache write, audio, the long-context tier when
    // the bound passes its threshold), every output token likewise, and each server-tool call at its price.
    c.amounts.inputCost = c.amounts.inputTokens * reservedInputPrice(c.model, c.amounts.inputTokens)
        + c.bounds.webSearches * c.model.webSearchPrice + c.bounds.codeSessions * c.model.codeExecutionPrice;
    c.amounts.outputPrice = reservedOutputPrice(c.model, c.amounts.inputTokens);
    c.amounts.maxOutputTokens = maxOutput * c.choices;
    if (c.countTokens)
        c.amounts = {}; // counting is free: the request counts for rate limits only
    if (maxOutput > 0 && c.org->org.allowMaxTokensReduction)
        c.amounts.minOutputTokens = std::min(minimumLoweredMaxTokens, maxOutput) * c.choices;
    c.record.streamed = c.stream;
}

} // namespace

RequestContext RequestContext::begin(Api api, const http::Request& request, SnapshotPtr org, Instant now)
{
    RequestContext c;
    c.api = api;
    c.request = &request;
    c.now = now;
    c.org = std::move(org);
    c.record.time = now;
    c.record.status = UsageStatus::Denied; // until admitted
    c.maxField = QLatin1StringView("max_tokens");
    return c;
}

Refusal authenticate(RequestContext& c)
{
    const http::Headers& h = c.request->headers;
    QByteArray secret = http::bearerToken(h);
    if (secret.isEmpty())
        secret = h.value("x-api-key").trimmed();
    if (secret.isEmpty())
        return refusal(401, tr("missing API key: send Authorization: Bearer <key> (or x-api-key)"),
                       QStringLiteral("missing_api_key"));
    auto key = Access::authenticate(*c.org, QString::fromUtf8(secret), c.now);
    if (!key.ok())
        return refusal(401, key.error().message, QStringLiteral("invalid_api_key"));
    c.key = std::move(key.value());
    c.record.keyId = c.key.id;
    c.record.projectId = c.key.projectId;
    return std::nullopt;
}

Refusal readBody(RequestContext& c)
{
    const QByteArray& bytes = c.request->body;
    if (bytes.isEmpty())
        return refusal(400, tr("the body is empty: send a JSON object"), QStringLiteral("invalid_json"));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return refusal(
            400, tr("the body is not valid JSON: %1 at byte %2").arg(parseError.errorString()).arg(parseError.offset),
            QStringLiteral("invalid_json"));
    if (!doc.isObject())
        return refusal(400, tr("the body must be a JSON object"), QStringLiteral("invalid_json"));
    c.body = doc.object();
    c.record.model = c.body.value(QLatin1String("model")).toString().left(200);
    if (Refusal bad = validateBody(c.api, c.body, c.countTokens))
        return bad;
    if (!c.key.features.contains(QLatin1String(featureOf(c.api))))
        return refusal(403, tr("this key may not be used for %1").arg(QLatin1String(featureOf(c.api))),
                       QStringLiteral("feature_not_allowed"));
    return std::nullopt;
}

Refusal resolvePrincipal(RequestContext& c)
{
    c.userId = c.key.holderUserId;
    if (!c.userId && !c.key.groupIds.isEmpty()) {
        QString named = QString::fromUtf8(c.request->headers.value("X-Tollgate-User")).trimmed();
        if (named.isEmpty())
            named = c.api == Api::AnthropicMessages
                ? c.body.value(QLatin1String("metadata")).toObject().value(QLatin1String("user_id")).toString()
                : c.body.value(QLatin1String("user")).toString();
        if (named.isEmpty())
            return refusal(400,
                           tr("this key is shared by groups: name the member in the \"user\" field or the "
                              "X-Tollgate-User header"),
                           QStringLiteral("user_required"), QStringLiteral("user"));
        const User* user = c.org->userByEmail(named);
        bool numeric = false;
        const Id asId = named.toLongLong(&numeric);
        if (!user && numeric)
            user = c.org->user(asId);
        if (!user)
            return refusal(403, tr("user %1 is not known to this organisation").arg(named),
                           QStringLiteral("unknown_user"), QStringLiteral("user"));
        // A member of one of the key's groups, directly or through a subgroup.
        const QList<Id> groups = c.org->groupsOf(*user);
        const bool member =
            std::any_of(groups.cbegin(), groups.cend(), [&](Id g) { return c.key.groupIds.contains(g); });
        if (!member)
            return refusal(403, tr("user %1 is not a member of this key's groups").arg(named),
                           QStringLiteral("not_a_member"), QStringLiteral("user"));
        c.userId = user->id;
    }
    c.record.userId = c.userId;
    return std::nullopt;
}

Refusal resolveCustomer(RequestContext& c, Service& service)
{
    if (!c.body.contains(QLatin1String("customer_params")))
        return std::nullopt;
    const QJsonObject params = c.body.value(QLatin1String("customer_params")).toObject();
    const QString identifier = params.value(QLatin1String("customer_identifier")).toString();
    if (identifier.isEmpty())
        return invalid(QStringLiteral("customer_params.customer_identifier"),
                       tr("customer_params.customer_identifier is required"));
    const Customer* known = c.org->customerByIdentifier(identifier);
    Customer customer = known ? *known : Customer {};
    const Customer before = customer;
    json::Fields fields(params, QStringLiteral("customer_params"));
    json::readCustomer(fields, customer, QTimeZone(c.org->org.timezone.toUtf8()));
    if (auto s = fields.finish(); !s.ok())
        return invalid(s.error().field, s.error().toString());
    // Naming and describing a customer is every key's; its budgets, rate limit and markup are the organisation's
    // money: changing them needs the key feature customer_limits, and an admin's lock stops even that.
    QStringList limitsChanged;
    const auto compare = [&limitsChanged](bool differs, const char* field) {
        if (differs)
            limitsChanged.append(QStringLiteral("customer_params.") + QLatin1String(field));
    };
    compare(customer.periodBudget != before.periodBudget, "period_budget");
    compare(customer.totalBudget != before.totalBudget, "total_budget");
    compare(customer.budgetDuration != before.budgetDuration, "budget_duration");
    compare(customer.periodStart != before.periodStart, "period_start");
    compare(customer.periodEnd != before.periodEnd, "period_end");
    compare(customer.rateLimitPerMinute != before.rateLimitPerMinute, "rate_limit_per_minute");
    compare(customer.markupBasisPoints != before.markupBasisPoints, "markup_percentage");
    if (!limitsChanged.isEmpty() && !c.key.features.contains(QLatin1String(kCustomerLimitsFeature)))
        return refusal(403,
                       tr("this key may name and describe customers but not set their limits: %1 needs the key "
                          "permission customer_limits (an admin can grant it in the key's features)")
                           .arg(limitsChanged.join(QStringLiteral(", "))),
                       QStringLiteral("customer_limits_not_permitted"), limitsChanged.first());
    if (!limitsChanged.isEmpty() && known && known->limitsLocked)
        return refusal(403,
                       tr("the limits of customer %1 are locked by an admin: customer_params may change its name and "
                          "email, not %2")
                           .arg(identifier, limitsChanged.join(QStringLiteral(", "))),
                       QStringLiteral("customer_limits_locked"), limitsChanged.first());
    const bool changed =
        !customer.id || customer.name != before.name || customer.email != before.email || !limitsChanged.isEmpty();
    if (changed) {
        auto saved = service.customers().saveCustomer(customer, QStringLiteral("gateway:%1").arg(c.key.prefix));
        if (!saved.ok())
            return fromCoreError(saved.error(), c.requestId, QStringLiteral("customer_params."));
        customer = saved.value();
        c.org = service.snapshot(); // with the customer as saved
    }
    c.customerId = customer.id;
    c.record.customerId = customer.id;
    c.body.remove(QLatin1String("customer_params"));
    return std::nullopt;
}

Refusal resolveModel(RequestContext& c)
{
    const QString modelId = c.body.value(QLatin1String("model")).toString();
    const ModelMatch match = c.org->matchModel(modelId);
    const ModelInfo* model = match.model;
    if (!model) {
        const QStringList closest = c.org->closestModels(modelId);
        return refusal(404,
                       closest.isEmpty()
                           ? tr("the model %1 does not exist or is not in the catalog").arg(modelId)
                           : tr("the model %1 does not exist or is not in the catalog; the closest are %2")
                                 .arg(modelId, closest.join(QStringLiteral(", "))),
                       QStringLiteral("model_not_found"), QStringLiteral("model"));
    }
    const Provider* provider = c.org->provider(model->providerId);
    if (!provider)
        return refusal(500, tr("the model %1 has no provider").arg(modelId), QStringLiteral("no_provider"));
    // Its secret is in a keychain this process cannot read (the console's says why): not forwarded without it.
    if (!provider->secretProblem.isEmpty())
        return refusal(503,
                       tr("the API key of provider %1 is kept where this Tollgate cannot read it (the OS keychain of "
                          "the desktop that set it): an admin can enter it again")
                           .arg(provider->name),
                       QStringLiteral("provider_secret_unavailable"));
    if (c.api == Api::AnthropicMessages && provider->kind == ProviderKind::OpenAICompatible)
        return refusal(400, tr("the model %1 speaks the OpenAI API: call /v1/chat/completions").arg(modelId),
                       QStringLiteral("wrong_route"), QStringLiteral("model"));
    if (c.api != Api::AnthropicMessages && provider->kind == ProviderKind::Anthropic)
        return refusal(400, tr("the model %1 speaks the Anthropic API: call /v1/messages").arg(modelId),
                       QStringLiteral("wrong_route"), QStringLiteral("model"));
    c.model = *model;
    c.provider = *provider;
    c.record.providerId = provider->id;
    c.modelRule = match.rule;
    if (!match.rule.isEmpty()) {
        // Counted, limited and priced as the catalog's model; the record keeps what the client asked for and why.
        c.record.model = model->id;
        c.extras.insert(QStringLiteral("requested_model"), modelId.left(200));
        c.extras.insert(QStringLiteral("model_rule"), match.rule);
    }
    if (!match.forwardAsRequested && !model->upstreamName.isEmpty())
        c.body.insert(QStringLiteral("model"), model->upstreamName);
    return std::nullopt;
}

void prepareForward(RequestContext& c, qint64 minimumLoweredMaxTokens)
{
    // The input can hold no more tokens than its bytes (every token of a byte-level tokenizer covers at least one
    // byte; the JSON around the text covers the per-message tokens).
    c.stream = c.body.value(QLatin1String("stream")).toBool();
    if (c.api == Api::OpenAIResponses) {
        c.maxField = QLatin1StringView("max_output_tokens");
        c.choices = 1;
        c.clientWantsUsage = true; // usage is in the stream's last event, unasked
        const QJsonValue v = c.body.value(c.maxField);
        const qint64 asked = isPositiveInteger(v) ? v.toInteger() : 0;
        const qint64 maxOutput = asked ? std::min(asked, c.model.maxOutputTokens) : c.model.maxOutputTokens;
        finishForward(c, asked, maxOutput, minimumLoweredMaxTokens);
        return;
    }
    // OpenAI's chat API takes max_completion_tokens from every model (its reasoning models refuse max_tokens): that
    // is what the gateway sets, unless the client sent only max_tokens. When it sent both, one value goes on, the
    // one reserved (the smaller), so the provider cannot produce more than was reserved.
    const bool completionCap = c.body.contains(QLatin1String("max_completion_tokens"));
    const bool plainCap = c.body.contains(QLatin1String("max_tokens"));
    c.maxField = c.api == Api::OpenAIChat && (completionCap || !plainCap) ? QLatin1StringView("max_completion_tokens")
                                                                          : QLatin1StringView("max_tokens");
    // A model that takes one field only gets that one, whichever the client sent.
    const bool fixedField = c.api == Api::OpenAIChat && !c.model.outputCapField.isEmpty();
    if (fixedField)
        c.maxField = c.model.outputCapField == u"max_tokens" ? QLatin1StringView("max_tokens")
                                                             : QLatin1StringView("max_completion_tokens");
    c.choices = c.api == Api::OpenAIChat ? std::max<qint64>(1, c.body.value(QLatin1String("n")).toInteger(1)) : 1;
    qint64 maxOutput = 0;
    qint64 asked = 0;
    if (c.api != Api::OpenAIEmbeddings && !c.countTokens) {
        for (const char* field : {"max_tokens", "max_completion_tokens"}) {
            const QJsonValue v = c.body.value(QLatin1String(field));
            if (isPositiveInteger(v))
                asked = asked ? std::min(asked, v.toInteger()) : v.toInteger();
        }
        maxOutput = asked ? std::min(asked, c.model.maxOutputTokens) : c.model.maxOutputTokens;
        if (c.api == Api::OpenAIChat && (fixedField || (completionCap && plainCap))) {
            c.body.remove(QLatin1String("max_tokens"));
            c.body.remove(QLatin1String("max_completion_tokens"));
        }
    }
    c.clientWantsUsage = true;
    if (c.stream && c.api == Api::OpenAIChat) {
        QJsonObject options = c.body.value(QLatin1String("stream_options")).toObject();
        c.clientWantsUsage = options.value(QLatin1String("include_usage")).toBool();
        options.insert(QStringLiteral("include_usage"), true);
        c.body.insert(QStringLiteral("stream_options"), options);
    }
    finishForward(c, asked, maxOutput, minimumLoweredMaxTokens);
}

namespace {

// A refusal's explanation, with the model the request's id was taken for when an alias or pattern chose it.
QJsonObject explained(const RequestContext& c)
{
    QJsonObject e = json::explanationJson(c.decision, c.preflight, c.now);
    // What was reserved and why: the input's bound and the prices it was reserved at.
    const auto perMillion = [](Money nanosPerToken) { return double(nanosPerToken) / 1000.0; };
    QJsonObject reserved {
        {QStringLiteral("input_tokens"), c.amounts.inputTokens},
        {QStringLiteral("request_bytes"), qint64(c.bytes.size())},
        {QStringLiteral("images"), c.bounds.images},
        {QStringLiteral("tokens_per_image"), c.model.maxImageTokens},
        {QStringLiteral("tool_and_search_tokens"), c.bounds.hiddenInputTokens},
        {QStringLiteral("web_searches"), c.bounds.webSearches},
        {QStringLiteral("code_sessions"), c.bounds.codeSessions},
        {QStringLiteral("long_context"), isLongContext(c.model, c.amounts.inputTokens)},
        {QStringLiteral("input_price_per_million"), perMillion(reservedInputPrice(c.model, c.amounts.inputTokens))},
        {QStringLiteral("output_price_per_million"), perMillion(c.amounts.outputPrice)},
        {QStringLiteral("max_output_tokens"), c.amounts.maxOutputTokens},
        {QStringLiteral("cost"), money::formatDollars(c.amounts.estimatedCost())}};
    if (!c.bounds.unbounded.isEmpty())
        reserved.insert(QStringLiteral("unbounded"), c.bounds.unbounded);
    e.insert(QStringLiteral("reservation"), reserved);
    if (!c.modelRule.isEmpty())
        e.insert(QStringLiteral("model"),
                 QJsonObject {{QStringLiteral("requested"), c.extras.value(QLatin1String("requested_model"))},
                              {QStringLiteral("model"), c.model.id},
                              {QStringLiteral("matched_by"), c.modelRule}});
    return e;
}

} // namespace

Refusal admit(RequestContext& c, Enforcement& enforcement)
{
    const RequestScope scope {c.key.id, c.userId, c.customerId, c.model.id};
    if (!c.bounds.unbounded.isEmpty()) {
        // A hard spending limit cannot hold a request whose worst case is unknown: it is not admitted unbounded.
        Preflight p = enforcement.preflight(*c.org, scope);
        const bool hardSpendLimit = std::any_of(p.checks.cbegin(), p.checks.cend(), [](const LimitCheck& l) {
            return l.enforce && l.metric != Metric::Requests;
        });
        if (p.allowed && hardSpendLimit) {
            c.preflight = std::move(p);
            c.record.groupIds = c.preflight.groups;
            RequestError e = refusal(403,
                                     tr("the most this request can cost is not known before it is sent, and a hard "
                                        "spending limit applies: %1. Send the file's text, or its pages as images.")
                                         .arg(c.bounds.unbounded),
                                     QStringLiteral("unbounded_cost"));
            e.explanation = explained(c);
            e.headers.add("x-should-retry", "false");
            return e;
        }
    }
    c.decision = enforcement.admit(*c.org, scope, c.amounts, &c.preflight);
    c.record.groupIds = c.preflight.groups; // what the request counts for, for good (resolved once with its limits)
    http::Headers rateHeaders;
    addRateHeaders(rateHeaders, c.decision, c.now);
    if (!c.preflight.allowed) {
        RequestError e = refusal(c.preflight.code == u"model_not_found" ? 404 : 403, c.preflight.reason,
                                 c.preflight.code, QStringLiteral("model"));
        e.explanation = explained(c);
        e.headers.add("x-should-retry", "false"); // an admin has to change something first
        return e;
    }
    if (c.decision.unavailable) {
        // Fail closed: a limit whose recorded usage cannot be read is not checked against zero. The log
        // (tollgate.core.enforcement) has the storage error; the client gets the request id to quote.
        RequestError e = refusal(503,
                                 tr("the limits of this request cannot be checked right now, so it was not forwarded; "
                                    "try again (request %1)")
                                     .arg(QString::fromLatin1(c.requestId)),
                                 QStringLiteral("limits_unavailable"));
        e.headers.add("Retry-After", "1");
        return e;
    }
    if (!c.decision.allowed) {
        RequestError e = refusal(429, explanationSentence(c.decision, c.preflight), QStringLiteral("limit_reached"));
        e.explanation = explained(c);
        e.headers = rateHeaders;
        // A rate limit clears within its minute, hour or day: Retry-After says when. A cost or token budget does not
        // clear by waiting a few seconds: the SDKs are told not to retry (they would only add refusals).
        const LimitCheck* binding = c.decision.bindingCheck();
        if (binding && binding->metric == Metric::Requests)
            e.headers.add("Retry-After", QByteArray::number(c.decision.retryAfterSeconds));
        else
            e.headers.add("x-should-retry", "false");
        return e;
    }
    for (const auto& [n, v] : rateHeaders.fields())
        c.headers.add(n, v);
    if (c.decision.reduced) {
        const qint64 perChoice = c.decision.grantedOutputTokens / c.choices;
        c.body.insert(c.maxField, perChoice);
        c.bytes = QJsonDocument(c.body).toJson(QJsonDocument::Compact);
        c.headers.remove("x-tollgate-max-tokens-lowered");
        c.headers.add("x-tollgate-max-tokens-lowered", QByteArray::number(perChoice));
        c.record.detail =
            tr("%1 lowered to %2: %3").arg(c.maxField).arg(perChoice).arg(explanationSentence(c.decision, c.preflight));
    }
    return std::nullopt;
}

} // namespace tollgate::llm
