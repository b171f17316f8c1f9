// Admin API: the model catalog (prices and tiers) and the providers behind it.

#include "core/catalog/pricing.h"
#include "gateway/admin/api.h"
#include "gateway/admin/entities.h"

#include <QCoreApplication>

namespace tollgate::admin {

namespace {

constexpr auto kAdmin = AdminRole::Admin;
constexpr auto kViewer = AdminRole::Viewer;

Error modelError(Error e)
{
    if (const PriceComponent* c = priceComponent(e.field))
        e.field = c->apiKey;
    else if (e.field == u"longContextThreshold")
        e.field = QStringLiteral("long_context_threshold");
    else if (e.field == u"maxImageTokens")
        e.field = QStringLiteral("max_image_tokens");
    return atApiPath(std::move(e));
}

// A component's price: dollars per million tokens (or per thousand calls), as a number or a string such as "2.50";
// null returns it to its default (core/catalog/pricing.h).
void readPrice(Fields& f, const PriceComponent& c, ModelInfo& m)
{
    const QLatin1StringView k = c.apiKey;
    const QJsonValue v = f.value(k);
    const quint32 bit = 1u << (&c - priceComponents().data());
    if (v.isUndefined())
        return;
    if (v.isNull()) {
        if (!c.base && !c.fixed)
            return f.fail(k, tr("cannot be null: every model has this price"));
        m.explicitPrices &= ~bit;
        return;
    }
    QString text;
    if (v.isDouble())
        text = QString::number(v.toDouble(), 'f', c.unit == PriceComponent::PerThousandCalls ? 6 : 3);
    else if (v.isString())
        text = v.toString();
    else
        return f.fail(k,
                      c.unit == PriceComponent::PerThousandCalls
                          ? tr("must be US dollars per thousand calls (a number or a string such as \"10.00\")")
                          : tr("must be US dollars per million tokens (a number or a string such as \"2.50\")"));
    if (v.isDouble() && QString::number(v.toDouble(), 'g', 17).toDouble() != text.toDouble())
        return f.fail(k, tr("has more decimals than a price can carry exactly; send it as a string"));
    auto p = parseComponentPrice(c, text, f.path(k));
    if (!p.ok())
        return f.fail(p.error());
    m.*c.field = *p;
    m.explicitPrices |= bit;
}

void readModel(Fields& f, ModelInfo& m, bool create)
{
    if (create)
        m.id = f.string(QLatin1StringView("id"), true, 128).value_or(QString());
    if (auto v = f.integer(QLatin1StringView("provider_id"), 1, std::numeric_limits<qint64>::max(), create))
        m.providerId = *v;
    if (auto v = f.string(QLatin1StringView("upstream_name"), false, 200))
        m.upstreamName = *v;
    if (auto v = f.integer(QLatin1StringView("tier"), 1, 10))
        m.tier = int(*v);
    for (const PriceComponent& c : priceComponents())
        readPrice(f, c, m);
    if (auto v = f.integer(QLatin1StringView("long_context_threshold"), 0, 100'000'000))
        m.longContextThreshold = *v;
    if (auto v = f.integer(QLatin1StringView("max_image_tokens"), 0, 10'000'000))
        m.maxImageTokens = *v;
    if (auto v = f.integer(QLatin1StringView("max_output_tokens"), 0, 10'000'000))
        m.maxOutputTokens = *v;
    if (auto v = f.integer(QLatin1StringView("context_window"), 1, 100'000'000))
        m.contextWindow = *v;
    if (auto v = f.boolean(QLatin1StringView("approved")))
        m.approved = *v;
    if (auto v = f.string(QLatin1StringView("price_source"), false, 500))
        m.priceSource = *v;
    if (f.has(QLatin1StringView("output_cap_parameter"))) {
        const QJsonValue v = f.value(QLatin1StringView("output_cap_parameter"));
        if (v.isNull() || v.toString() == u"max_tokens" || v.toString() == u"max_completion_tokens")
            m.outputCapField = v.toString();
        else
            f.fail(QLatin1StringView("output_cap_parameter"),
                   tr("must be \"max_completion_tokens\", \"max_tokens\" or null (the client's own field)"));
    }
    if (create && m.upstreamName.isEmpty())
        m.upstreamName = m.id;
}

Reply listModels(Call& c)
{
    QJsonArray data;
    for (const ModelInfo& m : c.service.catalog().models())
        data.append(modelJson(m, c.service));
    return json(200, {{QStringLiteral("data"), data}, {QStringLiteral("total"), data.size()}});
}

Reply getModel(Call& c)
{
    const auto m = c.service.catalog().model(c.params.value(0));
    if (!m)
        return errorReply(
            Error::notFound(QString(), tr("there is no model '%1' in the catalog").arg(c.params.value(0))));
    return json(200, modelJson(*m, c.service));
}

Reply createModel(Call& c)
{
    ModelInfo m;
    if (auto r = readBody(c, [&](Fields& f) { readModel(f, m, true); }))
        return *r;
    if (c.service.catalog().model(m.id))
        return errorReply(Error::conflict(
            QStringLiteral("$.id"), tr("the model %1 is in the catalog already; PATCH it to change it").arg(m.id)));
    auto saved = c.service.catalog().saveModel(m, c.actor);
    if (!saved.ok())
        return errorReply(modelError(saved.error()));
    return json(201, modelJson(*saved, c.service));
}

Reply patchModel(Call& c)
{
    auto m = c.service.catalog().model(c.params.value(0));
    if (!m)
        return errorReply(
            Error::notFound(QString(), tr("there is no model '%1' in the catalog").arg(c.params.value(0))));
    if (auto r = readBody(c, [&](Fields& f) { readModel(f, *m, false); }))
        return *r;
    auto saved = c.service.catalog().saveModel(*m, c.actor);
    if (!saved.ok())
        return errorReply(modelError(saved.error()));
    return json(200, modelJson(*saved, c.service));
}

Reply deleteModel(Call& c)
{
    if (auto s = c.service.catalog().deleteModel(c.params.value(0), c.actor); !s.ok())
        return errorReply(s.error().code == Error::Code::NotFound ? Error::notFound(
                              QString(), tr("there is no model '%1' in the catalog").arg(c.params.value(0)))
                                                                  : modelError(s.error()));
    return noContent();
}

QJsonObject aliasJson(const ModelAlias& a)
{
    return {{QStringLiteral("pattern"), a.pattern},
            {QStringLiteral("model"), a.modelId},
            {QStringLiteral("kind"), a.isGlob() ? QStringLiteral("pattern") : QStringLiteral("alias")},
            {QStringLiteral("note"), a.note}};
}

Reply listAliases(Call& c)
{
    QJsonArray data;
    for (const ModelAlias& a : c.service.catalog().aliases())
        data.append(aliasJson(a));
    return json(200, {{QStringLiteral("data"), data}, {QStringLiteral("total"), data.size()}});
}

// PUT /model-aliases/{pattern} {"model": "...", "note": "..."}: creates or replaces.
Reply putAlias(Call& c)
{
    ModelAlias a {c.params.value(0), {}, {}};
    if (auto r = readBody(c, [&](Fields& f) {
            if (auto v = f.string(QLatin1StringView("model"), true, 128))
                a.modelId = *v;
            if (auto v = f.string(QLatin1StringView("note"), false, 500))
                a.note = *v;
        }))
        return *r;
    const bool existed = c.service.snapshot()->aliases.contains(a.pattern.trimmed());
    auto saved = c.service.catalog().saveAlias(a, c.actor);
    if (!saved.ok())
        return errorReply(atApiPath(saved.error()));
    return json(existed ? 200 : 201, aliasJson(*saved));
}

Reply deleteAlias(Call& c)
{
    if (auto s = c.service.catalog().deleteAlias(c.params.value(0), c.actor); !s.ok())
        return errorReply(atApiPath(s.error()));
    return noContent();
}

// GET /model-aliases/resolve/{id}: the model a request with that id would be served, counted and priced as.
Reply resolveAlias(Call& c)
{
    const QString id = c.params.value(0);
    const SnapshotPtr snap = c.service.snapshot();
    const ModelMatch match = snap->matchModel(id);
    if (!match.model)
        return errorReply(Error::notFound(QString(),
                                          tr("no model, alias or pattern serves '%1'; the closest are %2")
                                              .arg(id, snap->closestModels(id).join(QStringLiteral(", ")))));
    return json(200,
                {{QStringLiteral("requested"), id},
                 {QStringLiteral("model"), match.model->id},
                 {QStringLiteral("matched_by"), match.rule.isEmpty() ? QJsonValue() : QJsonValue(match.rule)},
                 {QStringLiteral("forwarded_as"),
                  match.forwardAsRequested || match.model->upstreamName.isEmpty() ? id : match.model->upstreamName}});
}

void readProvider(Fields& f, Provider& p, bool create)
{
    if (auto v = f.string(QLatin1StringView("name"), create, 100))
        p.name = *v;
    if (auto v = f.string(QLatin1StringView("kind"), create, 20)) {
        if (auto k = providerKindFromName(*v))
            p.kind = *k;
        else
            f.fail(QLatin1StringView("kind"), tr("must be openai, anthropic or mock"));
    }
    if (auto v = f.string(QLatin1StringView("base_url"), false, 2000))
        p.baseUrl = *v;
    if (auto v = f.string(QLatin1StringView("secret"), false, 4000)) {
        if (v->isEmpty())
            f.fail(QLatin1StringView("secret"), tr("must not be empty (leave it out to keep the stored secret)"));
        p.secret = *v;
    }
}

Reply listProviders(Call& c)
{
    QJsonArray data;
    for (const Provider& p : c.service.catalog().providers())
        data.append(providerJson(p));
    return json(200, {{QStringLiteral("data"), data}, {QStringLiteral("total"), data.size()}});
}

Reply getProvider(Call& c)
{
    auto p = find(c, tr("provider"), [&c](Id id) { return c.service.catalog().provider(id); });
    if (!p.ok())
        return errorReply(p.error());
    return json(200, providerJson(*p));
}

Reply createProvider(Call& c)
{
    Provider p;
    if (auto r = readBody(c, [&](Fields& f) { readProvider(f, p, true); }))
        return *r;
    auto saved = c.service.catalog().saveProvider(p, c.actor);
    if (!saved.ok())
        return errorReply(atApiPath(saved.error()));
    return json(201, providerJson(*saved));
}

Reply patchProvider(Call& c)
{
    auto p = find(c, tr("provider"), [&c](Id id) { return c.service.catalog().provider(id); });
    if (!p.ok())
        return errorReply(p.error());
    p->secret.clear(); // kept by the service unless a new one is given
    if (auto r = readBody(c, [&](Fields& f) { readProvider(f, *p, false); }))
        return *r;
    auto saved = c.service.catalog().saveProvider(*p, c.actor);
    if (!saved.ok())
        return errorReply(atApiPath(saved.error()));
    return json(200, providerJson(*saved));
}

Reply deleteProvider(Call& c)
{
    return deleteById(c, tr("provider"), [&c](Id id) { return c.service.catalog().deleteProvider(id, c.actor); });
}

} // namespace

void addCatalogRoutes(Routes& r)
{
    r.add("GET", "/models", kViewer, listModels);
    r.add("POST", "/models", kAdmin, createModel);
    r.add("GET", "/models/{}", kViewer, getModel);
    r.add("PATCH", "/models/{}", kAdmin, patchModel);
    r.add("DELETE", "/models/{}", kAdmin, deleteModel);

    r.add("GET", "/model-aliases", kViewer, listAliases);
    r.add("GET", "/model-aliases/resolve/{}", kViewer, resolveAlias);
    r.add("PUT", "/model-aliases/{}", kAdmin, putAlias);
    r.add("DELETE", "/model-aliases/{}", kAdmin, deleteAlias);

    r.add("GET", "/providers", kViewer, listProviders);
    r.add("POST", "/providers", kAdmin, createProvider);
    r.add("GET", "/providers/{}", kViewer, getProvider);
    r.add("PATCH", "/providers/{}", kAdmin, patchProvider);
    r.add("DELETE", "/providers/{}", kAdmin, deleteProvider);
}

} // namespace tollgate::admin
