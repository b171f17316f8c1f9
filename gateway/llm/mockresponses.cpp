#include "gateway/llm/mockparts.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

// The mock provider's answers on OpenAI's Responses API: a response object, or its stream of typed events
// (response.created … response.output_text.delta … response.completed), with a reasoning item when the request asks
// for reasoning and a function call on [mock:tool].
namespace tollgate::llm::mock {

namespace {

QByteArray event(const QJsonObject& data)
{
    return "event: " + data.value(QLatin1String("type")).toString().toUtf8() + "\ndata: " + json(data) + "\n\n";
}

// The prompt of a Responses request: the instructions and every input item (messages by their text, other items
// by their size); the last user message carries the directives.
struct ResponsesPrompt
{
    qint64 inputTokens = 3;
    QString lastUser;
    bool afterToolResult = false;
};

ResponsesPrompt promptOf(const QJsonObject& body)
{
    ResponsesPrompt p;
    if (body.value(QLatin1String("instructions")).isString())
        p.inputTokens += tokensOf(body.value(QLatin1String("instructions")).toString()) + 3;
    const QJsonValue input = body.value(QLatin1String("input"));
    if (input.isString()) {
        p.lastUser = input.toString();
        p.inputTokens += tokensOf(p.lastUser) + 3;
        return p;
    }
    for (const QJsonValue& v : input.toArray()) {
        const QJsonObject item = v.toObject();
        const QString type = item.value(QLatin1String("type")).toString();
        if (item.contains(QLatin1String("content"))) {
            const QString text = textOf(item.value(QLatin1String("content")));
            p.inputTokens += tokensOf(text) + 3;
            if (item.value(QLatin1String("role")).toString() == u"user")
                p.lastUser = text;
        } else {
            p.inputTokens += tokensOf(QString::fromUtf8(json(item))) + 3;
        }
        p.afterToolResult = type.endsWith(u"call_output");
    }
    return p;
}

} // namespace

MockScript responsesAnswer(const QJsonObject& body, int defaultDelayMs)
{
    const QString model = body.value(QLatin1String("model")).toString();
    const bool stream = body.value(QLatin1String("stream")).toBool();
    const quint64 seq = nextSequence();
    const qint64 created = QDateTime::currentSecsSinceEpoch();
    const ResponsesPrompt prompt = promptOf(body);
    const Directives d = directivesIn(prompt.lastUser);
    if (d.status != 200)
        return errorScript(Api::OpenAIResponses, d.status, QStringLiteral("mock error %1 as asked").arg(d.status));
    const std::optional<ToolCall> toolCall = toolCallFor(Api::OpenAIResponses, body, d, prompt.afterToolResult);

    qint64 maxTokens = body.value(QLatin1String("max_output_tokens")).toInteger(0);
    if (maxTokens <= 0)
        maxTokens = 4096;
    const QJsonObject reasoningAsked = body.value(QLatin1String("reasoning")).toObject();
    const bool reasons =
        !reasoningAsked.isEmpty() && reasoningAsked.value(QLatin1String("effort")).toString() != u"none";
    const qint64 reasoningTokens = reasons ? std::min<qint64>(6, maxTokens - 1) : 0;
    const qint64 wanted = d.tokens >= 0 ? d.tokens : 8 + qint64(prompt.lastUser.size() % 17);
    const qint64 textTokens = std::max<qint64>(1, std::min(wanted, maxTokens - reasoningTokens));
    const bool truncated = wanted + reasoningTokens > maxTokens;
    const qint64 outputTokens = toolCall ? 12 : textTokens + reasoningTokens;
    const ReplyWords words = replyWords(model, prompt.lastUser, textTokens);
    const qint64 cached = std::min(d.cached, prompt.inputTokens);

    MockScript s;
    s.delayMs = d.delayMs >= 0 ? d.delayMs : defaultDelayMs;
    s.dropAfter = d.dropAfter;
    s.stallMs = d.stallMs;
    s.inputTokens = prompt.inputTokens;
    s.outputTokens = outputTokens;

    const QString id = QStringLiteral("resp_mock_%1").arg(seq);
    const QString messageId = QStringLiteral("msg_mock_%1").arg(seq);
    const QString status = truncated && !toolCall ? QStringLiteral("incomplete") : QStringLiteral("completed");
    const QJsonObject usage {
        {QStringLiteral("input_tokens"), prompt.inputTokens},
        {QStringLiteral("input_tokens_details"), QJsonObject {{QStringLiteral("cached_tokens"), cached}}},
        {QStringLiteral("output_tokens"), outputTokens},
        {QStringLiteral("output_tokens_details"), QJsonObject {{QStringLiteral("reasoning_tokens"), reasoningTokens}}},
        {QStringLiteral("total_tokens"), prompt.inputTokens + outputTokens}};
    const auto response = [=](const QString& state, const QJsonArray& output, bool withUsage) {
        QJsonObject r {
            {QStringLiteral("id"), id},
            {QStringLiteral("object"), QStringLiteral("response")},
            {QStringLiteral("created_at"), created},
            {QStringLiteral("status"), state},
            {QStringLiteral("error"), QJsonValue::Null},
            {QStringLiteral("incomplete_details"),
             state == u"incomplete"
                 ? QJsonValue(QJsonObject {{QStringLiteral("reason"), QStringLiteral("max_output_tokens")}})
                 : QJsonValue()},
            {QStringLiteral("instructions"), body.value(QLatin1String("instructions"))},
            {QStringLiteral("max_output_tokens"), body.value(QLatin1String("max_output_tokens"))},
            {QStringLiteral("model"), model},
            {QStringLiteral("output"), output},
            {QStringLiteral("parallel_tool_calls"), true},
            {QStringLiteral("previous_response_id"), body.value(QLatin1String("previous_response_id"))},
            {QStringLiteral("reasoning"), reasoningAsked},
            {QStringLiteral("store"), body.value(QLatin1String("store")).toBool(true)},
            {QStringLiteral("temperature"), 1},
            {QStringLiteral("text"),
             QJsonObject {{QStringLiteral("format"), QJsonObject {{QStringLiteral("type"), QStringLiteral("text")}}}}},
            {QStringLiteral("tool_choice"), QStringLiteral("auto")},
            {QStringLiteral("tools"), body.value(QLatin1String("tools")).toArray()},
            {QStringLiteral("top_p"), 1},
            {QStringLiteral("truncation"), QStringLiteral("disabled")},
            {QStringLiteral("usage"), withUsage && !d.noUsage ? QJsonValue(usage) : QJsonValue()},
            {QStringLiteral("metadata"), QJsonObject {}}};
        return r;
    };
    const QJsonObject reasoningItem {{QStringLiteral("type"), QStringLiteral("reasoning")},
                                     {QStringLiteral("id"), QStringLiteral("rs_mock_%1").arg(seq)},
                                     {QStringLiteral("summary"), QJsonArray {}}};
    const auto message = [&](const QString& text, const QString& state) {
        return QJsonObject {{QStringLiteral("type"), QStringLiteral("message")},
                            {QStringLiteral("id"), messageId},
                            {QStringLiteral("status"), state},
                            {QStringLiteral("role"), QStringLiteral("assistant")},
                            {QStringLiteral("content"),
                             state == u"in_progress"
                                 ? QJsonArray {}
                                 : QJsonArray {QJsonObject {{QStringLiteral("type"), QStringLiteral("output_text")},
                                                            {QStringLiteral("text"), text},
                                                            {QStringLiteral("annotations"), QJsonArray {}}}}}};
    };
    QJsonObject call;
    if (toolCall)
        call = {{QStringLiteral("type"), QStringLiteral("function_call")},
                {QStringLiteral("id"), QStringLiteral("fc_mock_%1").arg(seq)},
                {QStringLiteral("call_id"), toolCall->callId},
                {QStringLiteral("name"), toolCall->name},
                {QStringLiteral("arguments"), QString::fromUtf8(toolCall->argumentsText())},
                {QStringLiteral("status"), QStringLiteral("completed")}};
    QJsonArray output;
    if (reasons)
        output.append(reasoningItem);
    output.append(toolCall ? call : message(words.joined(), QStringLiteral("completed")));

    if (!stream) {
        s.pieces << json(response(status, output, true));
        return s;
    }
    s.contentType = "text/event-stream";
    // Sequence numbers count every event; the generated deltas are numbered when they are made.
    qint64 n = 0;
    const auto typed = [&n](const char* type, QJsonObject data) {
        data.insert(QStringLiteral("type"), QLatin1String(type));
        data.insert(QStringLiteral("sequence_number"), n++);
        return event(data);
    };
    s.pieces << typed("response.created",
                      {{QStringLiteral("response"), response(QStringLiteral("in_progress"), {}, false)}});
    s.pieces << typed("response.in_progress",
                      {{QStringLiteral("response"), response(QStringLiteral("in_progress"), {}, false)}});
    int index = 0;
    if (reasons) {
        s.pieces << typed("response.output_item.added",
                          {{QStringLiteral("output_index"), index}, {QStringLiteral("item"), reasoningItem}});
        s.pieces << typed("response.output_item.done",
                          {{QStringLiteral("output_index"), index}, {QStringLiteral("item"), reasoningItem}});
        ++index;
    }
    if (toolCall) {
        QJsonObject started = call;
        started.insert(QStringLiteral("arguments"), QString());
        started.insert(QStringLiteral("status"), QStringLiteral("in_progress"));
        s.pieces << typed("response.output_item.added",
                          {{QStringLiteral("output_index"), index}, {QStringLiteral("item"), started}});
        s.pieces << typed("response.function_call_arguments.delta",
                          {{QStringLiteral("item_id"), call.value(QLatin1String("id"))},
                           {QStringLiteral("output_index"), index},
                           {QStringLiteral("delta"), call.value(QLatin1String("arguments"))}});
        s.pieces << typed("response.function_call_arguments.done",
                          {{QStringLiteral("item_id"), call.value(QLatin1String("id"))},
                           {QStringLiteral("output_index"), index},
                           {QStringLiteral("arguments"), call.value(QLatin1String("arguments"))}});
        s.pieces << typed("response.output_item.done",
                          {{QStringLiteral("output_index"), index}, {QStringLiteral("item"), call}});
    } else {
        const QJsonObject part {{QStringLiteral("type"), QStringLiteral("output_text")},
                                {QStringLiteral("text"), QString()},
                                {QStringLiteral("annotations"), QJsonArray {}}};
        s.pieces << typed("response.output_item.added",
                          {{QStringLiteral("output_index"), index},
                           {QStringLiteral("item"), message({}, QStringLiteral("in_progress"))}});
        s.pieces << typed("response.content_part.added",
                          {{QStringLiteral("item_id"), messageId},
                           {QStringLiteral("output_index"), index},
                           {QStringLiteral("content_index"), 0},
                           {QStringLiteral("part"), part}});
        const qint64 first = n;
        s.generated = words.count;
        s.generate = [words, first, messageId, index](qsizetype i) {
            return event({{QStringLiteral("type"), QStringLiteral("response.output_text.delta")},
                          {QStringLiteral("sequence_number"), first + i},
                          {QStringLiteral("item_id"), messageId},
                          {QStringLiteral("output_index"), index},
                          {QStringLiteral("content_index"), 0},
                          {QStringLiteral("delta"), i ? u' ' + words.at(i) : words.at(i)},
                          {QStringLiteral("logprobs"), QJsonArray {}}});
        };
        n += words.count;
        QJsonObject done = part;
        done.insert(QStringLiteral("text"), words.joined());
        s.tail << typed("response.output_text.done",
                        {{QStringLiteral("item_id"), messageId},
                         {QStringLiteral("output_index"), index},
                         {QStringLiteral("content_index"), 0},
                         {QStringLiteral("text"), words.joined()},
                         {QStringLiteral("logprobs"), QJsonArray {}}});
        s.tail << typed("response.content_part.done",
                        {{QStringLiteral("item_id"), messageId},
                         {QStringLiteral("output_index"), index},
                         {QStringLiteral("content_index"), 0},
                         {QStringLiteral("part"), done}});
        s.tail << typed("response.output_item.done",
                        {{QStringLiteral("output_index"), index},
                         {QStringLiteral("item"), message(words.joined(), QStringLiteral("completed"))}});
    }
    const char* last = status == u"incomplete" ? "response.incomplete" : "response.completed";
    s.tail << typed(last, {{QStringLiteral("response"), response(status, output, true)}});
    return s;
}

} // namespace tollgate::llm::mock
