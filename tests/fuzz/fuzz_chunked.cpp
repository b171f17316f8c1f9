// libFuzzer target: the chunked transfer decoder (and the rest of the response framing) as the upstream client uses
// it. The input is a response body after a chunked head; what is decoded never exceeds the cap, and decoding the
// same bytes in one piece and in small pieces gives the same body and the same outcome.
#include "gateway/http/parser.h"

#include <cstdint>
#include <cstdlib>

using namespace tollgate::http;

namespace {

struct Outcome
{
    MessageParser::State state;
    QByteArray body;
};

Outcome decode(QByteArrayView body, qsizetype step)
{
    ParserLimits limits;
    limits.maxBodyBytes = 8192;
    MessageParser parser(MessageParser::Mode::Response, limits);
    parser.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    QByteArray out;
    MessageParser::State state = parser.state();
    for (qsizetype i = 0; i < body.size() && state == MessageParser::State::NeedMore; i += step) {
        state = parser.feed(body.sliced(i, std::min(step, body.size() - i)));
        out += parser.takeBody();
    }
    if (state == MessageParser::State::NeedMore)
        state = parser.finish();
    out += parser.takeBody();
    if (out.size() > limits.maxBodyBytes)
        std::abort();
    return {state, out};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    QByteArrayView body(reinterpret_cast<const char*>(data), qsizetype(size));
    const Outcome whole = decode(body, std::max<qsizetype>(1, body.size()));
    const Outcome pieces = decode(body, 3);
    if (whole.state != pieces.state)
        std::abort();
    if (whole.state == MessageParser::State::Complete && whole.body != pieces.body)
        std::abort();
    return 0;
}
