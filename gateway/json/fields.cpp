#include "gateway/json/fields.h"

#include <QCoreApplication>
#include <QDateTime>

#include <cmath>

namespace tollgate::json {

namespace {

bool isMoneyDimension(Dimension d) { return d == Dimension::DailyCost || d == Dimension::MonthlyCost; }

QString snake(const QString& camel)
{
    QString out;
    out.reserve(camel.size() + 4);
    for (QChar c : camel) {
        if (c.isUpper()) {
            out += u'_';
            out += c.toLower();
        } else {
            out += c;
        }
    }
    return out;
}

QString typeName(const QJsonValue& v)
{
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("a boolean");
    case QJsonValue::Double: return QStringLiteral("a number");
    case QJsonValue::String: return QStringLiteral("a string");
    case QJsonValue::Array: return QStringLiteral("an array");
    case QJsonValue::Object: return QStringLiteral("an object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("nothing");
}

} // namespace

Fields::Fields(QJsonObject object, QString path)
    : m_object(std::move(object))
    , m_path(std::move(path))
{
}

QJsonValue Fields::take(QLatin1StringView key, bool required)
{
    m_read.insert(key);
    const QJsonValue v = m_object.value(key);
    if (required && (v.isUndefined() || v.isNull()))
        fail(key, tr("is required"));
    return v;
}

QJsonValue Fields::value(QLatin1StringView key) { return take(key, false); }

void Fields::fail(QLatin1StringView key, const QString& message)
{
    if (!m_error)
        m_error = Error::invalid(path(key), message);
}

void Fields::fail(const Error& error)
{
    if (!m_error)
        m_error = error;
}

Status Fields::finish()
{
    if (m_error)
        return *m_error;
    for (auto it = m_object.begin(); it != m_object.end(); ++it)
        if (!m_read.contains(it.key()))
            return Error::invalid(m_path + u'.' + it.key(), tr("is not a known field here"));
    return {};
}

std::optional<QString> Fields::string(QLatin1StringView key, bool required, int maxLength)
{
    const QJsonValue v = take(key, required);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (!v.isString()) {
        fail(key, tr("must be a string, not %1").arg(typeName(v)));
        return std::nullopt;
    }
    QString s = v.toString();
    if (s.size() > maxLength) {
        fail(key, tr("is longer than %1 characters").arg(maxLength));
        return std::nullopt;
    }
    return s;
}

std::optional<qint64> Fields::integer(QLatin1StringView key, qint64 min, qint64 max, bool required)
{
    const QJsonValue v = take(key, required);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    const double d = v.toDouble();
    if (!v.isDouble() || std::trunc(d) != d) {
        fail(key, tr("must be a whole number, not %1").arg(v.isDouble() ? QString::number(d) : typeName(v)));
        return std::nullopt;
    }
    if (d < double(min) || d > double(max)) {
        fail(key, tr("must be between %1 and %2").arg(min).arg(max));
        return std::nullopt;
    }
    return qint64(d);
}

std::optional<bool> Fields::boolean(QLatin1StringView key, bool required)
{
    const QJsonValue v = take(key, required);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (!v.isBool()) {
        fail(key, tr("must be true or false, not %1").arg(typeName(v)));
        return std::nullopt;
    }
    return v.toBool();
}

std::optional<Money> Fields::money(QLatin1StringView key, bool required)
{
    const QJsonValue v = take(key, required);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    auto m = moneyFrom(v, path(key));
    if (!m.ok()) {
        fail(m.error());
        return std::nullopt;
    }
    return *m;
}

std::optional<std::optional<Money>> Fields::nullableMoney(QLatin1StringView key)
{
    const QJsonValue v = take(key, false);
    if (v.isUndefined())
        return std::nullopt;
    if (v.isNull())
        return std::optional<Money>();
    auto m = moneyFrom(v, path(key));
    if (!m.ok()) {
        fail(m.error());
        return std::nullopt;
    }
    return std::optional<Money>(*m);
}

std::optional<Instant> Fields::time(QLatin1StringView key, const QTimeZone& zone, bool required)
{
    const QJsonValue v = take(key, required);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (!v.isString()) {
        fail(key, tr("must be an ISO 8601 time as a string, not %1").arg(typeName(v)));
        return std::nullopt;
    }
    auto t = timeFrom(v.toString(), zone, path(key));
    if (!t.ok()) {
        fail(t.error());
        return std::nullopt;
    }
    return *t;
}

std::optional<QJsonArray> Fields::array(QLatin1StringView key, int maxItems, bool required)
{
    const QJsonValue v = take(key, required);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (!v.isArray()) {
        fail(key, tr("must be an array, not %1").arg(typeName(v)));
        return std::nullopt;
    }
    const QJsonArray a = v.toArray();
    if (a.size() > maxItems) {
        fail(key, tr("has %1 items; at most %2 are allowed in one request").arg(a.size()).arg(maxItems));
        return std::nullopt;
    }
    return a;
}

std::optional<QList<Id>> Fields::ids(QLatin1StringView key, int maxItems, bool required)
{
    const auto a = array(key, maxItems, required);
    if (!a)
        return std::nullopt;
    QList<Id> out;
    out.reserve(a->size());
    for (qsizetype i = 0; i < a->size(); ++i) {
        const QJsonValue v = a->at(i);
        const double d = v.toDouble();
        if (!v.isDouble() || std::trunc(d) != d || d < 1 || d > 9e15) {
            fail(Error::invalid(path(key) + QStringLiteral("[%1]").arg(i),
                                tr("must be an id (a positive whole number)")));
            return std::nullopt;
        }
        out.append(Id(d));
    }
    return out;
}

std::optional<QStringList> Fields::strings(QLatin1StringView key, int maxItems, bool required)
{
    const auto a = array(key, maxItems, required);
    if (!a)
        return std::nullopt;
    QStringList out;
    for (qsizetype i = 0; i < a->size(); ++i) {
        if (!a->at(i).isString()) {
            fail(Error::invalid(path(key) + QStringLiteral("[%1]").arg(i),
                                tr("must be a string, not %1").arg(typeName(a->at(i)))));
            return std::nullopt;
        }
        out.append(a->at(i).toString());
    }
    return out;
}

std::optional<QJsonObject> Fields::object(QLatin1StringView key, bool required)
{
    const QJsonValue v = take(key, required);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (!v.isObject()) {
        fail(key, tr("must be an object, not %1").arg(typeName(v)));
        return std::nullopt;
    }
    return v.toObject();
}

QString apiPath(const QString& serviceField, const QString& base)
{
    if (serviceField.isEmpty())
        return base;
    if (serviceField.startsWith(u'$'))
        return serviceField;
    if (serviceField.startsWith(u'['))
        return base + snake(serviceField);
    return base + u'.' + snake(serviceField);
}

Error atApiPath(Error error, const QString& base)
{
    if (!error.field.isEmpty() || error.code == Error::Code::Invalid)
        error.field = apiPath(error.field, base);
    return error;
}

Result<Money> moneyFrom(const QJsonValue& v, const QString& path)
{
    QString text;
    if (v.isDouble()) {
        const double d = v.toDouble();
        if (!std::isfinite(d) || d < 0 || d > 9e9)
            return Error::invalid(path, tr("must be an amount in US dollars from 0 to 1,000,000,000"));
        text = QString::number(d, 'f', 9);
    } else if (v.isString()) {
        text = v.toString();
    } else {
        return Error::invalid(path,
                              tr("must be an amount in US dollars (a number or a string such as \"12.50\"), "
                                 "not %1")
                                  .arg(typeName(v)));
    }
    return money::parseDollars(text, path);
}

QJsonValue moneyJson(Money amount)
{
    // Exact for amounts below 2^53 nano-dollars ($9 million); the *_nanos members carry exact totals.
    return double(amount) / double(kNanosPerDollar);
}

QJsonValue moneyJson(const std::optional<Money>& amount)
{
    return amount ? moneyJson(*amount) : QJsonValue(QJsonValue::Null);
}

Result<Instant> timeFrom(const QString& text, const QTimeZone& zone, const QString& path)
{
    if (text.size() == 10) {
        const QDate d = QDate::fromString(text, Qt::ISODate);
        if (d.isValid())
            return QDateTime(d, QTime(0, 0), zone).toMSecsSinceEpoch();
    } else {
        QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
        if (t.isValid()) {
            if (t.timeSpec() == Qt::LocalTime) // no offset given: the organisation's zone
                t = QDateTime(t.date(), t.time(), zone);
            return t.toMSecsSinceEpoch();
        }
    }
    return Error::invalid(
        path, tr("'%1' is not an ISO 8601 time (2026-12-01T09:30:00Z) or date (2026-12-01)").arg(text.left(64)));
}

QJsonValue timeJson(Instant t)
{
    if (t <= 0)
        return QJsonValue::Null;
    return QDateTime::fromMSecsSinceEpoch(t, Qt::UTC).toString(Qt::ISODateWithMs);
}

QString apiName(Dimension d) { return snake(dimensionName(d)); }

QJsonObject policyJson(const PolicySettings& p)
{
    QJsonObject o;
    for (Dimension d : kAllDimensions) {
        const Limit& l = p[d];
        if (!l.isSet())
            continue;
        const QString name = apiName(d);
        if (l.state == Limit::State::Unlimited)
            o.insert(name, QStringLiteral("unlimited"));
        else
            o.insert(name, isMoneyDimension(d) ? moneyJson(l.value) : QJsonValue(l.value));
    }
    const auto rule = [&](const char* name, const ModelRule& r) {
        if (r.state == ModelRule::State::Any)
            o.insert(QLatin1String(name), QStringLiteral("*"));
        else if (r.state == ModelRule::State::List) {
            QStringList models(r.models.cbegin(), r.models.cend());
            models.sort();
            o.insert(QLatin1String(name), QJsonArray::fromStringList(models));
        }
    };
    rule("allowed_models", p.allowedModels);
    rule("blocked_models", p.blockedModels);
    if (p.bypassCostLimits)
        o.insert(QStringLiteral("bypass_cost_limits"), true);
    if (p.bypassRateLimits)
        o.insert(QStringLiteral("bypass_rate_limits"), true);
    if (p.bypassModelRestrictions)
        o.insert(QStringLiteral("bypass_model_restrictions"), true);
    if (!p.notes.isEmpty())
        o.insert(QStringLiteral("notes"), p.notes);
    return o;
}

void readPolicy(Fields& f, PolicySettings& p, bool allowBypass)
{
    for (Dimension d : kAllDimensions) {
        const QByteArray name = apiName(d).toLatin1();
        const QLatin1StringView key(name);
        if (!f.has(key))
            continue;
        const QJsonValue v = f.value(key);
        if (v.isNull()) {
            p[d] = Limit::unset();
        } else if (v.isString() && v.toString() == u"unlimited") {
            p[d] = Limit::unlimited();
        } else if (isMoneyDimension(d)) {
            auto m = moneyFrom(v, f.path(key));
            if (!m.ok())
                f.fail(Error::invalid(m.error().field, m.error().message + tr(", \"unlimited\" or null (inherit)")));
            else
                p[d] = Limit::of(*m);
        } else {
            const double n = v.toDouble();
            if (!v.isDouble() || std::trunc(n) != n || n < 0 || n > 1e15)
                f.fail(key, tr("must be a whole number, \"unlimited\" or null (inherit)"));
            else
                p[d] = Limit::of(qint64(n));
        }
    }
    const auto rule = [&](const char* name, ModelRule& r) {
        const QLatin1StringView key(name);
        if (!f.has(key))
            return;
        const QJsonValue v = f.value(key);
        if (v.isNull()) {
            r = ModelRule::unset();
        } else if (v.isString() && v.toString() == u"*") {
            r = ModelRule::any();
        } else if (v.isArray()) {
            QSet<QString> models;
            const QJsonArray a = v.toArray();
            if (a.size() > 1000)
                return f.fail(key, tr("lists more than 1000 models"));
            for (const QJsonValue& m : a) {
                if (!m.isString())
                    return f.fail(key, tr("must hold model ids (strings)"));
                models.insert(m.toString());
            }
            r = ModelRule::list(std::move(models));
        } else {
            f.fail(key, tr("must be an array of model ids, \"*\" (any model) or null (inherit)"));
        }
    };
    rule("allowed_models", p.allowedModels);
    rule("blocked_models", p.blockedModels);
    if (auto n = f.string(QLatin1StringView("notes")))
        p.notes = *n;
    else if (f.isNull(QLatin1StringView("notes")))
        p.notes.clear();
    if (!allowBypass)
        return;
    if (auto b = f.boolean(QLatin1StringView("bypass_cost_limits")))
        p.bypassCostLimits = *b;
    if (auto b = f.boolean(QLatin1StringView("bypass_rate_limits")))
        p.bypassRateLimits = *b;
    if (auto b = f.boolean(QLatin1StringView("bypass_model_restrictions")))
        p.bypassModelRestrictions = *b;
}

void readNestedPolicy(Fields& f, QLatin1StringView key, PolicySettings& p)
{
    const auto o = f.object(key);
    if (!o)
        return;
    Fields nested(*o, f.path(key));
    readPolicy(nested, p, false);
    if (auto s = nested.finish(); !s.ok())
        f.fail(s.error());
}

} // namespace tollgate::json
