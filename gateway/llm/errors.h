#pragma once

#include "core/domain/result.h"
#include "gateway/http/message.h"
#include "gateway/llm/api.h"

#include <QJsonObject>

namespace tollgate::llm {

// Why an LLM request is refused, before it is put in the shape of the API the client speaks. Stages return these;
// errorResponse() is the one place they become HTTP.
struct RequestError
{
    int status = 400;
    QString message;
    QString code; // "invalid_api_key", "limit_reached", ...
    QString param; // the request field at fault, if any
    QJsonObject explanation; // the decision explained, for refusals by policy (error.tollgate)
    http::Headers headers; // Retry-After, rate limit headers
};

// A refusal by the core, mapped once: Invalid 400, NotFound 404, Conflict 409; a storage error becomes 503 with a
// generic message that names the request id (the log, tollgate.gateway.llm, has the detail): database text never
// reaches a client. `paramPrefix` goes before the field the error names ("customer_params.").
RequestError fromCoreError(const Error& error, const QByteArray& requestId, const QString& paramPrefix = {});

// The error in the API's shape: OpenAI {"error":{message,type,param,code}}, Anthropic
// {"type":"error","error":{type,message}}; Tollgate's explanation, when there is one, as error.tollgate.
QByteArray errorBody(Api api, const RequestError& error);
QByteArray errorBody(Api api, int status, const QString& message, const QString& code = {});
http::Response errorResponse(Api api, const RequestError& error);

} // namespace tollgate::llm
