#include "httptestclient.h"

#include "gateway/http/parser.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QTimer>

using namespace tollgate::http;

QJsonObject TestResponse::json() const { return QJsonDocument::fromJson(body).object(); }

QByteArray postRequest(const QByteArray& path, const QByteArray& body, const QList<QByteArray>& headerLines)
{
    return makeRequest("POST", path, body, headerLines);
}

QByteArray makeRequest(const QByteArray& method, const QByteArray& path, const QByteArray& body,
                       const QList<QByteArray>& headerLines)
{
    QByteArray out = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    for (const QByteArray& h : headerLines)
        out += h + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    return out;
}

namespace {

struct Pending
{
    QTcpSocket socket;
    MessageParser parser {MessageParser::Mode::Response};
    TestResponse response;
    bool done = false;

    void take()
    {
        if (done)
            return;
        if (parser.state() == MessageParser::State::NeedMore && parser.headersDone())
            response.body += parser.takeBody();
        if (parser.state() == MessageParser::State::Complete) {
            response.status = parser.status();
            response.headers = parser.headers();
            response.body += parser.takeBody();
            done = true;
        } else if (parser.state() == MessageParser::State::Error) {
            done = true;
        }
    }
};

} // namespace

TestResponse sendRaw(quint16 port, const QByteArray& raw, int timeoutMs)
{
    return sendParallel(port, {raw}, timeoutMs).first();
}

QList<TestResponse> sendParallel(quint16 port, const QList<QByteArray>& raws, int timeoutMs)
{
    std::vector<std::unique_ptr<Pending>> all;
    QEventLoop loop;
    int remaining = int(raws.size());
    auto finished = [&](Pending& p) {
        if (p.done)
            return;
        p.take();
        if (p.done && --remaining == 0)
            loop.quit();
    };
    for (const QByteArray& raw : raws) {
        auto p = std::make_unique<Pending>();
        Pending* pp = p.get();
        QObject::connect(&pp->socket, &QTcpSocket::readyRead, &loop, [pp, &finished] {
            pp->parser.feed(pp->socket.readAll());
            finished(*pp);
        });
        QObject::connect(&pp->socket, &QTcpSocket::disconnected, &loop, [pp, &finished, &remaining, &loop] {
            pp->parser.finish();
            finished(*pp);
            if (!pp->done) {
                pp->done = true;
                if (--remaining == 0)
                    loop.quit();
            }
        });
        pp->socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        pp->socket.write(raw);
        all.push_back(std::move(p));
    }
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (remaining > 0)
        loop.exec();
    QList<TestResponse> out;
    for (auto& p : all)
        out << p->response;
    return out;
}
