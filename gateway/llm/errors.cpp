#include "gateway/llm/errors.h"

#include "gateway/llm/logging.h"

#include <QCoreApplication>
#include <QJsonDocument>

namespace tollgate::llm {

Q_LOGGING_CATEGORY(lcLlm, "tollgate.gateway.llm", QtInfoMsg)

namespace {

QString anthropicType(int status)
{
    switch (status) {
    case 400: return QStringLiteral("invalid_request_error");
    case 401: return QStringLiteral("authentication_error");
    case 403: return QStringLiteral("permission_error");
    case 404: return QStringLiteral("not_found_error");
    case 413: return QStringLiteral("request_too_large");
    case 429: return QStringLiteral("rate_limit_error");
    case 529: return QStringLiteral("overloaded_error");
    default: return status >= 500 ? QStringLiteral("api_error") : QStringLiteral("invalid_request_error");
    }
}

QString openAIType(int status)
{
    switch (status) {
    case 401: return QStringLiteral("authentication_error");
    case 403: return QStringLiteral("permission_error");
    case 429: return QStringLiteral("rate_limit_error");
    default: return status >= 500 ? QStringLiteral("api_error") : QStringLiteral("invalid_request_error");
    }
}

} // namespace

QByteArray errorBody(Api api, const RequestError& e)
{
    const int status = e.status;
    const QString& message = e.message;
    const QString& code = e.code;
    const QString& param = e.param;
    const QJsonObject& explanation = e.explanation;
    QJsonObject error;
    if (api == Api::AnthropicMessages) {
        error = {{QStringLiteral("type"), anthropicType(status)}, {QStringLiteral("message"), message}};
    } else {
        error = {{QStringLiteral("message"), message},
                 {QStringLiteral("type"), openAIType(status)},
                 {QStringLiteral("param"), param.isEmpty() ? QJsonValue() : QJsonValue(param)},
                 {QStringLiteral("code"), code.isEmpty() ? QJsonValue() : QJsonValue(code)}};
    }
    if (!explanation.isEmpty())
        error.insert(QStringLiteral("tollgate"), explanation);
    QJsonObject body {{QStringLiteral("error"), error}};
    if (api == Api::AnthropicMessages)
        body.insert(QStringLiteral("type"), QStringLiteral("error"));
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

QByteArray errorBody(Api api, int status, const QString& message, const QString& code)
{
    return errorBody(api, RequestError {status, message, code, {}, {}, {}});
}

http::Response errorResponse(Api api, const RequestError& error)
{
    http::Response r = http::Response::json(error.status, errorBody(api, error));
    for (const auto& [n, v] : error.headers.fields())
        r.headers.add(n, v);
    return r;
}

RequestError fromCoreError(const Error& e, const QByteArray& requestId, const QString& paramPrefix)
{
    const QString param = e.field.isEmpty() ? QString() : paramPrefix + e.field;
    switch (e.code) {
    case Error::Code::Invalid: return {400, e.toString(), QStringLiteral("invalid_request"), param, {}, {}};
    case Error::Code::NotFound: return {404, e.toString(), QStringLiteral("not_found"), param, {}, {}};
    case Error::Code::Conflict: return {409, e.toString(), QStringLiteral("conflict"), param, {}, {}};
    case Error::Code::Storage: break;
    }
    qCWarning(lcLlm).noquote() << "request" << requestId << "failed on storage:" << e.toString();
    http::Headers retry;
    retry.add("Retry-After", "1");
    return {503,
            QCoreApplication::translate("tollgate::llm::Gateway",
                                        "the request could not be processed right now; try again (request %1)")
                .arg(QString::fromLatin1(requestId)),
            QStringLiteral("storage_unavailable"),
            {},
            {},
            retry};
}

} // namespace tollgate::llm
