#include "gateway/llm/bounds.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace tollgate::llm {

namespace {

const char* const kContext = "tollgate::llm::Bounds";

// Counts the images among the content of messages or input items, and notes the first part whose size is unknown.
void walkContent(const QJsonValue& v, const QString& path, RequestBounds& b)
{
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            walkContent(a[i], QStringLiteral("%1[%2]").arg(path).arg(i), b);
        return;
    }
    if (!v.isObject())
        return;
    const QJsonObject o = v.toObject();
    const QString type = o.value(QLatin1String("type")).toString();
    if (type == u"image_url" || type == u"input_image" || type == u"image") {
        ++b.images;
        return;
    }
    if (type == u"file" || type == u"input_file"
        || (type == u"document"
            && o.value(QLatin1String("source")).toObject().value(QLatin1String("type")).toString() != u"text"
            && o.value(QLatin1String("source")).toObject().value(QLatin1String("type")).toString() != u"content")) {
        // A PDF is billed as the text and an image of every page: how many pages a file holds is not known here.
        if (b.unbounded.isEmpty())
            b.unbounded = QCoreApplication::translate(kContext,
                                                      "%1 is a file (a PDF's pages are billed as text and "
                                                      "images, and their number is not known before the "
                                                      "request is sent)")
                              .arg(path);
        return;
    }
    for (auto it = o.begin(); it != o.end(); ++it)
        if (it->isArray() || it->isObject())
            walkContent(*it, path + u'.' + it.key(), b);
}

bool isPositive(const QJsonValue& v) { return v.isDouble() && v.toDouble() >= 1 && v.toDouble() <= 1e6; }

} // namespace

RequestBounds boundRequest(Api api, QJsonObject& body)
{
    RequestBounds b;
    if (api == Api::OpenAIEmbeddings)
        return b;
    if (api == Api::OpenAIResponses)
        walkContent(body.value(QLatin1String("input")), QStringLiteral("input"), b);
    else
        walkContent(body.value(QLatin1String("messages")), QStringLiteral("messages"), b);
    if (api == Api::AnthropicMessages)
        walkContent(body.value(QLatin1String("system")), QStringLiteral("system"), b);

    QJsonArray tools = body.value(QLatin1String("tools")).toArray();
    if (!tools.isEmpty())
        b.hiddenInputTokens += kToolPromptTokens;
    bool changed = false;
    for (qsizetype i = 0; i < tools.size(); ++i) {
        QJsonObject tool = tools[i].toObject();
        const QString type = tool.value(QLatin1String("type")).toString();
        if (api == Api::AnthropicMessages) {
            if (type.startsWith(u"web_search")) {
                if (!isPositive(tool.value(QLatin1String("max_uses")))) {
                    tool.insert(QStringLiteral("max_uses"), kDefaultServerToolUses);
                    tools[i] = tool;
                    changed = true;
                }
                const qint64 uses = tool.value(QLatin1String("max_uses")).toInteger();
                b.webSearches += uses;
                b.hiddenInputTokens += uses * kSearchResultTokens;
            } else if (!type.isEmpty() && type != u"custom") {
                b.hiddenInputTokens += kProviderToolTokens; // bash_20250124, text_editor_..., computer_...
                if (type.startsWith(u"web_fetch"))
                    b.hiddenInputTokens += kSearchResultTokens * kDefaultServerToolUses; // fetched pages are input
            }
        } else if (api == Api::OpenAIResponses && (type.startsWith(u"web_search") || type == u"code_interpreter")) {
            b.countToolItems = true; // built-in tools, all bounded by max_tool_calls
        }
    }
    if (changed)
        body.insert(QStringLiteral("tools"), tools);
    if (b.countToolItems) {
        // max_tool_calls bounds the built-in tool calls of a response, whichever tools they are.
        if (!isPositive(body.value(QLatin1String("max_tool_calls"))))
            body.insert(QStringLiteral("max_tool_calls"), kDefaultServerToolUses);
        const qint64 calls = body.value(QLatin1String("max_tool_calls")).toInteger();
        bool search = false, code = false;
        for (const QJsonValue& t : std::as_const(tools)) {
            const QString type = t.toObject().value(QLatin1String("type")).toString();
            search = search || type.startsWith(u"web_search");
            code = code || type == u"code_interpreter";
        }
        if (search) {
            b.webSearches = calls;
            b.hiddenInputTokens += calls * kSearchResultTokens;
        }
        if (code)
            b.codeSessions = calls;
    }
    if (api == Api::OpenAIChat && body.contains(QLatin1String("web_search_options"))) {
        b.chatWebSearches = 1; // a search model searches once a request
        b.webSearches = 1;
        b.hiddenInputTokens += kSearchResultTokens;
    }
    return b;
}

} // namespace tollgate::llm
