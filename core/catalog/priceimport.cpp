#include "core/catalog/priceimport.h"

#include "core/catalog/catalog.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace tollgate {

namespace {

const QLatin1StringView kPublicFormat("model_prices_and_context_window");

// A dollar amount written as a JSON number (2.5e-06) to nano-dollars, exactly: from its shortest decimal form, so
// that no binary rounding decides a price. False when it is not a whole number of nano-dollars.
bool exactNanos(double dollars, qint64* out)
{
    if (!(dollars >= 0) || dollars > 1e6)
        return false;
    const QString text = QString::number(dollars, 'g', QLocale::FloatingPointShortest);
    const qsizetype e = text.indexOf(u'e');
    QString mantissa = e < 0 ? text : text.left(e);
    int exponent = e < 0 ? 0 : text.mid(e + 1).toInt();
    const qsizetype dot = mantissa.indexOf(u'.');
    if (dot >= 0) {
        exponent -= int(mantissa.size() - dot - 1);
        mantissa.remove(dot, 1);
    }
    qint64 digits = mantissa.toLongLong();
    exponent += 9; // dollars to nano-dollars
    for (; exponent < 0; ++exponent) {
        if (digits % 10)
            return false;
        digits /= 10;
    }
    for (; exponent > 0; --exponent)
        digits *= 10;
    *out = digits;
    return true;
}

QString componentText(const PriceComponent& c, Money v) { return formatComponentPrice(c, v); }

// What changed from `before` to `after`, component by component.
void diff(const ModelInfo& before, const ModelInfo& after, QList<PriceChange>& out)
{
    // A component that follows its default on both sides moves with its base, which is listed: not listed again.
    const auto isSet = [](const ModelInfo& m, const PriceComponent& c) {
        return bool(m.explicitPrices & (1u << (&c - priceComponents().data())));
    };
    for (const PriceComponent& c : priceComponents())
        if (before.*c.field != after.*c.field && (isSet(before, c) || isSet(after, c)))
            out.append({PriceChange::Kind::Changed, after.id, c.key, componentText(c, before.*c.field),
                        componentText(c, after.*c.field)});
    const struct
    {
        const char* key;
        qint64 ModelInfo::*field;
    } numbers[] = {{"contextWindow", &ModelInfo::contextWindow},
                   {"maxOutputTokens", &ModelInfo::maxOutputTokens},
                   {"longContextThreshold", &ModelInfo::longContextThreshold},
                   {"maxImageTokens", &ModelInfo::maxImageTokens}};
    for (const auto& n : numbers)
        if (before.*n.field != after.*n.field)
            out.append({PriceChange::Kind::Changed, after.id, QString::fromLatin1(n.key),
                        QString::number(before.*n.field), QString::number(after.*n.field)});
}

const ModelInfo* findModel(const Snapshot& s, const QString& name)
{
    if (const ModelInfo* m = s.model(name))
        return m;
    for (const ModelInfo& m : s.models)
        if (m.upstreamName == name)
            return &m;
    return nullptr;
}

const Provider* firstProvider(const Snapshot& s, ProviderKind kind)
{
    const Provider* best = nullptr;
    for (const Provider& p : s.providers)
        if (p.kind == kind && (!best || p.id < best->id))
            best = &p;
    return best;
}

void addOrChange(PriceImport& plan, const ModelInfo* before, ModelInfo after)
{
    if (!before) {
        plan.changes.append({PriceChange::Kind::Added, after.id, {}, {}, {}});
        plan.models.append(after);
        return;
    }
    const qsizetype count = plan.changes.size();
    diff(*before, after, plan.changes);
    if (plan.changes.size() == count && before->priceSource == after.priceSource)
        ++plan.unchanged;
    else
        plan.models.append(after);
}

Result<PriceImport> planPublic(const QJsonObject& root, const Snapshot& s, const PriceImportOptions& options)
{
    PriceImport plan;
    plan.format = kPublicFormat;
    struct Column
    {
        const char* name;
        Money ModelInfo::*field;
    };
    static const Column columns[] = {
        {"input_cost_per_token", &ModelInfo::inputPrice},
        {"output_cost_per_token", &ModelInfo::outputPrice},
        {"cache_read_input_token_cost", &ModelInfo::cachedInputPrice},
        {"cache_creation_input_token_cost", &ModelInfo::cacheWritePrice},
        {"cache_creation_input_token_cost_above_1hr", &ModelInfo::cacheWrite1hPrice},
        {"output_cost_per_reasoning_token", &ModelInfo::reasoningPrice},
        {"input_cost_per_audio_token", &ModelInfo::audioInputPrice},
        {"output_cost_per_audio_token", &ModelInfo::audioOutputPrice},
        {"input_cost_per_image_token", &ModelInfo::imageInputPrice},
    };
    static const QHash<QString, Money ModelInfo::*> longColumns {
        {QStringLiteral("input_cost_per_token"), &ModelInfo::longInputPrice},
        {QStringLiteral("output_cost_per_token"), &ModelInfo::longOutputPrice},
        {QStringLiteral("cache_read_input_token_cost"), &ModelInfo::longCachedInputPrice},
        {QStringLiteral("cache_creation_input_token_cost"), &ModelInfo::longCacheWritePrice},
        {QStringLiteral("cache_creation_input_token_cost_above_1hr"), &ModelInfo::longCacheWrite1hPrice}};
    static const QRegularExpression tier(QStringLiteral(R"(^(\w+?)_above_(\d+)k_tokens$)"));
    int otherProviders = 0, notListed = 0;
    QSet<QString> planned; // the models an entry has priced
    // Entries for a model by its own id first, so that a dated snapshot's entry never wins over the model's.
    QList<QJsonObject::const_iterator> order;
    for (auto it = root.constBegin(); it != root.constEnd(); ++it)
        order.append(it);
    const auto exact = [&s](const QString& key) {
        const qsizetype slash = key.indexOf(u'/');
        return findModel(s, slash < 0 ? key : key.mid(slash + 1)) != nullptr;
    };
    std::stable_partition(order.begin(), order.end(), [&](const auto& it) { return exact(it.key()); });
    for (const auto& it : std::as_const(order)) {
        if (it.key() == u"sample_spec")
            continue;
        const QString entry = it.key();
        if (!it->isObject())
            return Error::invalid(entry, Catalog::tr("must be an object of prices"));
        const QJsonObject e = it->toObject();
        const QString provider = e.value(QLatin1String("litellm_provider")).toString();
        const std::optional<ProviderKind> kind = provider == u"openai" ? std::optional(ProviderKind::OpenAICompatible)
            : provider == u"anthropic"                                 ? std::optional(ProviderKind::Anthropic)
                                                                       : std::nullopt;
        const QString mode = e.value(QLatin1String("mode")).toString(QStringLiteral("chat"));
        if (!kind || !(mode == u"chat" || mode == u"responses" || mode == u"embedding" || mode == u"completion")) {
            ++otherProviders;
            continue;
        }
        QString name = entry;
        if (name.startsWith(provider + u'/'))
            name = name.mid(provider.size() + 1);
        const ModelInfo* before = findModel(s, name);
        bool bySnapshot = false;
        if (!before) {
            // A dated snapshot or an exact alias of a catalog model has its prices; a glob pattern's family does not.
            const ModelMatch match = s.matchModel(name);
            if (match.model && !match.rule.contains(u'*') && !match.rule.contains(u'?')) {
                before = match.model;
                bySnapshot = true;
            }
        }
        if (before && planned.contains(before->id)) {
            // Several entries for one model ("gpt-4o", "openai/gpt-4o", dated snapshots): the first one counts.
            if (!bySnapshot)
                plan.skipped.append(Catalog::tr("%1: %2 was priced by an earlier entry").arg(entry, before->id));
            continue;
        }
        if (!before && !options.addNew) {
            ++notListed;
            continue;
        }
        if (before)
            planned.insert(before->id);
        ModelInfo after;
        if (before) {
            after = *before;
        } else {
            const Provider* p = firstProvider(s, *kind);
            if (!p) {
                plan.skipped.append(Catalog::tr("%1: no %2 provider in the catalog").arg(entry, provider));
                continue;
            }
            after.id = name;
            after.upstreamName = name;
            after.providerId = p->id;
            after.approved = false;
            after.explicitPrices = 0;
        }
        const auto read = [&](const QString& column, Money ModelInfo::*field) -> Status {
            const QJsonValue v = e.value(column);
            if (v.isUndefined() || v.isNull())
                return {};
            qint64 nanos = 0;
            if (!v.isDouble())
                return Error::invalid(entry + u'.' + column, Catalog::tr("must be a number of dollars per token"));
            if (!exactNanos(v.toDouble(), &nanos))
                return Error::invalid(entry + u'.' + column,
                                      Catalog::tr("is %1 dollars per token: not a whole number of nano-dollars "
                                                  "($0.001 per million tokens), so it cannot be billed exactly")
                                          .arg(v.toDouble()));
            after.*field = nanos;
            for (const PriceComponent& c : priceComponents())
                if (c.field == field)
                    after.explicitPrices |= 1u << (&c - priceComponents().data());
            return {};
        };
        for (const Column& c : columns)
            if (Status st = read(QLatin1String(c.name), c.field); !st.ok())
                return st.error();
        for (auto f = e.begin(); f != e.end(); ++f) {
            const auto match = tier.match(f.key());
            if (!match.hasMatch() || !longColumns.contains(match.captured(1)))
                continue;
            if (Status st = read(f.key(), longColumns.value(match.captured(1))); !st.ok())
                return st.error();
            after.longContextThreshold = match.captured(2).toLongLong() * 1000;
        }
        const QJsonValue search = e.value(QLatin1String("search_context_cost_per_query"));
        if (search.isObject()) {
            const QJsonValue medium = search.toObject().value(QLatin1String("search_context_size_medium"));
            qint64 nanos = 0;
            if (!medium.isDouble() || !exactNanos(medium.toDouble(), &nanos))
                return Error::invalid(entry + QStringLiteral(".search_context_cost_per_query"),
                                      Catalog::tr("search_context_size_medium must be dollars per search, a whole "
                                                  "number of nano-dollars"));
            after.webSearchPrice = nanos;
            after.explicitPrices |= 1u << (priceComponent(u"webSearch") - priceComponents().data());
        }
        for (const auto& [column, field] : {std::pair {"max_input_tokens", &ModelInfo::contextWindow},
                                            {"max_output_tokens", &ModelInfo::maxOutputTokens}}) {
            const QJsonValue v = e.value(QLatin1String(column));
            if (v.isUndefined() || v.isNull())
                continue;
            if (!v.isDouble() || v.toDouble() < 0 || v.toDouble() > 100'000'000)
                return Error::invalid(entry + u'.' + QLatin1String(column),
                                      Catalog::tr("must be a number of tokens from 0 to 100,000,000"));
            after.*field = v.toInteger();
        }
        if (after.contextWindow < 1)
            return Error::invalid(entry + QStringLiteral(".max_input_tokens"), Catalog::tr("must be at least 1"));
        if (!before)
            after.priceSource = Catalog::tr("imported from model_prices_and_context_window.json");
        resolvePrices(after, *kind);
        addOrChange(plan, before, after);
    }
    if (otherProviders)
        plan.skipped.append(Catalog::tr("%n entries of other providers or kinds (images, audio transcription...)",
                                        nullptr, otherProviders));
    if (notListed)
        plan.skipped.append(Catalog::tr("%n models not in the catalog (import with \"add new models\" to add them)",
                                        nullptr, notListed));
    return plan;
}

Result<PriceImport> planTollgate(const QByteArray& file, const Snapshot& s, const PriceImportOptions& options)
{
    auto parsed = parseCatalog(file);
    if (!parsed.ok())
        return parsed.error();
    const CatalogFile& cat = parsed.value();
    PriceImport plan;
    plan.format = QStringLiteral("tollgate");
    QSet<QString> listed;
    for (const ModelInfo& m : cat.models) {
        listed.insert(m.id);
        const Provider& fileProvider = cat.providers[m.providerId - 1];
        const ModelInfo* before = s.model(m.id);
        if (!before && !options.addNew) {
            plan.skipped.append(Catalog::tr("%1: not in the catalog").arg(m.id));
            continue;
        }
        const Provider* provider = before ? s.provider(before->providerId) : nullptr;
        if (!provider)
            for (const Provider& p : s.providers)
                if (p.name == fileProvider.name)
                    provider = &p;
        if (!provider) {
            plan.skipped.append(Catalog::tr("%1: its provider %2 is not in the catalog").arg(m.id, fileProvider.name));
            continue;
        }
        ModelInfo after = before ? *before : m;
        for (const PriceComponent& c : priceComponents())
            after.*c.field = m.*c.field;
        after.explicitPrices = m.explicitPrices;
        after.contextWindow = m.contextWindow;
        after.maxOutputTokens = m.maxOutputTokens;
        after.longContextThreshold = m.longContextThreshold;
        after.maxImageTokens = m.maxImageTokens;
        after.priceSource = m.priceSource;
        after.providerId = provider->id;
        if (!before)
            after.approved = false;
        resolvePrices(after, provider->kind);
        addOrChange(plan, before, after);
    }
    if (options.removeMissing)
        for (const ModelInfo& m : s.models)
            if (!listed.contains(m.id)) {
                plan.removed.append(m.id);
                plan.changes.append({PriceChange::Kind::Removed, m.id, {}, {}, {}});
            }
    return plan;
}

} // namespace

Result<PriceImport> planPriceImport(const QByteArray& file, const Snapshot& current, const PriceImportOptions& options)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(file, &err);
    if (!doc.isObject())
        return Error::invalid(
            QStringLiteral("file"),
            Catalog::tr("is not a JSON object: %1 at byte %2").arg(err.errorString()).arg(err.offset));
    Result<PriceImport> plan = doc.object().value(QLatin1String("models")).isArray()
        ? planTollgate(file, current, options)
        : planPublic(doc.object(), current, options);
    if (plan.ok())
        std::sort(plan->changes.begin(), plan->changes.end(), [](const PriceChange& a, const PriceChange& b) {
            return a.modelId != b.modelId ? a.modelId < b.modelId : a.field < b.field;
        });
    return plan;
}

QByteArray exportCatalog(const Snapshot& current)
{
    QJsonArray providers, models, aliases;
    QList<Provider> ps = current.providers.values();
    std::sort(ps.begin(), ps.end(), [](const Provider& a, const Provider& b) { return a.id < b.id; });
    for (const Provider& p : ps)
        providers.append(QJsonObject {{QStringLiteral("name"), p.name},
                                      {QStringLiteral("kind"), providerKindName(p.kind)},
                                      {QStringLiteral("baseUrl"), p.baseUrl}});
    QList<ModelInfo> ms = current.models.values();
    std::sort(ms.begin(), ms.end(), [](const ModelInfo& a, const ModelInfo& b) { return a.id < b.id; });
    for (const ModelInfo& m : ms) {
        const Provider* p = current.provider(m.providerId);
        models.append(catalogModelJson(m, p ? p->name : QString()));
    }
    QList<ModelAlias> as = current.aliases.values();
    std::sort(as.begin(), as.end(), [](const ModelAlias& a, const ModelAlias& b) { return a.pattern < b.pattern; });
    for (const ModelAlias& a : as)
        aliases.append(QJsonObject {{QStringLiteral("pattern"), a.pattern},
                                    {QStringLiteral("model"), a.modelId},
                                    {QStringLiteral("note"), a.note}});
    return QJsonDocument(QJsonObject {{QStringLiteral("comment"),
                                       QStringLiteral("Tollgate's catalog, exported; prices in US dollars per million "
                                                      "tokens (per thousand calls for webSearch and codeExecution).")},
                                      {QStringLiteral("providers"), providers},
                                      {QStringLiteral("models"), models},
                                      {QStringLiteral("aliases"), aliases}})
        .toJson(QJsonDocument::Indented);
}

} // namespace tollgate
