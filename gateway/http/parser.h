#pragma once

#include "gateway/http/message.h"

#include <QString>

namespace tollgate::http {

struct ParserLimits
{
    int maxStartLine = 8 * 1024; // request line or status line
    int maxHeaderBytes = 32 * 1024; // all header lines together
    int maxHeaderCount = 100;
    qint64 maxBodyBytes = 32 * 1024 * 1024; // de-chunked
};

// An incremental HTTP/1.x parser: bytes in, a request (or a response head and body pieces) or a status out. It
// never assumes that one read holds one message, accepts pipelined messages (bytes after a complete message stay
// for the next), and refuses what a server must refuse: an oversized start line (414), header block (431) or body
// (413); duplicate or malformed Content-Length, Content-Length together with Transfer-Encoding, obsolete line
// folding and random bytes (400); a transfer coding other than chunked (501); a version other than 1.0/1.1 (505).
class MessageParser final
{
public:
    enum class Mode { Request, Response };
    enum class State { NeedMore, Complete, Error };

    explicit MessageParser(Mode mode, const ParserLimits& limits = {});

    // Appends bytes and parses as far as they go.
    State feed(QByteArrayView data);
    // Parses what is already buffered (after take(), for a pipelined next message).
    State advance();
    // The peer closed the connection: completes a response whose body runs until close, else an error if a
    // message was under way. Returns the new state.
    State finish();

    State state() const { return m_state; }
    bool headersDone() const { return m_phase > Phase::Headers; }
    bool idle() const { return m_phase == Phase::StartLine && m_buffer.size() == m_pos; } // nothing of a message yet
    bool expectsContinue() const { return m_expectContinue; }
    int errorStatus() const { return m_errorStatus; }
    const QString& errorMessage() const { return m_errorMessage; }

    // Request mode: the parsed request once Complete. Resets for the next message.
    Request takeRequest();

    // Response mode: the status and headers once headersDone(); the body so far, taken piece by piece.
    int status() const { return m_status; }
    const Headers& headers() const { return m_request.headers; }
    QByteArray takeBody();
    // Response mode: a response to HEAD, 1xx, 204 and 304 has no body.
    void setNoBodyExpected(bool noBody) { m_noBody = noBody; }
    // Response mode, after Complete: starts the next response on the same connection.
    void reset();

private:
    enum class Phase { StartLine, Headers, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailers, UntilClose, Done };
    State fail(int status, QString message);
    bool readLine(QByteArrayView* line, int cap, int capStatus, const char* what);
    bool parseStartLine(QByteArrayView line);
    bool parseHeaderLine(QByteArrayView line);
    bool beginBody();
    void appendBody(QByteArrayView bytes);
    void compact();

    Mode m_mode;
    ParserLimits m_limits;
    QByteArray m_buffer;
    qsizetype m_pos = 0;
    qsizetype m_lineScan = 0; // no line end in m_buffer before this
    Phase m_phase = Phase::StartLine;
    State m_state = State::NeedMore;
    int m_errorStatus = 0;
    QString m_errorMessage;
    Request m_request; // request mode: the message; response mode: headers only
    int m_status = 0;
    QByteArray m_body; // response mode: body bytes not yet taken
    qint64 m_bodyBytes = 0;
    qint64 m_remaining = 0; // of a Content-Length body or of the current chunk
    int m_headerBytes = 0;
    int m_headerCount = 0;
    bool m_expectContinue = false;
    bool m_noBody = false;
};

} // namespace tollgate::http
