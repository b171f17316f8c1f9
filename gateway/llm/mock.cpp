#include "gateway/llm/mock.h"

#include "gateway/llm/mockparts.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QRegularExpression>
#include <QTimer>

#include <atomic>
#include <cmath>

namespace tollgate::llm {

namespace mock {

namespace {
std::atomic<quint64> g_sequence {0};
} // namespace

quint64 nextSequence() { return g_sequence.fetch_add(1, std::memory_order_relaxed); }

QString textOf(const QJsonValue& content)
{
    if (content.isString())
        return content.toString();
    QString out;
    for (const QJsonValue& part : content.toArray()) {
        const QJsonObject p = part.toObject();
        if (p.value(QLatin1String("text")).isString())
            out += p.value(QLatin1String("text")).toString() + u' ';
    }
    return out;
}

qint64 tokensOf(const QString& text) { return (text.toUtf8().size() + 3) / 4; }

Directives directivesIn(const QString& text)
{
    Directives d;
    static const QRegularExpression re(QStringLiteral("\\[mock:([a-z-]+)(?:=(\\d+))?\\]"));
    for (auto it = re.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        const QString name = m.captured(1);
        const qint64 value = m.captured(2).toLongLong();
        if (name == u"delay")
            d.delayMs = int(std::min<qint64>(value, 600'000));
        else if (name == u"status")
            d.status = int(value);
        else if (name == u"no-usage")
            d.noUsage = true;
        else if (name == u"drop-after")
            d.dropAfter = int(value);
        else if (name == u"stall")
            d.stallMs = int(std::min<qint64>(value, 600'000));
        else if (name == u"tokens")
            d.tokens = value;
        else if (name == u"cached")
            d.cached = value;
        else if (name == u"cache-write")
            d.cacheWrite = value;
        else if (name == u"tool")
            d.tool = true;
    }
    return d;
}

QByteArray json(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Compact); }

QString ReplyWords::joined() const
{
    QString out;
    for (qint64 i = 0; i < count; ++i) {
        if (i)
            out += u' ';
        out += at(i);
    }
    return out;
}

ReplyWords replyWords(const QString& model, const QString& prompt, qint64 count)
{
    const QString text =
        QStringLiteral("Hello from the Tollgate mock provider (%1). You said: ").arg(model) + prompt.simplified();
    return {text.split(u' ', Qt::SkipEmptyParts), count};
}

namespace {

QByteArray sse(const QJsonObject& o) { return "data: " + json(o) + "\n\n"; }

QByteArray anthropicEvent(const char* type, const QJsonObject& o)
{
    return QByteArray("event: ") + type + "\ndata: " + json(o) + "\n\n";
}

QJsonArray embeddingOf(const QString& text)
{
    const QByteArray h = QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha256);
    QJsonArray v;
    double norm = 0;
    QList<double> xs;
    for (int i = 0; i < 8; ++i) {
        const double x = (qint8(h[i]) + 0.5) / 128.0;
        xs << x;
        norm += x * x;
    }
    norm = std::sqrt(norm);
    for (double x : xs)
        v.append(x / norm);
    return v;
}

} // namespace

QByteArray ToolCall::argumentsText() const { return json(arguments); }

std::optional<ToolCall> toolCallFor(Api api, const QJsonObject& body, const Directives& d, bool afterToolResult)
{
    if (!d.tool || afterToolResult)
        return std::nullopt;
    for (const QJsonValue& t : body.value(QLatin1String("tools")).toArray()) {
        const QJsonObject tool = t.toObject();
        QJsonObject function = tool;
        QString schemaField = QStringLiteral("parameters");
        if (api == Api::OpenAIChat) {
            function = tool.value(QLatin1String("function")).toObject();
        } else if (api == Api::AnthropicMessages) {
            schemaField = QStringLiteral("input_schema");
            if (tool.contains(QLatin1String("type")) && tool.value(QLatin1String("type")).toString() != u"custom")
                continue; // a server tool
        } else if (tool.value(QLatin1String("type")).toString() != u"function") {
            continue;
        }
        const QString name = function.value(QLatin1String("name")).toString();
        if (name.isEmpty())
            continue;
        const QJsonObject schema = function.value(schemaField).toObject();
        const QJsonObject properties = schema.value(QLatin1String("properties")).toObject();
        QJsonObject arguments;
        for (const QJsonValue& r : schema.value(QLatin1String("required")).toArray()) {
            const QString type = properties.value(r.toString()).toObject().value(QLatin1String("type")).toString();
            arguments.insert(r.toString(),
                             type == u"number" || type == u"integer" ? QJsonValue(1)
                                 : type == u"boolean"                ? QJsonValue(true)
                                                                     : QJsonValue(QStringLiteral("mock")));
        }
        return ToolCall {name, QStringLiteral("call_mock_%1").arg(nextSequence()), arguments};
    }
    return std::nullopt;
}

MockScript errorScript(Api api, int status, const QString& message)
{
    MockScript s;
    s.status = status;
    const QString type = status == 429 ? QStringLiteral("rate_limit_error")
        : status >= 500                ? QStringLiteral("api_error")
                                       : QStringLiteral("invalid_request_error");
    if (api == Api::AnthropicMessages)
        s.pieces << json({{QStringLiteral("type"), QStringLiteral("error")},
                          {QStringLiteral("error"),
                           QJsonObject {{QStringLiteral("type"), type}, {QStringLiteral("message"), message}}}});
    else
        s.pieces << json({{QStringLiteral("error"),
                           QJsonObject {{QStringLiteral("message"), message},
                                        {QStringLiteral("type"), type},
                                        {QStringLiteral("code"), QJsonValue::Null}}}});
    return s;
}

} // namespace mock

using namespace mock;

MockScript mockAnswer(Api api, const QJsonObject& body, int defaultDelayMs)
{
    if (api == Api::OpenAIResponses)
        return responsesAnswer(body, defaultDelayMs);
    const QString model = body.value(QLatin1String("model")).toString();
    const bool stream = body.value(QLatin1String("stream")).toBool();
    const quint64 seq = nextSequence();
    const qint64 created = QDateTime::currentSecsSinceEpoch();

    if (api == Api::OpenAIEmbeddings) {
        const QJsonValue input = body.value(QLatin1String("input"));
        QStringList texts;
        if (input.isString())
            texts << input.toString();
        for (const QJsonValue& v : input.toArray())
            texts << (v.isString() ? v.toString() : QString::number(v.toDouble()));
        const Directives d = directivesIn(texts.join(u' '));
        if (d.status != 200)
            return errorScript(api, d.status, QStringLiteral("mock error %1 as asked").arg(d.status));
        QJsonArray data;
        qint64 tokens = 0;
        for (int i = 0; i < texts.size(); ++i) {
            tokens += std::max<qint64>(1, tokensOf(texts[i]));
            data.append(QJsonObject {{QStringLiteral("object"), QStringLiteral("embedding")},
                                     {QStringLiteral("index"), i},
                                     {QStringLiteral("embedding"), embeddingOf(texts[i])}});
        }
        MockScript s;
        s.delayMs = d.delayMs >= 0 ? d.delayMs : defaultDelayMs;
        s.inputTokens = tokens;
        QJsonObject out {{QStringLiteral("object"), QStringLiteral("list")},
                         {QStringLiteral("data"), data},
                         {QStringLiteral("model"), model}};
        if (!d.noUsage)
            out.insert(
                QStringLiteral("usage"),
                QJsonObject {{QStringLiteral("prompt_tokens"), tokens}, {QStringLiteral("total_tokens"), tokens}});
        s.pieces << json(out);
        return s;
    }

    // Prompt: every message's text (and the Anthropic system prompt); the last user message carries directives.
    const QJsonArray messages = body.value(QLatin1String("messages")).toArray();
    qint64 inputTokens = 3;
    QString lastUser;
    bool afterToolResult = false; // the last message gives a tool's result: the mock answers in text
    if (body.contains(QLatin1String("system")))
        inputTokens += tokensOf(textOf(body.value(QLatin1String("system")))) + 3;
    for (const QJsonValue& m : messages) {
        const QJsonObject msg = m.toObject();
        const QJsonValue content = msg.value(QLatin1String("content"));
        const QString text = textOf(content);
        inputTokens += tokensOf(text) + 3;
        const QString role = msg.value(QLatin1String("role")).toString();
        afterToolResult = role == u"tool"
            || (content.isArray()
                && std::any_of(content.toArray().begin(), content.toArray().end(), [](const QJsonValue& part) {
                       return part.toObject().value(QLatin1String("type")).toString() == u"tool_result";
                   }));
        if (role == u"user")
            lastUser = text;
    }
    const Directives d = directivesIn(lastUser);
    if (d.status != 200)
        return errorScript(api, d.status, QStringLiteral("mock error %1 as asked").arg(d.status));
    const std::optional<ToolCall> toolCall = toolCallFor(api, body, d, afterToolResult);

    qint64 maxTokens = body.value(QLatin1String("max_tokens")).toInteger(0);
    if (body.contains(QLatin1String("max_completion_tokens")))
        maxTokens = body.value(QLatin1String("max_completion_tokens")).toInteger(0);
    if (maxTokens <= 0)
        maxTokens = 4096;
    const qint64 wanted = d.tokens >= 0 ? d.tokens : 8 + qint64(lastUser.size() % 17);
    const qint64 outputTokens = std::max<qint64>(1, std::min(wanted, maxTokens));
    const bool truncated = wanted > maxTokens;
    const ReplyWords words = replyWords(model, lastUser, outputTokens);
    const qint64 cached = std::min(d.cached, inputTokens);

    MockScript s;
    s.delayMs = d.delayMs >= 0 ? d.delayMs : defaultDelayMs;
    s.dropAfter = d.dropAfter;
    s.stallMs = d.stallMs;
    s.inputTokens = inputTokens;
    s.outputTokens = outputTokens;

    if (api == Api::OpenAIChat) {
        const QString id = QStringLiteral("chatcmpl-mock-%1").arg(seq);
        const QString finish = truncated ? QStringLiteral("length") : QStringLiteral("stop");
        QJsonObject usage {
            {QStringLiteral("prompt_tokens"), inputTokens},
            {QStringLiteral("completion_tokens"), outputTokens},
            {QStringLiteral("total_tokens"), inputTokens + outputTokens},
            {QStringLiteral("prompt_tokens_details"), QJsonObject {{QStringLiteral("cached_tokens"), cached}}}};
        if (toolCall) {
            const QJsonObject call {
                {QStringLiteral("id"), toolCall->callId},
                {QStringLiteral("type"), QStringLiteral("function")},
                {QStringLiteral("function"),
                 QJsonObject {{QStringLiteral("name"), toolCall->name},
                              {QStringLiteral("arguments"), QString::fromUtf8(toolCall->argumentsText())}}}};
            QJsonObject indexed = call; // a stream's tool call says which one it is
            indexed.insert(QStringLiteral("index"), 0);
            const QJsonObject choice {
                {QStringLiteral("index"), 0},
                {stream ? QStringLiteral("delta") : QStringLiteral("message"),
                 QJsonObject {{QStringLiteral("role"), QStringLiteral("assistant")},
                              {QStringLiteral("content"), QJsonValue::Null},
                              {QStringLiteral("tool_calls"), QJsonArray {stream ? indexed : call}}}},
                {QStringLiteral("finish_reason"), QStringLiteral("tool_calls")}};
            QJsonObject out {{QStringLiteral("id"), id},
                             {QStringLiteral("object"),
                              stream ? QStringLiteral("chat.completion.chunk") : QStringLiteral("chat.completion")},
                             {QStringLiteral("created"), created},
                             {QStringLiteral("model"), model},
                             {QStringLiteral("choices"), QJsonArray {choice}}};
            if (!stream) {
                if (!d.noUsage)
                    out.insert(QStringLiteral("usage"), usage);
                s.pieces << json(out);
                return s;
            }
            s.contentType = "text/event-stream";
            s.pieces << sse(out);
            if (body.value(QLatin1String("stream_options")).toObject().value(QLatin1String("include_usage")).toBool()
                && !d.noUsage)
                s.pieces << sse({{QStringLiteral("id"), id},
                                 {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                                 {QStringLiteral("created"), created},
                                 {QStringLiteral("model"), model},
                                 {QStringLiteral("choices"), QJsonArray {}},
                                 {QStringLiteral("usage"), usage}});
            s.pieces << "data: [DONE]\n\n";
            return s;
        }
        if (!stream) {
            QJsonObject out {
                {QStringLiteral("id"), id},
                {QStringLiteral("object"), QStringLiteral("chat.completion")},
                {QStringLiteral("created"), created},
                {QStringLiteral("model"), model},
                {QStringLiteral("choices"),
                 QJsonArray {QJsonObject {{QStringLiteral("index"), 0},
                                          {QStringLiteral("message"),
                                           QJsonObject {{QStringLiteral("role"), QStringLiteral("assistant")},
                                                        {QStringLiteral("content"), words.joined()}}},
                                          {QStringLiteral("finish_reason"), finish}}}}};
            if (!d.noUsage)
                out.insert(QStringLiteral("usage"), usage);
            s.pieces << json(out);
            return s;
        }
        s.contentType = "text/event-stream";
        auto chunk = [id, created, model](const QJsonObject& delta, const QJsonValue& finishReason) {
            return sse({{QStringLiteral("id"), id},
                        {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                        {QStringLiteral("created"), created},
                        {QStringLiteral("model"), model},
                        {QStringLiteral("choices"),
                         QJsonArray {QJsonObject {{QStringLiteral("index"), 0},
                                                  {QStringLiteral("delta"), delta},
                                                  {QStringLiteral("finish_reason"), finishReason}}}}});
        };
        s.pieces << chunk(
            {{QStringLiteral("role"), QStringLiteral("assistant")}, {QStringLiteral("content"), QString()}},
            QJsonValue::Null);
        s.generated = words.count;
        s.generate = [chunk, words](qsizetype i) {
            return chunk({{QStringLiteral("content"), i ? u' ' + words.at(i) : words.at(i)}}, QJsonValue::Null);
        };
        s.tail << chunk({}, finish);
        const bool includeUsage =
            body.value(QLatin1String("stream_options")).toObject().value(QLatin1String("include_usage")).toBool();
        if (includeUsage && !d.noUsage)
            s.tail << sse({{QStringLiteral("id"), id},
                           {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                           {QStringLiteral("created"), created},
                           {QStringLiteral("model"), model},
                           {QStringLiteral("choices"), QJsonArray {}},
                           {QStringLiteral("usage"), usage}});
        s.tail << "data: [DONE]\n\n";
        return s;
    }

    // Anthropic messages
    const QString id = QStringLiteral("msg_mock_%1").arg(seq);
    const QString stop = toolCall ? QStringLiteral("tool_use")
        : truncated               ? QStringLiteral("max_tokens")
                                  : QStringLiteral("end_turn");
    // As Anthropic does for a request with cache_control breakpoints: part of the prompt is written to the cache,
    // for 5 minutes, or an hour when a breakpoint asks for ttl 1h.
    const QByteArray sent = json(body);
    const qint64 written = std::min(inputTokens - cached,
                                    d.cacheWrite >= 0                        ? d.cacheWrite
                                        : sent.contains("\"cache_control\"") ? (inputTokens - cached) / 2
                                                                             : 0);
    const bool forAnHour = sent.contains("\"ttl\":\"1h\"");
    const qint64 uncachedInput = inputTokens - cached - written;
    const QJsonObject creation {{QStringLiteral("ephemeral_5m_input_tokens"), forAnHour ? 0 : written},
                                {QStringLiteral("ephemeral_1h_input_tokens"), forAnHour ? written : 0}};
    QJsonArray content {
        QJsonObject {{QStringLiteral("type"), QStringLiteral("text")}, {QStringLiteral("text"), words.joined()}}};
    if (toolCall)
        content = QJsonArray {
            QJsonObject {{QStringLiteral("type"), QStringLiteral("tool_use")},
                         {QStringLiteral("id"),
                          QString(toolCall->callId).replace(QStringLiteral("call_"), QStringLiteral("toolu_"))},
                         {QStringLiteral("name"), toolCall->name},
                         {QStringLiteral("input"), toolCall->arguments}}};
    if (!stream) {
        QJsonObject out {{QStringLiteral("id"), id},
                         {QStringLiteral("type"), QStringLiteral("message")},
                         {QStringLiteral("role"), QStringLiteral("assistant")},
                         {QStringLiteral("model"), model},
                         {QStringLiteral("content"), content},
                         {QStringLiteral("stop_reason"), stop},
                         {QStringLiteral("stop_sequence"), QJsonValue::Null}};
        if (!d.noUsage)
            out.insert(QStringLiteral("usage"),
                       QJsonObject {{QStringLiteral("input_tokens"), uncachedInput},
                                    {QStringLiteral("cache_read_input_tokens"), cached},
                                    {QStringLiteral("cache_creation_input_tokens"), written},
                                    {QStringLiteral("cache_creation"), creation},
                                    {QStringLiteral("output_tokens"), outputTokens}});
        s.pieces << json(out);
        return s;
    }
    s.contentType = "text/event-stream";
    QJsonObject startUsage {{QStringLiteral("input_tokens"), uncachedInput},
                            {QStringLiteral("cache_read_input_tokens"), cached},
                            {QStringLiteral("cache_creation_input_tokens"), written},
                            {QStringLiteral("cache_creation"), creation},
                            {QStringLiteral("output_tokens"), 1}};
    QJsonObject message {{QStringLiteral("id"), id},
                         {QStringLiteral("type"), QStringLiteral("message")},
                         {QStringLiteral("role"), QStringLiteral("assistant")},
                         {QStringLiteral("model"), model},
                         {QStringLiteral("content"), QJsonArray {}},
                         {QStringLiteral("stop_reason"), QJsonValue::Null},
                         {QStringLiteral("stop_sequence"), QJsonValue::Null}};
    if (!d.noUsage)
        message.insert(QStringLiteral("usage"), startUsage);
    s.pieces << anthropicEvent(
        "message_start",
        {{QStringLiteral("type"), QStringLiteral("message_start")}, {QStringLiteral("message"), message}});
    if (toolCall) {
        QJsonObject block = content[0].toObject();
        block.insert(QStringLiteral("input"), QJsonObject {});
        s.pieces << anthropicEvent("content_block_start",
                                   {{QStringLiteral("type"), QStringLiteral("content_block_start")},
                                    {QStringLiteral("index"), 0},
                                    {QStringLiteral("content_block"), block}});
        s.pieces << anthropicEvent(
            "content_block_delta",
            {{QStringLiteral("type"), QStringLiteral("content_block_delta")},
             {QStringLiteral("index"), 0},
             {QStringLiteral("delta"),
              QJsonObject {{QStringLiteral("type"), QStringLiteral("input_json_delta")},
                           {QStringLiteral("partial_json"), QString::fromUtf8(toolCall->argumentsText())}}}});
    } else {
        s.pieces << anthropicEvent(
            "content_block_start",
            {{QStringLiteral("type"), QStringLiteral("content_block_start")},
             {QStringLiteral("index"), 0},
             {QStringLiteral("content_block"),
              QJsonObject {{QStringLiteral("type"), QStringLiteral("text")}, {QStringLiteral("text"), QString()}}}});
        s.generated = words.count;
    }
    s.generate = [words](qsizetype i) {
        return anthropicEvent("content_block_delta",
                              {{QStringLiteral("type"), QStringLiteral("content_block_delta")},
                               {QStringLiteral("index"), 0},
                               {QStringLiteral("delta"),
                                QJsonObject {{QStringLiteral("type"), QStringLiteral("text_delta")},
                                             {QStringLiteral("text"), i ? u' ' + words.at(i) : words.at(i)}}}});
    };
    s.tail << anthropicEvent(
        "content_block_stop",
        {{QStringLiteral("type"), QStringLiteral("content_block_stop")}, {QStringLiteral("index"), 0}});
    QJsonObject delta {
        {QStringLiteral("type"), QStringLiteral("message_delta")},
        {QStringLiteral("delta"),
         QJsonObject {{QStringLiteral("stop_reason"), stop}, {QStringLiteral("stop_sequence"), QJsonValue::Null}}}};
    if (!d.noUsage)
        delta.insert(QStringLiteral("usage"), QJsonObject {{QStringLiteral("output_tokens"), outputTokens}});
    s.tail << anthropicEvent("message_delta", delta);
    s.tail << anthropicEvent("message_stop", {{QStringLiteral("type"), QStringLiteral("message_stop")}});
    return s;
}

MockScript mockTokenCount(const QJsonObject& body)
{
    qint64 tokens = 3;
    if (body.contains(QLatin1String("system")))
        tokens += tokensOf(textOf(body.value(QLatin1String("system")))) + 3;
    for (const QJsonValue& m : body.value(QLatin1String("messages")).toArray())
        tokens += tokensOf(textOf(m.toObject().value(QLatin1String("content")))) + 3;
    MockScript s;
    s.inputTokens = tokens;
    s.pieces << json({{QStringLiteral("input_tokens"), tokens}});
    return s;
}

void MockHandler::handle(http::Exchange& exchange)
{
    const http::Request& req = exchange.request();
    std::optional<Api> api;
    const bool countTokens = req.path.endsWith("/messages/count_tokens");
    if (req.path.endsWith("/chat/completions"))
        api = Api::OpenAIChat;
    else if (req.path.endsWith("/responses"))
        api = Api::OpenAIResponses;
    else if (countTokens)
        api = Api::AnthropicMessages;
    else if (req.path.endsWith("/embeddings"))
        api = Api::OpenAIEmbeddings;
    else if (req.path.endsWith("/messages"))
        api = Api::AnthropicMessages;
    if (req.path == "/healthz") {
        exchange.respond(http::Response::json(200, "{\"status\":\"ok\"}"));
        return;
    }
    if (!api || req.method != "POST") {
        exchange.respond(http::Response::json(
            404, "{\"error\":{\"message\":\"no such route\",\"type\":\"invalid_request_error\"}}"));
        return;
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(req.body, &error);
    if (!doc.isObject()) {
        exchange.respond(http::Response::json(
            400, "{\"error\":{\"message\":\"the body is not a JSON object\",\"type\":\"invalid_request_error\"}}"));
        return;
    }
    auto script = std::make_shared<MockScript>(countTokens ? mockTokenCount(doc.object())
                                                           : mockAnswer(*api, doc.object(), m_delayMs));
    QPointer<http::Exchange> ex(&exchange);
    // Pieces from `from` on; a stall after the first one continues on a timer.
    const auto piecesFrom = std::make_shared<std::function<void(qsizetype)>>();
    *piecesFrom = [ex, script, weak = std::weak_ptr(piecesFrom)](qsizetype from) {
        if (!ex)
            return;
        for (qsizetype i = from; i < script->count(); ++i) {
            if (i == script->dropAfter) {
                ex->abort();
                return;
            }
            if (i == 1 && from == 0 && script->stallMs > 0) {
                if (auto next = weak.lock())
                    QTimer::singleShot(script->stallMs, ex.data(), [next] { (*next)(1); });
                return;
            }
            // A batch per turn of the event loop, and nothing more while the client has not taken what was sent.
            if (i > from && (ex->isBackedUp() || (i - from) % 64 == 0)) {
                auto next = weak.lock();
                if (!next)
                    return;
                if (ex->isBackedUp())
                    QObject::connect(
                        ex.data(), &http::Exchange::drained, ex.data(), [next, i] { (*next)(i); },
                        Qt::SingleShotConnection);
                else
                    QTimer::singleShot(0, ex.data(), [next, i] { (*next)(i); });
                return;
            }
            ex->write(script->piece(i));
        }
        ex->endStream();
    };
    auto play = [ex, script, piecesFrom] {
        if (!ex)
            return;
        http::Headers h;
        h.add("Content-Type", script->contentType);
        if (script->contentType != "text/event-stream") {
            http::Response r;
            r.status = script->status;
            r.headers = h;
            r.body = script->pieces.value(0);
            ex->respond(std::move(r));
            return;
        }
        ex->beginStream(script->status, h);
        (*piecesFrom)(0);
    };
    if (script->delayMs > 0)
        QTimer::singleShot(script->delayMs, &exchange, play);
    else
        play();
}

} // namespace tollgate::llm
