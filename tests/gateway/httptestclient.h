#pragma once

#include "gateway/http/message.h"

#include <QJsonObject>
#include <QList>

// A plain HTTP/1.1 client for tests: raw bytes out, one parsed response in. Blocking (the server under test runs
// on its own threads) or many at once over the event loop.
struct TestResponse
{
    int status = 0; // 0: no response (connection closed or timed out)
    tollgate::http::Headers headers;
    QByteArray body;
    QJsonObject json() const;
};

QByteArray makeRequest(const QByteArray& method, const QByteArray& path, const QByteArray& body = {},
                       const QList<QByteArray>& headerLines = {});
QByteArray postRequest(const QByteArray& path, const QByteArray& body, const QList<QByteArray>& headerLines = {});
TestResponse sendRaw(quint16 port, const QByteArray& raw, int timeoutMs = 15'000);
QList<TestResponse> sendParallel(quint16 port, const QList<QByteArray>& raws, int timeoutMs = 30'000);
