// libFuzzer target: the HTTP/1.x request parser, fed in pieces (the first byte picks the piece size), taking every
// pipelined request it completes. A crash, a hang or a sanitizer report is a bug; so is a request that completes
// with a body larger than the cap or a parser that reports Complete without a method.
#include "gateway/http/parser.h"

#include <cstdint>
#include <cstdlib>

using namespace tollgate::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const size_t step = 1 + data[0] % 64;
    QByteArrayView bytes(reinterpret_cast<const char*>(data) + 1, qsizetype(size - 1));
    ParserLimits limits;
    limits.maxStartLine = 512;
    limits.maxHeaderBytes = 2048;
    limits.maxHeaderCount = 20;
    limits.maxBodyBytes = 4096;
    MessageParser parser(MessageParser::Mode::Request, limits);
    for (qsizetype i = 0; i < bytes.size(); i += qsizetype(step)) {
        MessageParser::State state =
            parser.feed(bytes.sliced(i, std::min<qsizetype>(qsizetype(step), bytes.size() - i)));
        while (state == MessageParser::State::Complete) {
            const Request r = parser.takeRequest();
            if (r.method.isEmpty() || r.body.size() > limits.maxBodyBytes || (!r.path.startsWith('/') && r.path != "*"))
                std::abort();
            state = parser.advance();
        }
        if (state == MessageParser::State::Error) {
            if (parser.errorStatus() < 400 || parser.errorStatus() > 505 || parser.errorMessage().isEmpty())
                std::abort();
            return 0;
        }
    }
    parser.finish();
    return 0;
}
