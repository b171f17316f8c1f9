#include "gateway/llm/apiformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <cstring>

namespace tollgate::llm {

namespace {

// OpenAI's two usage shapes: chat's prompt_/completion_tokens and the Responses API's input_/output_tokens, each with
// its details (cached among the input, reasoning among the output).
struct UsageFields
{
    QLatin1StringView input, output, inputDetails, outputDetails;
};

TokenUsage openAIShaped(const QJsonObject& u, const UsageFields& f)
{
    TokenUsage t;
    t.inputTokens = u.value(f.input).toInteger();
    t.outputTokens = u.value(f.output).toInteger();
    const QJsonObject in = u.value(f.inputDetails).toObject();
    const QJsonObject out = u.value(f.outputDetails).toObject();
    // The details are parts of the totals; costOf keeps them from adding up to more.
    t.cachedTokens = std::clamp<qint64>(in.value(QLatin1String("cached_tokens")).toInteger(), 0, t.inputTokens);
    t.audioInputTokens = std::max<qint64>(0, in.value(QLatin1String("audio_tokens")).toInteger());
    t.imageInputTokens = std::max<qint64>(0, in.value(QLatin1String("image_tokens")).toInteger());
    t.reasoningTokens = std::clamp<qint64>(out.value(QLatin1String("reasoning_tokens")).toInteger(), 0, t.outputTokens);
    t.audioOutputTokens = std::max<qint64>(0, out.value(QLatin1String("audio_tokens")).toInteger());
    return t;
}

} // namespace

TokenUsage openAIUsage(const QJsonObject& u)
{
    return openAIShaped(u,
                        {QLatin1StringView("prompt_tokens"), QLatin1StringView("completion_tokens"),
                         QLatin1StringView("prompt_tokens_details"), QLatin1StringView("completion_tokens_details")});
}

TokenUsage responsesUsage(const QJsonObject& u)
{
    return openAIShaped(u,
                        {QLatin1StringView("input_tokens"), QLatin1StringView("output_tokens"),
                         QLatin1StringView("input_tokens_details"), QLatin1StringView("output_tokens_details")});
}

void addServerToolCalls(const QJsonArray& output, TokenUsage& usage)
{
    QSet<QString> containers;
    for (const QJsonValue& item : output) {
        const QJsonObject o = item.toObject();
        const QString type = o.value(QLatin1String("type")).toString();
        if (type == u"web_search_call") {
            // Opening a page or finding in it are steps of a search the provider bills once; the search is billed.
            const QString action = o.value(QLatin1String("action")).toObject().value(QLatin1String("type")).toString();
            if (action.isEmpty() || action == u"search")
                ++usage.webSearchCalls;
        } else if (type == u"code_interpreter_call") {
            // Billed per container (a session), however many calls run in it.
            const QString container = o.value(QLatin1String("container_id")).toString();
            containers.insert(container.isEmpty() ? o.value(QLatin1String("id")).toString() : container);
        }
    }
    usage.codeExecutionCalls += containers.size();
}

void AnthropicUsage::merge(const QJsonObject& u)
{
    // Present members replace what was known; absent and null ones leave it (message_delta's usage is cumulative,
    // and its members may be null).
    const auto take = [&u](const char* key, qint64& into) {
        const QJsonValue v = u.value(QLatin1String(key));
        if (v.isDouble())
            into = std::max<qint64>(0, v.toInteger());
    };
    take("input_tokens", m_input);
    take("cache_read_input_tokens", m_read);
    take("cache_creation_input_tokens", m_creation);
    take("output_tokens", m_output);
    const QJsonValue creation = u.value(QLatin1String("cache_creation"));
    if (creation.isObject()) {
        const QJsonObject c = creation.toObject();
        const QJsonValue hour = c.value(QLatin1String("ephemeral_1h_input_tokens"));
        if (hour.isDouble())
            m_creation1h = std::max<qint64>(0, hour.toInteger());
        const QJsonValue five = c.value(QLatin1String("ephemeral_5m_input_tokens"));
        if (five.isDouble())
            m_creation5m = std::max<qint64>(0, five.toInteger());
    }
    const QJsonValue tools = u.value(QLatin1String("server_tool_use"));
    if (tools.isObject()) {
        const QJsonValue searches = tools.toObject().value(QLatin1String("web_search_requests"));
        if (searches.isDouble())
            m_webSearches = std::max<qint64>(0, searches.toInteger());
    }
    m_seen = true;
}

TokenUsage AnthropicUsage::usage() const
{
    TokenUsage t;
    // cache_creation_input_tokens is every token written; the split says which of them were written for an hour.
    // Older answers (and a split that is missing) bill every write at the 5-minute price.
    const qint64 creation = std::max(m_creation, std::max<qint64>(0, m_creation5m) + std::max<qint64>(0, m_creation1h));
    t.cacheWrite1hTokens = std::clamp<qint64>(m_creation1h, 0, creation);
    t.cacheWriteTokens = creation - t.cacheWrite1hTokens;
    t.cachedTokens = m_read;
    t.inputTokens = m_input + m_read + creation;
    t.outputTokens = m_output;
    t.webSearchCalls = m_webSearches;
    return t;
}

TokenUsage anthropicUsage(const QJsonObject& u)
{
    AnthropicUsage a;
    a.merge(u);
    return a.usage();
}

namespace {

// The raw value of a member of the top-level object, found by scanning rather than parsing the whole response (a
// completion's text can be long; its usage is a few numbers). Absent when the object has no such member; Unsure when
// the text is not plain enough to tell (malformed, or an escape in a key), and the caller parses it whole.
enum class Scan { Found, Absent, Unsure };
Scan topLevelMember(QByteArrayView json, QByteArrayView name, QByteArrayView* value)
{
    int depth = 0;
    bool expectKey = false; // at depth 1, the next string is a key
    qsizetype valueStart = -1;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '"') {
            const qsizetype start = i + 1;
            bool escaped = false;
            for (++i; i < json.size() && json[i] != '"'; ++i) {
                if (json[i] == '\\') {
                    escaped = true;
                    ++i;
                }
            }
            if (i >= json.size())
                return Scan::Unsure;
            if (depth == 1 && expectKey) {
                if (escaped)
                    return Scan::Unsure;
                expectKey = false;
                if (json.sliced(start, i - start) == name) {
                    qsizetype j = i + 1;
                    while (j < json.size() && (json[j] == ' ' || json[j] == '\t' || json[j] == '\n' || json[j] == '\r'))
                        ++j;
                    if (j >= json.size() || json[j] != ':')
                        return Scan::Unsure;
                    valueStart = j + 1;
                    i = j;
                }
            }
            continue;
        }
        if (c == '{' || c == '[') {
            ++depth;
            if (depth == 1)
                expectKey = c == '{';
        } else if (c == '}' || c == ']') {
            if (depth == 2 && valueStart >= 0) {
                *value = json.sliced(valueStart, i + 1 - valueStart).trimmed();
                return Scan::Found;
            }
            if (--depth < 0)
                return Scan::Unsure;
            if (depth == 0)
                return valueStart >= 0 ? Scan::Unsure : Scan::Absent;
        } else if (c == ',' && depth == 1) {
            if (valueStart >= 0) { // a scalar value
                *value = json.sliced(valueStart, i - valueStart).trimmed();
                return Scan::Found;
            }
            expectKey = true;
        }
    }
    return Scan::Unsure;
}

std::optional<TokenUsage> usageOf(Api api, const QJsonValue& u)
{
    if (!u.isObject())
        return std::nullopt;
    switch (api) {
    case Api::AnthropicMessages: return anthropicUsage(u.toObject());
    case Api::OpenAIResponses: return responsesUsage(u.toObject());
    case Api::OpenAIChat:
    case Api::OpenAIEmbeddings: break;
    }
    return openAIUsage(u.toObject());
}

} // namespace

std::optional<TokenUsage> usageOfResponse(Api api, const QJsonObject& response)
{
    return usageOf(api, response.value(QLatin1String("usage")));
}

QString topLevelString(const QByteArray& body, QByteArrayView name)
{
    QByteArrayView value;
    if (topLevelMember(body, name, &value) == Scan::Found && value.startsWith('"') && !value.contains('\\'))
        return QString::fromUtf8(value.sliced(1, value.size() - 2));
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    return doc.object().value(QLatin1String(name.data(), name.size())).toString();
}

std::optional<TokenUsage> usageOfResponseBody(Api api, const QByteArray& body)
{
    QByteArrayView usage;
    switch (topLevelMember(body, "usage", &usage)) {
    case Scan::Absent: return std::nullopt;
    case Scan::Found: {
        const QJsonDocument doc = QJsonDocument::fromJson(usage.toByteArray());
        if (doc.isObject())
            return usageOf(api, doc.object());
        break; // not an object: let the whole parse decide
    }
    case Scan::Unsure: break;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    return doc.isObject() ? usageOfResponse(api, doc.object()) : std::nullopt;
}

QString providerMessage(const QByteArray& body)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const QJsonValue e = o.value(QLatin1String("error"));
    if (e.isObject() && e.toObject().value(QLatin1String("message")).isString())
        return e.toObject().value(QLatin1String("message")).toString();
    if (e.isString())
        return e.toString();
    if (o.value(QLatin1String("message")).isString())
        return o.value(QLatin1String("message")).toString();
    return QString::fromUtf8(body.left(500)).trimmed();
}

void SseSplitter::feed(QByteArrayView bytes)
{
    if (m_start == m_buffer.size()) {
        m_buffer.clear();
        m_start = m_scan = 0;
    } else if (m_start > 64 * 1024 && m_start > m_buffer.size() / 2) {
        m_buffer.remove(0, m_start);
        m_scan -= m_start;
        m_start = 0;
    }
    m_buffer.append(bytes);
}

QByteArray SseSplitter::next()
{
    const qsizetype size = m_buffer.size();
    const char* data = m_buffer.constData();
    qsizetype from = std::max(m_scan, m_start);
    while (from < size) {
        const void* hit = std::memchr(data + from, '\n', size_t(size - from));
        if (!hit)
            break;
        const qsizetype lf = static_cast<const char*>(hit) - data;
        // An empty line follows: LF, or CR LF.
        if (lf + 1 >= size || (data[lf + 1] == '\r' && lf + 2 >= size)) {
            m_scan = lf; // decided when the next bytes arrive
            return {};
        }
        qsizetype end = -1;
        if (data[lf + 1] == '\n')
            end = lf + 2;
        else if (data[lf + 1] == '\r' && data[lf + 2] == '\n')
            end = lf + 3;
        if (end < 0) {
            from = lf + 1;
            continue;
        }
        QByteArray event(data + m_start, end - m_start);
        m_start = m_scan = end;
        return event;
    }
    m_scan = size;
    return {};
}

QByteArray SseSplitter::rest()
{
    QByteArray out = m_buffer.mid(m_start);
    m_buffer.clear();
    m_start = m_scan = 0;
    return out;
}

QJsonObject sseData(QByteArrayView event)
{
    QByteArray data;
    qsizetype pos = 0;
    while (pos < event.size()) {
        qsizetype nl = event.indexOf('\n', pos);
        if (nl < 0)
            nl = event.size();
        QByteArrayView line = event.sliced(pos, nl - pos);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.startsWith("data:")) {
            QByteArrayView v = line.sliced(5);
            if (v.startsWith(' '))
                v = v.sliced(1);
            if (!data.isEmpty())
                data += '\n';
            data += v;
        }
        pos = nl + 1;
    }
    if (data.isEmpty() || data == "[DONE]")
        return {};
    return QJsonDocument::fromJson(data).object();
}

QByteArray sseEventName(QByteArrayView event)
{
    if (!event.startsWith("event:"))
        return {};
    qsizetype nl = event.indexOf('\n');
    QByteArrayView v = event.sliced(6, (nl < 0 ? event.size() : nl) - 6);
    return v.trimmed().toByteArray();
}

} // namespace tollgate::llm
