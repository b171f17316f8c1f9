#include "gateway/http/parser.h"
#include "gateway/llm/apiformat.h"

#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTest>

using namespace tollgate::http;

// The incremental HTTP/1.x parser: what a server must accept, what it must refuse and with which status.
class TestParser : public QObject
{
    Q_OBJECT

private:
    static MessageParser::State feedAll(MessageParser& p, QByteArrayView bytes, int step)
    {
        MessageParser::State s = MessageParser::State::NeedMore;
        for (qsizetype i = 0; i < bytes.size() && s == MessageParser::State::NeedMore; i += step)
            s = p.feed(bytes.sliced(i, std::min<qsizetype>(step, bytes.size() - i)));
        return s;
    }

private Q_SLOTS:
    void simpleRequestInAnySplit_data()
    {
        QTest::addColumn<int>("step");
        for (int step : {1, 2, 3, 7, 64, 4096})
            QTest::addRow("%d bytes at a time", step) << step;
    }
    void simpleRequestInAnySplit()
    {
        QFETCH(int, step);
        const QByteArray raw = "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                               "X-Thing:  padded value \t\r\n\r\nhello";
        MessageParser p(MessageParser::Mode::Request);
        QCOMPARE(feedAll(p, raw, step), MessageParser::State::Complete);
        const Request r = p.takeRequest();
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.path, QByteArray("/v1/chat/completions"));
        QCOMPARE(r.query, QByteArray("x=1"));
        QCOMPARE(r.body, QByteArray("hello"));
        QCOMPARE(r.headers.value("x-thing"), QByteArray("padded value"));
        QVERIFY(r.keepAlive);
    }

    void chunkedBody()
    {
        MessageParser p(MessageParser::Mode::Request);
        const QByteArray raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
        QCOMPARE(feedAll(p, raw, 3), MessageParser::State::Complete);
        QCOMPARE(p.takeRequest().body, QByteArray("hello world"));
    }

    void pipelinedRequestsStayForTheNext()
    {
        MessageParser p(MessageParser::Mode::Request);
        QCOMPARE(p.feed("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"),
                 MessageParser::State::Complete);
        QCOMPARE(p.takeRequest().path, QByteArray("/a"));
        QCOMPARE(p.advance(), MessageParser::State::Complete);
        QCOMPARE(p.takeRequest().path, QByteArray("/b"));
        QCOMPARE(p.advance(), MessageParser::State::NeedMore);
        QVERIFY(p.idle());
    }

    void connectionSemantics()
    {
        MessageParser p(MessageParser::Mode::Request);
        p.feed("GET / HTTP/1.0\r\n\r\n");
        QVERIFY(!p.takeRequest().keepAlive); // HTTP/1.0 closes unless asked
        p.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        QVERIFY(p.takeRequest().keepAlive);
        p.feed("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        QVERIFY(!p.takeRequest().keepAlive);
        // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding is answered, then the connection closes.
        QCOMPARE(p.feed("POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "2\r\nok\r\n0\r\n\r\n"),
                 MessageParser::State::Complete);
        const Request chunked = p.takeRequest();
        QCOMPARE(chunked.body, QByteArray("ok"));
        QVERIFY(!chunked.keepAlive);
    }

    void aLineArrivingByteByByteIsSearchedOnce()
    {
        // The same request a byte at a time and at once; the line search resumes where it stopped (a 30 KiB header
        // fed a byte at a time searched ~450 million bytes before).
        const QByteArray request = "GET /x HTTP/1.1\r\nHost: a\r\nX-Long: " + QByteArray(30'000, 'v') + "\r\n\r\n";
        MessageParser p(MessageParser::Mode::Request);
        QCOMPARE(feedAll(p, request, 1), MessageParser::State::Complete);
        QCOMPARE(p.takeRequest().headers.value("X-Long").size(), 30'000);
    }

    void sseEventsInAnySplit()
    {
        // Events end at LF LF, CRLF CRLF or LF CRLF; fed in random pieces, the splitter yields exactly the events.
        QList<QByteArray> events;
        for (int i = 0; i < 2'000; ++i) {
            const QByteArray data = "data: {\"n\":" + QByteArray::number(i) + "}";
            switch (i % 3) {
            case 0: events << data + "\n\n"; break;
            case 1: events << "event: delta\r\n" + data + "\r\n\r\n"; break;
            default: events << data + "\n\r\n"; break;
            }
        }
        const QByteArray stream = events.join();
        for (int seed = 1; seed <= 20; ++seed) {
            QRandomGenerator rng(seed);
            tollgate::llm::SseSplitter splitter;
            QList<QByteArray> out;
            for (qsizetype pos = 0; pos < stream.size();) {
                const qsizetype n = std::min<qsizetype>(stream.size() - pos, 1 + rng.bounded(seed * 40));
                splitter.feed(QByteArrayView(stream).sliced(pos, n));
                pos += n;
                for (QByteArray e = splitter.next(); !e.isNull(); e = splitter.next())
                    out << e;
            }
            QCOMPARE(out.size(), events.size());
            QCOMPARE(out, events);
            QVERIFY(splitter.rest().isEmpty());
        }
        tollgate::llm::SseSplitter tail;
        tail.feed("data: a\n\ndata: unterminated");
        QCOMPARE(tail.next(), QByteArray("data: a\n\n"));
        QVERIFY(tail.next().isNull());
        QCOMPARE(tail.rest(), QByteArray("data: unterminated"));
    }

    void expectContinue()
    {
        MessageParser p(MessageParser::Mode::Request);
        QCOMPARE(p.feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"),
                 MessageParser::State::NeedMore);
        QVERIFY(p.headersDone());
        QVERIFY(p.expectsContinue());
        QCOMPARE(p.feed("ok"), MessageParser::State::Complete);
    }

    void refusals_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("message");
        const QByteArray host = "Host: a\r\n";
        QTest::newRow("random bytes") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", 13) << 400
                                      << "malformed request line";
        QTest::newRow("no version") << QByteArray("GET /\r\n\r\n") << 400 << "malformed request line";
        QTest::newRow("HTTP/2.0") << QByteArray("GET / HTTP/2.0\r\n\r\n") << 505 << "HTTP/1.0 and HTTP/1.1";
        QTest::newRow("unknown method") << QByteArray("BREW / HTTP/1.1\r\n" + host + "\r\n") << 501 << "BREW";
        QTest::newRow("absolute target") << QByteArray("GET http://x/ HTTP/1.1\r\n" + host + "\r\n") << 400 << "path";
        QTest::newRow("no host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400 << "Host";
        QTest::newRow("two hosts") << QByteArray("GET / HTTP/1.1\r\n" + host + host + "\r\n") << 400 << "Host";
        QTest::newRow("duplicate content-length")
            << QByteArray("POST / HTTP/1.1\r\n" + host + "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx") << 400
            << "duplicate Content-Length";
        QTest::newRow("signed content-length")
            << QByteArray("POST / HTTP/1.1\r\n" + host + "Content-Length: +1\r\n\r\nx") << 400 << "Content-Length";
        QTest::newRow("length and chunked")
            << QByteArray("POST / HTTP/1.1\r\n" + host + "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
            << 400 << "both";
        QTest::newRow("gzip coding") << QByteArray("POST / HTTP/1.1\r\n" + host
                                                   + "Transfer-Encoding: gzip, chunked\r\n\r\n")
                                     << 501 << "gzip";
        QTest::newRow("folded header") << QByteArray("GET / HTTP/1.1\r\n" + host + "X: a\r\n b\r\n\r\n") << 400
                                       << "folding";
        QTest::newRow("space before colon")
            << QByteArray("GET / HTTP/1.1\r\n" + host + "X : a\r\n\r\n") << 400 << "malformed header";
        QTest::newRow("control character")
            << QByteArray("GET / HTTP/1.1\r\n" + host + "X: a\x01z\r\n\r\n") << 400 << "control";
        QTest::newRow("bad chunk size") << QByteArray("POST / HTTP/1.1\r\n" + host
                                                      + "Transfer-Encoding: chunked\r\n\r\nzz\r\n")
                                        << 400 << "chunk size";
        QTest::newRow("chunk overrun") << QByteArray("POST / HTTP/1.1\r\n" + host
                                                     + "Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n")
                                       << 400 << "does not end";
    }
    void refusals()
    {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);
        QFETCH(QString, message);
        MessageParser p(MessageParser::Mode::Request);
        QCOMPARE(p.feed(raw), MessageParser::State::Error);
        QCOMPARE(p.errorStatus(), status);
        QVERIFY2(p.errorMessage().contains(message), qPrintable(p.errorMessage()));
    }

    void caps()
    {
        ParserLimits limits;
        limits.maxStartLine = 64;
        limits.maxHeaderBytes = 128;
        limits.maxHeaderCount = 3;
        limits.maxBodyBytes = 10;
        {
            MessageParser p(MessageParser::Mode::Request, limits);
            QCOMPARE(p.feed(QByteArray("GET /" + QByteArray(100, 'a'))),
                     MessageParser::State::Error); // before any newline
            QCOMPARE(p.errorStatus(), 414);
        }
        {
            MessageParser p(MessageParser::Mode::Request, limits);
            QCOMPARE(p.feed(QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(200, 'b'))), MessageParser::State::Error);
            QCOMPARE(p.errorStatus(), 431);
        }
        {
            MessageParser p(MessageParser::Mode::Request, limits);
            QCOMPARE(p.feed("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), MessageParser::State::Error);
            QCOMPARE(p.errorStatus(), 431);
        }
        {
            MessageParser p(MessageParser::Mode::Request, limits);
            QCOMPARE(p.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"), MessageParser::State::Error);
            QCOMPARE(p.errorStatus(), 413);
        }
        {
            MessageParser p(MessageParser::Mode::Request, limits);
            QCOMPARE(p.feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n"),
                     MessageParser::State::Error);
            QCOMPARE(p.errorStatus(), 413);
        }
    }

    void closedMidMessage()
    {
        MessageParser p(MessageParser::Mode::Request);
        p.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
        QCOMPARE(p.finish(), MessageParser::State::Error);
        MessageParser idle(MessageParser::Mode::Request);
        QCOMPARE(idle.finish(), MessageParser::State::NeedMore); // nothing was under way
    }

    void responsesWithEachFraming()
    {
        {
            MessageParser p(MessageParser::Mode::Response);
            QCOMPARE(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"), MessageParser::State::Complete);
            QCOMPARE(p.status(), 200);
            QCOMPARE(p.takeBody(), QByteArray("abc"));
        }
        {
            MessageParser p(MessageParser::Mode::Response);
            QCOMPARE(p.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"),
                     MessageParser::State::NeedMore);
            QVERIFY(p.headersDone());
            QCOMPARE(p.takeBody(), QByteArray("abc")); // delivered before the end: streaming
            QCOMPARE(p.feed("0\r\n\r\n"), MessageParser::State::Complete);
        }
        {
            MessageParser p(MessageParser::Mode::Response);
            QCOMPARE(p.feed("HTTP/1.0 200 OK\r\n\r\nuntil close"), MessageParser::State::NeedMore);
            QCOMPARE(p.finish(), MessageParser::State::Complete);
            QCOMPARE(p.takeBody(), QByteArray("until close"));
        }
        {
            MessageParser p(MessageParser::Mode::Response);
            QCOMPARE(p.feed("HTTP/1.1 204 No Content\r\n\r\n"), MessageParser::State::Complete);
        }
        {
            MessageParser p(MessageParser::Mode::Response);
            QCOMPARE(p.feed("SSH-2.0-OpenSSH\r\n"), MessageParser::State::Error);
            QCOMPARE(p.errorStatus(), 502);
        }
    }

    void randomBytesNeverCrash()
    {
        // A cheap fuzz: random inputs end in Error or NeedMore, never anything else, never a crash.
        quint32 seed = 12345;
        for (int round = 0; round < 2000; ++round) {
            QByteArray junk;
            const int n = 1 + int(seed % 300);
            for (int i = 0; i < n; ++i) {
                seed = seed * 1664525u + 1013904223u;
                junk += char(seed >> 24);
            }
            MessageParser p(round % 2 ? MessageParser::Mode::Request : MessageParser::Mode::Response);
            const QByteArray input = round % 3 ? QByteArray("POST / HTTP/1.1\r\nHost: a\r\n" + junk) : junk;
            const auto s = p.feed(input);
            QVERIFY(s != MessageParser::State::Complete || p.headersDone());
        }
    }

    // The usage of a whole response is read without parsing the completion; it must agree with a full parse.
    void usageIsFoundWithoutParsingTheCompletion_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<qint64>("input"); // -1: no usage
        QTest::addColumn<qint64>("output");
        const QByteArray usage = "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}";
        QTest::addRow("plain") << QByteArray("{\"id\":\"a\",\"choices\":[{\"message\":{\"content\":\"hi\"}}]," + usage
                                             + "}")
                               << 11ll << 7ll;
        QTest::addRow("first") << QByteArray("{" + usage + ",\"id\":\"a\"}") << 11ll << 7ll;
        QTest::addRow("spaces") << QByteArray(
            "{ \"id\" : \"a\" , \"usage\" : { \"prompt_tokens\" : 2 , \"completion_tokens\" : 3 } }")
                                << 2ll << 3ll;
        QTest::addRow("braces and quotes in the text") << QByteArray(
            "{\"choices\":[{\"message\":{\"content\":\"} ] { \\\"usage\\\":{\\\"prompt_tokens\\\":99} \\\\\"}}],"
            + usage + "}") << 11ll << 7ll;
        QTest::addRow("a nested usage is not the response's")
            << QByteArray("{\"choices\":[{\"usage\":{\"prompt_tokens\":99,\"completion_tokens\":99}}]," + usage + "}")
            << 11ll << 7ll;
        QTest::addRow("none") << QByteArray("{\"id\":\"a\",\"choices\":[]}") << -1ll << 0ll;
        QTest::addRow("null") << QByteArray("{\"id\":\"a\",\"usage\":null}") << -1ll << 0ll;
        QTest::addRow("escaped key") << QByteArray("{\"us\\u0061ge\":{\"prompt_tokens\":4,\"completion_tokens\":5}}")
                                     << 4ll << 5ll;
        QTest::addRow("malformed") << QByteArray("{\"usage\":{\"prompt_tokens\":4") << -1ll << 0ll;
        QTest::addRow("not an object") << QByteArray("[1,2]") << -1ll << 0ll;
    }
    void usageIsFoundWithoutParsingTheCompletion()
    {
        QFETCH(QByteArray, body);
        QFETCH(qint64, input);
        QFETCH(qint64, output);
        const auto fast = tollgate::llm::usageOfResponseBody(tollgate::llm::Api::OpenAIChat, body);
        const QJsonDocument doc = QJsonDocument::fromJson(body);
        const auto full = doc.isObject() ? tollgate::llm::usageOfResponse(tollgate::llm::Api::OpenAIChat, doc.object())
                                         : std::nullopt;
        QCOMPARE(fast.has_value(), input >= 0);
        QCOMPARE(full.has_value(), fast.has_value());
        if (fast) {
            QCOMPARE(fast->inputTokens, input);
            QCOMPARE(fast->outputTokens, output);
            QCOMPARE(full->inputTokens, input);
        }
    }
};

QTEST_GUILESS_MAIN(TestParser)
#include "test_parser.moc"
