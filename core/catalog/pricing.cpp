#include "core/catalog/pricing.h"

#include "core/catalog/catalog.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

namespace tollgate {

namespace {

Result<Money> price(const QJsonObject& o, const PriceComponent& c, const QString& field)
{
    const QJsonValue v = o.value(c.key);
    // Prices are written as strings ("2.50") so that no binary floating point ever touches them.
    if (!v.isString())
        return Error::invalid(field + u'.' + c.key, Catalog::tr("must be a string such as \"2.50\""));
    return parseComponentPrice(c, v.toString(), field + u'.' + c.key);
}

} // namespace

namespace {

// a x num / den, rounded up: a default is never below the provider's rule.
Money scaledUp(Money a, int num, int den) { return (a * num + den - 1) / den; }

} // namespace

Result<Money> parseComponentPrice(const PriceComponent& c, const QString& text, const QString& field)
{
    return c.unit == PriceComponent::PerThousandCalls ? money::parsePricePerThousand(text, field)
                                                      : money::parsePricePerMillion(text, field);
}

QString formatComponentPrice(const PriceComponent& c, Money value)
{
    return c.unit == PriceComponent::PerThousandCalls ? money::formatPricePerThousand(value)
                                                      : money::formatPricePerMillion(value);
}

qint64 defaultMaxImageTokens(ProviderKind kind)
{
    switch (kind) {
    // Anthropic scales every image down to about 1.15 megapixels: (width x height) / 750 is at most ~1,600 tokens.
    case ProviderKind::Anthropic: return 1'600;
    // OpenAI's tile rule for gpt-4o-class models: 85 + 170 per 512 px tile, at most 8 tiles after scaling to
    // 2048 x 768. Models that count differently (gpt-4o-mini: 2,833 + 5,667 a tile) say so in the catalog.
    case ProviderKind::OpenAICompatible: return 1'445;
    case ProviderKind::Mock: return 1'445;
    }
    return 1'600;
}

void resolvePrices(ModelInfo& m, ProviderKind kind)
{
    // In table order: every base comes before what defaults from it.
    for (qsizetype i = 0; i < qsizetype(priceComponents().size()); ++i) {
        const PriceComponent& c = priceComponents()[i];
        if (m.explicitPrices & (1u << i))
            continue;
        // OpenAI bills no cache writes (its usage never reports any): there they cost what input costs, so that
        // reservations are not raised for a class that cannot occur.
        const bool write = c.field == &ModelInfo::cacheWritePrice || c.field == &ModelInfo::cacheWrite1hPrice;
        if (c.base && write && kind == ProviderKind::OpenAICompatible)
            m.*c.field = m.*c.base;
        else if (c.base)
            m.*c.field = scaledUp(m.*c.base, c.num, c.den);
        else if (c.fixed)
            m.*c.field = c.fixed;
    }
    if (m.maxImageTokens <= 0)
        m.maxImageTokens = defaultMaxImageTokens(kind);
}

QString storedPrices(const ModelInfo& m)
{
    QJsonObject o;
    for (const PriceComponent& c : priceComponents())
        if (m.explicitPrices & (1u << (&c - priceComponents().data())))
            o.insert(c.key, qint64(m.*c.field));
    if (m.longContextThreshold > 0)
        o.insert(QLatin1String("longContextThreshold"), m.longContextThreshold);
    o.insert(QLatin1String("maxImageTokens"), m.maxImageTokens);
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

Status readStoredPrices(ModelInfo& m, const QString& json)
{
    const auto bit = [](Money ModelInfo::*field) {
        for (const PriceComponent& c : priceComponents())
            if (c.field == field)
                return 1u << (&c - priceComponents().data());
        return 0u;
    };
    if (json.isEmpty()) {
        m.explicitPrices =
            bit(&ModelInfo::inputPrice) | bit(&ModelInfo::cachedInputPrice) | bit(&ModelInfo::outputPrice);
        return {};
    }
    const QJsonObject o = QJsonDocument::fromJson(json.toUtf8()).object();
    if (o.isEmpty())
        return Error::storage(Catalog::tr("the prices of model %1 are not readable: %2").arg(m.id, json.left(200)));
    m.explicitPrices = 0;
    for (const PriceComponent& c : priceComponents()) {
        const QJsonValue v = o.value(c.key);
        if (v.isUndefined())
            continue;
        m.*c.field = v.toInteger();
        m.explicitPrices |= 1u << (&c - priceComponents().data());
    }
    // input and output are columns of their own and always explicit.
    m.explicitPrices |= bit(&ModelInfo::inputPrice) | bit(&ModelInfo::outputPrice);
    m.longContextThreshold = o.value(QLatin1String("longContextThreshold")).toInteger(0);
    m.maxImageTokens = o.value(QLatin1String("maxImageTokens")).toInteger(0);
    return {};
}

QJsonObject catalogModelJson(const ModelInfo& m, const QString& providerName)
{
    QJsonObject o {
        {QStringLiteral("id"), m.id},
        {QStringLiteral("provider"), providerName},
        {QStringLiteral("tier"), m.tier},
        {QStringLiteral("maxOutputTokens"), m.maxOutputTokens},
        {QStringLiteral("contextWindow"), m.contextWindow},
        {QStringLiteral("source"), m.priceSource.isEmpty() ? QStringLiteral("set by an admin") : m.priceSource}};
    if (m.upstreamName != m.id && !m.upstreamName.isEmpty())
        o.insert(QStringLiteral("upstreamName"), m.upstreamName);
    if (!m.outputCapField.isEmpty())
        o.insert(QStringLiteral("outputCapField"), m.outputCapField);
    for (const PriceComponent& c : priceComponents())
        if (m.explicitPrices & (1u << (&c - priceComponents().data())))
            o.insert(c.key, formatComponentPrice(c, m.*c.field));
    if (m.longContextThreshold > 0)
        o.insert(QStringLiteral("longContextThreshold"), m.longContextThreshold);
    o.insert(QStringLiteral("maxImageTokens"), m.maxImageTokens);
    return o;
}

QJsonObject usageExtras(const ModelInfo& m, const TokenUsage& u)
{
    QJsonObject o;
    for (const UsageClass& c : usageClasses())
        if (u.*c.field > 0)
            o.insert(c.key, u.*c.field);
    if (isLongContext(m, u.inputTokens))
        o.insert(QLatin1String("long_context"), true);
    return o;
}

TokenUsage usageOfRecord(const UsageRecord& r)
{
    TokenUsage u;
    u.inputTokens = r.inputTokens;
    u.cachedTokens = r.cachedTokens;
    u.outputTokens = r.outputTokens;
    if (r.extras.isEmpty())
        return u;
    const QJsonObject o = QJsonDocument::fromJson(r.extras.toUtf8()).object();
    for (const UsageClass& c : usageClasses())
        u.*c.field = o.value(c.key).toInteger();
    return u;
}

bool isLongContext(const ModelInfo& m, qint64 inputTokens)
{
    return m.longContextThreshold > 0 && inputTokens > m.longContextThreshold;
}

Money reservedInputPrice(const ModelInfo& m, qint64 inputTokens)
{
    Money p = std::max({m.inputPrice, m.cachedInputPrice, m.cacheWritePrice, m.cacheWrite1hPrice, m.audioInputPrice,
                        m.imageInputPrice});
    if (isLongContext(m, inputTokens))
        p = std::max({p, m.longInputPrice, m.longCachedInputPrice, m.longCacheWritePrice, m.longCacheWrite1hPrice});
    return p;
}

Money reservedOutputPrice(const ModelInfo& m, qint64 inputTokens)
{
    Money p = std::max({m.outputPrice, m.reasoningPrice, m.audioOutputPrice});
    if (isLongContext(m, inputTokens))
        p = std::max(p, m.longOutputPrice);
    return p;
}

Money costOf(const ModelInfo& m, const TokenUsage& u)
{
    // Each part of the input is taken from what is left, so the parts never add up to more than the whole.
    qint64 left = std::max<qint64>(0, u.inputTokens);
    const auto part = [&left](qint64 n) {
        const qint64 taken = std::clamp<qint64>(n, 0, left);
        left -= taken;
        return taken;
    };
    const qint64 cached = part(u.cachedTokens);
    const qint64 write5m = part(u.cacheWriteTokens);
    const qint64 write1h = part(u.cacheWrite1hTokens);
    const qint64 audioIn = part(u.audioInputTokens);
    const qint64 imageIn = part(u.imageInputTokens);
    const qint64 plainIn = left;
    left = std::max<qint64>(0, u.outputTokens);
    const qint64 audioOut = part(u.audioOutputTokens);
    const qint64 reasoning = part(u.reasoningTokens);
    const qint64 plainOut = left;

    const bool tier = isLongContext(m, u.inputTokens);
    Money cost = plainIn * (tier ? m.longInputPrice : m.inputPrice)
        + cached * (tier ? m.longCachedInputPrice : m.cachedInputPrice)
        + write5m * (tier ? m.longCacheWritePrice : m.cacheWritePrice)
        + write1h * (tier ? m.longCacheWrite1hPrice : m.cacheWrite1hPrice) + audioIn * m.audioInputPrice
        + imageIn * m.imageInputPrice + plainOut * (tier ? m.longOutputPrice : m.outputPrice)
        + reasoning * (tier ? std::max(m.longOutputPrice, m.reasoningPrice) : m.reasoningPrice)
        + audioOut * m.audioOutputPrice;
    cost += std::max<qint64>(0, u.webSearchCalls) * m.webSearchPrice
        + std::max<qint64>(0, u.codeExecutionCalls) * m.codeExecutionPrice;
    return cost;
}

Money withMarkup(Money cost, qint32 markupBasisPoints)
{
    __extension__ using Wide = __int128; // cost x 10,000 may exceed 64 bits
    const Wide scaled = Wide(cost) * (10'000 + markupBasisPoints);
    return Money((scaled + 5'000) / 10'000);
}

Result<CatalogFile> parseCatalog(const QByteArray& json)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (!doc.isObject())
        return Error::invalid(QStringLiteral("catalog"),
                              Catalog::tr("is not a JSON object: %1").arg(err.errorString()));
    const QJsonObject root = doc.object();
    for (auto it = root.begin(); it != root.end(); ++it)
        if (it.key() != QLatin1String("providers") && it.key() != QLatin1String("models")
            && it.key() != QLatin1String("aliases") && it.key() != QLatin1String("comment"))
            return Error::invalid(it.key(), Catalog::tr("is not a known catalog field"));

    CatalogFile cat;
    QHash<QString, int> providerIndex;
    const QJsonArray providers = root.value(QLatin1String("providers")).toArray();
    for (qsizetype i = 0; i < providers.size(); ++i) {
        const QString field = QStringLiteral("providers[%1]").arg(i);
        const QJsonObject p = providers[i].toObject();
        Provider prov;
        prov.name = p.value(QLatin1String("name")).toString();
        const auto kind = providerKindFromName(p.value(QLatin1String("kind")).toString());
        if (prov.name.isEmpty())
            return Error::invalid(field + QStringLiteral(".name"), Catalog::tr("is missing"));
        if (!kind)
            return Error::invalid(field + QStringLiteral(".kind"), Catalog::tr("must be openai, anthropic or mock"));
        if (providerIndex.contains(prov.name))
            return Error::invalid(field + QStringLiteral(".name"), Catalog::tr("is listed twice"));
        prov.kind = *kind;
        prov.baseUrl = p.value(QLatin1String("baseUrl")).toString();
        providerIndex.insert(prov.name, int(cat.providers.size()));
        cat.providers.append(prov);
    }

    static const QSet<QString> modelFields = [] {
        QSet<QString> f {QStringLiteral("id"),
                         QStringLiteral("provider"),
                         QStringLiteral("upstreamName"),
                         QStringLiteral("tier"),
                         QStringLiteral("maxOutputTokens"),
                         QStringLiteral("contextWindow"),
                         QStringLiteral("source"),
                         QStringLiteral("outputCapField"),
                         QStringLiteral("longContextThreshold"),
                         QStringLiteral("maxImageTokens")};
        for (const PriceComponent& c : priceComponents())
            f.insert(c.key);
        return f;
    }();
    QSet<QString> seen;
    const QJsonArray models = root.value(QLatin1String("models")).toArray();
    for (qsizetype i = 0; i < models.size(); ++i) {
        const QString field = QStringLiteral("models[%1]").arg(i);
        const QJsonObject m = models[i].toObject();
        for (auto it = m.begin(); it != m.end(); ++it)
            if (!modelFields.contains(it.key()))
                return Error::invalid(field + u'.' + it.key(), Catalog::tr("is not a known model field"));
        ModelInfo info;
        info.id = m.value(QLatin1String("id")).toString();
        if (info.id.isEmpty())
            return Error::invalid(field + QStringLiteral(".id"), Catalog::tr("is missing"));
        if (seen.contains(info.id))
            return Error::invalid(field + QStringLiteral(".id"), Catalog::tr("%1 is listed twice").arg(info.id));
        seen.insert(info.id);
        const QString provider = m.value(QLatin1String("provider")).toString();
        if (!providerIndex.contains(provider))
            return Error::invalid(field + QStringLiteral(".provider"),
                                  Catalog::tr("%1 is not a listed provider").arg(provider));
        info.providerId = providerIndex.value(provider) + 1;
        info.upstreamName = m.value(QLatin1String("upstreamName")).toString(info.id);
        info.tier = m.value(QLatin1String("tier")).toInt(1);
        if (info.tier < 1 || info.tier > 10)
            return Error::invalid(field + QStringLiteral(".tier"), Catalog::tr("must be between 1 and 10"));
        for (const PriceComponent& c : priceComponents()) {
            const qsizetype index = &c - priceComponents().data();
            if (!m.contains(c.key)) {
                if (!c.base && !c.fixed)
                    info.explicitPrices |= 1u << index; // input and output: free when not given
                continue;
            }
            auto v = price(m, c, field);
            if (!v.ok())
                return v.error();
            info.*c.field = v.value();
            info.explicitPrices |= 1u << index;
        }
        for (const char* key : {"longContextThreshold", "maxImageTokens"}) {
            const QJsonValue v = m.value(QLatin1String(key));
            if (!v.isUndefined()
                && (!v.isDouble() || v.toDouble() < 0 || v.toDouble() > 100'000'000
                    || double(v.toInteger()) != v.toDouble()))
                return Error::invalid(field + u'.' + QLatin1String(key),
                                      Catalog::tr("must be a whole number of tokens from 0 to 100,000,000"));
        }
        info.longContextThreshold = m.value(QLatin1String("longContextThreshold")).toInteger(0);
        info.maxImageTokens = m.value(QLatin1String("maxImageTokens")).toInteger(0);
        resolvePrices(info, cat.providers[info.providerId - 1].kind);
        info.maxOutputTokens = m.value(QLatin1String("maxOutputTokens")).toInteger(4096);
        info.contextWindow = m.value(QLatin1String("contextWindow")).toInteger(128'000);
        if (info.contextWindow < 1 || info.contextWindow > 100'000'000)
            return Error::invalid(field + QStringLiteral(".contextWindow"),
                                  Catalog::tr("must be between 1 and 100,000,000"));
        info.priceSource = m.value(QLatin1String("source")).toString();
        info.outputCapField = m.value(QLatin1String("outputCapField")).toString();
        if (!info.outputCapField.isEmpty() && info.outputCapField != u"max_tokens"
            && info.outputCapField != u"max_completion_tokens")
            return Error::invalid(field + QStringLiteral(".outputCapField"),
                                  Catalog::tr("must be max_completion_tokens or max_tokens"));
        if (info.priceSource.isEmpty())
            return Error::invalid(field + QStringLiteral(".source"), Catalog::tr("must say where the price came from"));
        cat.models.append(info);
    }

    const QJsonArray aliases = root.value(QLatin1String("aliases")).toArray();
    QSet<QString> patterns;
    for (qsizetype i = 0; i < aliases.size(); ++i) {
        const QString field = QStringLiteral("aliases[%1]").arg(i);
        const QJsonObject a = aliases[i].toObject();
        for (auto it = a.begin(); it != a.end(); ++it)
            if (it.key() != u"pattern" && it.key() != u"model" && it.key() != u"note")
                return Error::invalid(field + u'.' + it.key(), Catalog::tr("is not a known alias field"));
        const ModelAlias alias {a.value(QLatin1String("pattern")).toString(),
                                a.value(QLatin1String("model")).toString(), a.value(QLatin1String("note")).toString()};
        if (auto s = validateAliasPattern(alias.pattern); !s.ok())
            return Error::invalid(field + QStringLiteral(".pattern"), s.error().message);
        if (patterns.contains(alias.pattern) || seen.contains(alias.pattern))
            return Error::invalid(field + QStringLiteral(".pattern"),
                                  Catalog::tr("%1 is listed twice").arg(alias.pattern));
        if (!seen.contains(alias.modelId))
            return Error::invalid(field + QStringLiteral(".model"),
                                  Catalog::tr("%1 is not a listed model").arg(alias.modelId));
        patterns.insert(alias.pattern);
        cat.aliases.append(alias);
    }
    return cat;
}

Status validateAliasPattern(const QString& pattern)
{
    static const QRegularExpression allowed(QStringLiteral(R"(^[A-Za-z0-9*?][A-Za-z0-9._:/@*?-]{0,127}$)"));
    if (!allowed.match(pattern).hasMatch())
        return Error::invalid(QStringLiteral("pattern"),
                              Catalog::tr("must be 1 to 128 letters, digits, . _ : / @ - and the wildcards * and ?"));
    if (pattern.count(u'*') + pattern.count(u'?') == pattern.size())
        return Error::invalid(QStringLiteral("pattern"),
                              Catalog::tr("must name at least one character: a pattern of wildcards only would "
                                          "serve every id"));
    return {};
}

const CatalogFile& builtInCatalog()
{
    static const CatalogFile catalog = [] {
        QFile f(QStringLiteral(":/tollgate/catalog/models.json"));
        if (!f.open(QIODevice::ReadOnly))
            qFatal("the built-in model catalog is missing from the binary");
        auto r = parseCatalog(f.readAll());
        if (!r.ok())
            qFatal("the built-in model catalog is invalid: %s", qPrintable(r.error().toString()));
        return r.value();
    }();
    return catalog;
}

} // namespace tollgate
