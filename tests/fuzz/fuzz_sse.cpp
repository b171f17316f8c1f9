// libFuzzer target: the server-sent-event splitter and the event readers the proxy uses on every streamed event.
// Whatever the pieces, the events it yields followed by what is left are exactly the bytes fed, in order.
#include "gateway/llm/apiformat.h"

#include <cstdint>
#include <cstdlib>

using namespace tollgate::llm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const qsizetype step = 1 + data[0] % 97;
    QByteArrayView bytes(reinterpret_cast<const char*>(data) + 1, qsizetype(size - 1));
    SseSplitter splitter;
    QByteArray seen;
    for (qsizetype i = 0; i < bytes.size(); i += step) {
        splitter.feed(bytes.sliced(i, std::min(step, bytes.size() - i)));
        for (QByteArray event = splitter.next(); !event.isNull(); event = splitter.next()) {
            if (!event.endsWith("\n\n") && !event.endsWith("\r\n\r\n") && !event.endsWith("\n\r\n"))
                std::abort();
            (void)sseEventName(event);
            (void)sseData(event);
            seen += event;
        }
    }
    seen += splitter.rest();
    if (seen != bytes)
        std::abort();
    return 0;
}
