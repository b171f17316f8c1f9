#include "gateway/http/parser.h"

#include <QCoreApplication>

#include <cctype>

namespace tollgate::http {

namespace {

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
    }
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

bool isKnownMethod(QByteArrayView m)
{
    return m == "GET" || m == "POST" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "PATCH" || m == "OPTIONS";
}

QByteArrayView trimOws(QByteArrayView v)
{
    while (!v.isEmpty() && (v.front() == ' ' || v.front() == '\t'))
        v = v.sliced(1);
    while (!v.isEmpty() && (v.back() == ' ' || v.back() == '\t'))
        v.chop(1);
    return v;
}

// "HTTP/1.1" -> 1, "HTTP/1.0" -> 0, another well-formed version -> -2, garbage -> -1.
int parseVersion(QByteArrayView v)
{
    if (v.size() != 8 || !v.startsWith("HTTP/") || v[6] != '.' || !std::isdigit(uchar(v[5]))
        || !std::isdigit(uchar(v[7])))
        return -1;
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
        return -2;
    return v[7] - '0';
}

} // namespace

MessageParser::MessageParser(Mode mode, const ParserLimits& limits)
    : m_mode(mode)
    , m_limits(limits)
{
}

MessageParser::State MessageParser::fail(int status, QString message)
{
    m_state = State::Error;
    m_errorStatus = status;
    m_errorMessage = std::move(message);
    return m_state;
}

MessageParser::State MessageParser::feed(QByteArrayView data)
{
    if (m_state == State::Error)
        return m_state;
    m_buffer.append(data);
    return advance();
}

bool MessageParser::readLine(QByteArrayView* line, int cap, int capStatus, const char* what)
{
    // From where the last search stopped: a line arriving a byte at a time is searched once, not once per byte.
    const qsizetype nl = m_buffer.indexOf('\n', std::max(m_pos, m_lineScan));
    if (nl < 0) {
        m_lineScan = m_buffer.size();
        if (m_buffer.size() - m_pos > cap)
            fail(capStatus, tr("the %1 is longer than %2 bytes").arg(QString::fromLatin1(what)).arg(cap));
        return false;
    }
    if (nl - m_pos > cap) {
        fail(capStatus, tr("the %1 is longer than %2 bytes").arg(QString::fromLatin1(what)).arg(cap));
        return false;
    }
    QByteArrayView l(m_buffer.constData() + m_pos, nl - m_pos);
    if (l.endsWith('\r'))
        l.chop(1);
    m_pos = nl + 1;
    *line = l;
    return true;
}

MessageParser::State MessageParser::advance()
{
    while (m_state == State::NeedMore) {
        QByteArrayView line;
        switch (m_phase) {
        case Phase::StartLine:
            if (!readLine(&line, m_limits.maxStartLine, m_mode == Mode::Request ? 414 : 502,
                          m_mode == Mode::Request ? "request line" : "status line"))
                return m_state;
            if (line.isEmpty()) // robustness: empty lines before a message are ignored
                continue;
            if (!parseStartLine(line))
                return m_state;
            m_phase = Phase::Headers;
            break;
        case Phase::Headers:
        case Phase::Trailers: {
            const int left = m_limits.maxHeaderBytes - m_headerBytes;
            if (!readLine(&line, std::max(left, 0), m_mode == Mode::Request ? 431 : 502, "header block"))
                return m_state;
            m_headerBytes += int(line.size()) + 2;
            if (line.isEmpty()) {
                if (m_phase == Phase::Trailers) {
                    m_phase = Phase::Done;
                } else if (!beginBody()) {
                    return m_state;
                }
                break;
            }
            if (++m_headerCount > m_limits.maxHeaderCount)
                return fail(m_mode == Mode::Request ? 431 : 502,
                            tr("more than %1 header fields").arg(m_limits.maxHeaderCount));
            if (m_phase == Phase::Trailers) // trailer fields are read and dropped
                continue;
            if (!parseHeaderLine(line))
                return m_state;
            break;
        }
        case Phase::ChunkSize: {
            if (!readLine(&line, 1024, 400, "chunk size line"))
                return m_state;
            const qsizetype semi = line.indexOf(';');
            const QByteArrayView hex = trimOws(semi < 0 ? line : line.first(semi));
            if (hex.isEmpty() || hex.size() > 15)
                return fail(400, tr("malformed chunk size"));
            qint64 size = 0;
            for (char c : hex) {
                const int d = hexValue(c);
                if (d < 0)
                    return fail(400, tr("malformed chunk size"));
                size = size * 16 + d;
            }
            if (m_bodyBytes + size > m_limits.maxBodyBytes)
                return fail(m_mode == Mode::Request ? 413 : 502,
                            tr("the body is larger than %1 bytes").arg(m_limits.maxBodyBytes));
            m_remaining = size;
            m_phase = size == 0 ? Phase::Trailers : Phase::ChunkData;
            break;
        }
        case Phase::Body: // Content-Length
        case Phase::ChunkData: {
            const qsizetype n = std::min<qint64>(m_remaining, m_buffer.size() - m_pos);
            appendBody(QByteArrayView(m_buffer.constData() + m_pos, n));
            m_pos += n;
            m_remaining -= n;
            if (m_remaining > 0 || m_state != State::NeedMore) {
                compact();
                return m_state;
            }
            m_phase = m_phase == Phase::Body ? Phase::Done : Phase::ChunkDataEnd;
            break;
        }
        case Phase::ChunkDataEnd: {
            const qsizetype avail = m_buffer.size() - m_pos;
            if (avail < 1 || (m_buffer[m_pos] == '\r' && avail < 2))
                return m_state;
            if (m_buffer[m_pos] == '\n') {
                m_pos += 1;
            } else if (m_buffer[m_pos] == '\r' && m_buffer[m_pos + 1] == '\n') {
                m_pos += 2;
            } else {
                return fail(400, tr("a chunk does not end where its size says"));
            }
            m_phase = Phase::ChunkSize;
            break;
        }
        case Phase::UntilClose:
            appendBody(QByteArrayView(m_buffer.constData() + m_pos, m_buffer.size() - m_pos));
            m_pos = m_buffer.size();
            compact();
            return m_state;
        case Phase::Done: m_state = State::Complete; break;
        }
    }
    return m_state;
}

MessageParser::State MessageParser::finish()
{
    if (m_state != State::NeedMore)
        return m_state;
    if (m_phase == Phase::UntilClose) {
        m_phase = Phase::Done;
        m_state = State::Complete;
    } else if (!idle()) {
        fail(m_mode == Mode::Request ? 400 : 502, tr("the connection closed in the middle of a message"));
    }
    return m_state;
}

bool MessageParser::parseStartLine(QByteArrayView line)
{
    if (m_mode == Mode::Request) {
        const qsizetype sp1 = line.indexOf(' ');
        const qsizetype sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) {
            fail(400, tr("malformed request line"));
            return false;
        }
        const QByteArrayView method = line.first(sp1);
        const QByteArrayView target = line.sliced(sp1 + 1, sp2 - sp1 - 1);
        const int minor = parseVersion(line.sliced(sp2 + 1));
        if (!isToken(method) || minor == -1) {
            fail(400, tr("malformed request line"));
            return false;
        }
        if (minor == -2) {
            fail(505, tr("only HTTP/1.0 and HTTP/1.1 are supported"));
            return false;
        }
        if (target.isEmpty() || (target.front() != '/' && target != "*")) {
            fail(400, tr("the request target must be a path"));
            return false;
        }
        for (char c : target) {
            if (uchar(c) <= 0x20 || uchar(c) >= 0x7f) {
                fail(400, tr("the request target contains characters that must be percent-encoded"));
                return false;
            }
        }
        if (!isKnownMethod(method)) {
            fail(501, tr("method %1 is not implemented").arg(QString::fromLatin1(method)));
            return false;
        }
        m_request.method = method.toByteArray();
        m_request.target = target.toByteArray();
        const qsizetype q = target.indexOf('?');
        m_request.path = (q < 0 ? target : target.first(q)).toByteArray();
        m_request.query = q < 0 ? QByteArray() : target.sliced(q + 1).toByteArray();
        m_request.versionMinor = minor;
        return true;
    }
    // HTTP/1.1 200 OK
    if (line.size() < 12 || parseVersion(line.first(8)) < 0 || line[8] != ' ' || !std::isdigit(uchar(line[9]))
        || !std::isdigit(uchar(line[10])) || !std::isdigit(uchar(line[11])) || (line.size() > 12 && line[12] != ' ')) {
        fail(502, tr("malformed status line"));
        return false;
    }
    m_request.versionMinor = line[7] - '0';
    m_status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    return true;
}

bool MessageParser::parseHeaderLine(QByteArrayView line)
{
    const int badStatus = m_mode == Mode::Request ? 400 : 502;
    if (line.front() == ' ' || line.front() == '\t') {
        fail(badStatus, tr("obsolete header line folding is not accepted"));
        return false;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line.first(colon))) {
        fail(badStatus, tr("malformed header field"));
        return false;
    }
    const QByteArrayView value = trimOws(line.sliced(colon + 1));
    for (char c : value) {
        if ((uchar(c) < 0x20 && c != '\t') || uchar(c) == 0x7f) {
            fail(badStatus,
                 tr("header field %1 contains control characters").arg(QString::fromLatin1(line.first(colon))));
            return false;
        }
    }
    m_request.headers.add(line.first(colon).toByteArray(), value.toByteArray());
    return true;
}

bool MessageParser::beginBody()
{
    const Headers& h = m_request.headers;
    const bool request = m_mode == Mode::Request;
    const int badStatus = request ? 400 : 502;
    if (request) {
        if (m_request.versionMinor == 1 && h.count("Host") != 1) {
            fail(400, tr("an HTTP/1.1 request needs exactly one Host header"));
            return false;
        }
        const QByteArray connection = h.value("Connection");
        m_request.keepAlive = m_request.versionMinor == 1 ? !headerListContains(connection, "close")
                                                          : headerListContains(connection, "keep-alive");
    }
    const int clCount = h.count("Content-Length");
    const int teCount = h.count("Transfer-Encoding");
    if (clCount > 1) {
        fail(badStatus, tr("duplicate Content-Length"));
        return false;
    }
    if (clCount && teCount) {
        fail(badStatus, tr("both Content-Length and Transfer-Encoding are present"));
        return false;
    }
    if (!request && (m_noBody || m_status / 100 == 1 || m_status == 204 || m_status == 304)) {
        m_phase = Phase::Done;
        return true;
    }
    if (teCount) {
        const QByteArray te = h.value("Transfer-Encoding").trimmed();
        if (teCount > 1 || te.compare("chunked", Qt::CaseInsensitive) != 0) {
            fail(request ? 501 : 502, tr("transfer coding \"%1\" is not supported").arg(QString::fromLatin1(te)));
            return false;
        }
        m_phase = Phase::ChunkSize;
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means its framing cannot be trusted; answer it,
        // then close the connection.
        if (request && m_request.versionMinor == 0)
            m_request.keepAlive = false;
    } else if (clCount) {
        const QByteArray cl = h.value("Content-Length");
        bool digits = !cl.isEmpty() && cl.size() <= 18;
        for (char c : cl)
            digits = digits && std::isdigit(uchar(c));
        if (!digits) {
            fail(badStatus, tr("malformed Content-Length"));
            return false;
        }
        m_remaining = cl.toLongLong();
        if (m_remaining > m_limits.maxBodyBytes) {
            fail(request ? 413 : 502, tr("the body is larger than %1 bytes").arg(m_limits.maxBodyBytes));
            return false;
        }
        m_phase = m_remaining ? Phase::Body : Phase::Done;
    } else {
        m_phase = request ? Phase::Done : Phase::UntilClose;
    }
    if (request && m_phase != Phase::Done)
        m_expectContinue = headerListContains(h.value("Expect"), "100-continue");
    return true;
}

void MessageParser::appendBody(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return;
    m_bodyBytes += bytes.size();
    if (m_mode == Mode::Request) {
        m_request.body.append(bytes);
    } else {
        if (m_bodyBytes > m_limits.maxBodyBytes) {
            fail(502, tr("the body is larger than %1 bytes").arg(m_limits.maxBodyBytes));
            return;
        }
        m_body.append(bytes);
    }
}

void MessageParser::compact()
{
    if (m_pos == m_buffer.size()) {
        m_buffer.clear();
        m_pos = 0;
        m_lineScan = 0;
    } else if (m_pos > 4096 && m_pos > m_buffer.size() / 2) {
        m_buffer.remove(0, m_pos);
        m_lineScan = std::max<qsizetype>(0, m_lineScan - m_pos);
        m_pos = 0;
    }
}

Request MessageParser::takeRequest()
{
    Request r = std::move(m_request);
    reset();
    return r;
}

QByteArray MessageParser::takeBody() { return std::exchange(m_body, {}); }

void MessageParser::reset()
{
    m_request = {};
    m_phase = Phase::StartLine;
    m_state = State::NeedMore;
    m_status = 0;
    m_body.clear();
    m_bodyBytes = 0;
    m_remaining = 0;
    m_headerBytes = 0;
    m_headerCount = 0;
    m_expectContinue = false;
    m_noBody = false;
    compact();
}

} // namespace tollgate::http
