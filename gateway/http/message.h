#pragma once

#include "core/domain/translate.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <utility>

namespace tollgate::http {

TOLLGATE_TRANSLATION_CONTEXT("tollgate::http")

// Header fields in arrival order. Names compare case-insensitively; values are kept as sent (OWS trimmed).
class Headers final
{
public:
    using Field = std::pair<QByteArray, QByteArray>;

    void add(QByteArray name, QByteArray value) { m_fields.append({std::move(name), std::move(value)}); }
    // Replaces every field of that name by one.
    void set(QByteArrayView name, QByteArray value);
    void remove(QByteArrayView name);
    // The first value of that name, or a null array.
    QByteArray value(QByteArrayView name) const;
    bool contains(QByteArrayView name) const { return !value(name).isNull(); }
    int count(QByteArrayView name) const;
    const QList<Field>& fields() const { return m_fields; }
    bool isEmpty() const { return m_fields.isEmpty(); }

private:
    QList<Field> m_fields;
};

// Whether a comma-separated header value lists a token (case-insensitive): "keep-alive, Upgrade" has "upgrade".
bool headerListContains(QByteArrayView value, QByteArrayView token);

// The credentials of "Authorization: Bearer <token>" (the scheme in any case), or a null array.
QByteArray bearerToken(const Headers& headers);

struct Request
{
    QByteArray method;
    QByteArray target; // as sent: path and query
    QByteArray path; // percent-decoding is left to the route
    QByteArray query;
    int versionMinor = 1; // HTTP/1.<minor>
    Headers headers;
    QByteArray body; // de-chunked
    bool keepAlive = true; // after this request's response
};

struct Response
{
    int status = 200;
    Headers headers;
    QByteArray body;

    static Response json(int status, QByteArray body);
};

QByteArray reasonPhrase(int status);

// The status line and header block for a response, ending with the empty line. Adds nothing on its own.
QByteArray serializeHead(int status, const Headers& headers);

} // namespace tollgate::http
