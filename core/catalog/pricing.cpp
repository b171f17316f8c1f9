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

Result<Money> price(const QJsonObject& o, const char* key, const QString& field)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined())
        return Money(0);
    // Prices are written as strings ("2.50") so that no binary floating point ever touches them.
    if (!v.isString())
        return Error::invalid(field + u'.' + QLatin1String(key), Catalog::tr("must be a string such as \"2.50\""));
    return money::parsePricePerMillion(v.toString(), field + u'.' + QLatin1String(key));
}

} // namespace

Money costOf(const ModelInfo& model, const TokenUsage& usage)
{
    const qint64 cached = std::clamp<qint64>(usage.cachedTokens, 0, usage.inputTokens);
    const qint64 uncached = usage.inputTokens - cached;
    return uncached * model.inputPrice + cached * model.cachedInputPrice + usage.outputTokens * model.outputPrice;
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

    static const QSet<QString> modelFields {
        QStringLiteral("id"),     QStringLiteral("provider"),        QStringLiteral("upstreamName"),
        QStringLiteral("tier"),   QStringLiteral("input"),           QStringLiteral("cachedInput"),
        QStringLiteral("output"), QStringLiteral("maxOutputTokens"), QStringLiteral("contextWindow"),
        QStringLiteral("source"), QStringLiteral("outputCapField")};
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
        auto in = price(m, "input", field);
        auto cached = price(m, "cachedInput", field);
        auto out = price(m, "output", field);
        for (const auto* r : {&in, &cached, &out})
            if (!r->ok())
                return r->error();
        info.inputPrice = in.value();
        info.cachedInputPrice = m.contains(QLatin1String("cachedInput")) ? cached.value() : in.value();
        info.outputPrice = out.value();
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
