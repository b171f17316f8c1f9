#include "gateway/http/message.h"

namespace tollgate::http {

namespace {

bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && qstrnicmp(a.data(), a.size(), b.data(), b.size()) == 0;
}

} // namespace

void Headers::set(QByteArrayView name, QByteArray value)
{
    remove(name);
    add(name.toByteArray(), std::move(value));
}

void Headers::remove(QByteArrayView name)
{
    m_fields.removeIf([name](const Field& f) { return equalsIgnoreCase(f.first, name); });
}

QByteArray Headers::value(QByteArrayView name) const
{
    for (const Field& f : m_fields) {
        if (equalsIgnoreCase(f.first, name))
            return f.second.isNull() ? QByteArray("") : f.second;
    }
    return {};
}

int Headers::count(QByteArrayView name) const
{
    int n = 0;
    for (const Field& f : m_fields)
        n += equalsIgnoreCase(f.first, name) ? 1 : 0;
    return n;
}

bool headerListContains(QByteArrayView value, QByteArrayView token)
{
    qsizetype start = 0;
    while (start <= value.size()) {
        qsizetype end = value.indexOf(',', start);
        if (end < 0)
            end = value.size();
        if (equalsIgnoreCase(value.sliced(start, end - start).trimmed(), token))
            return true;
        start = end + 1;
    }
    return false;
}

QByteArray bearerToken(const Headers& headers)
{
    // RFC 9110 §11.1: the scheme is case-insensitive ("bearer", "BEARER"); spaces and tabs follow it.
    const QByteArray authorization = headers.value("Authorization");
    if (authorization.size() <= 7 || !equalsIgnoreCase(QByteArrayView(authorization).first(6), "Bearer")
        || (authorization[6] != ' ' && authorization[6] != '\t'))
        return {};
    return authorization.mid(7).trimmed();
}

Response Response::json(int status, QByteArray body)
{
    Response r;
    r.status = status;
    r.headers.add("Content-Type", "application/json");
    r.body = std::move(body);
    return r;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 421: return "Misdirected Request";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 529: return "Overloaded";
    default: return "Status";
    }
}

QByteArray serializeHead(int status, const Headers& headers)
{
    QByteArray out;
    out.reserve(128 + headers.fields().size() * 40);
    out += "HTTP/1.1 ";
    out += QByteArray::number(status);
    out += ' ';
    out += reasonPhrase(status);
    out += "\r\n";
    for (const auto& [name, value] : headers.fields()) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

} // namespace tollgate::http
