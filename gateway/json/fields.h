#pragma once

#include "core/domain/domain.h"
#include "core/domain/translate.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QTimeZone>

namespace tollgate::json {

TOLLGATE_TRANSLATION_CONTEXT("tollgate::json")

// Reads the members of one JSON object strictly: each getter checks the type and range of its member and remembers
// the first problem with the member's JSON path ("$.users[3].email"); finish() also refuses members nobody asked
// for. Getters return nullopt for an absent member or a bad one (then ok() is false).
class Fields final
{
public:
    Fields(QJsonObject object, QString path = QStringLiteral("$"));

    bool has(QLatin1StringView key) const { return m_object.contains(key); }
    bool isNull(QLatin1StringView key) const { return m_object.contains(key) && m_object.value(key).isNull(); }
    QString path(QLatin1StringView key) const { return m_path + u'.' + key; }
    const QString& path() const { return m_path; }

    std::optional<QString> string(QLatin1StringView key, bool required = false, int maxLength = 4000);
    std::optional<qint64> integer(QLatin1StringView key, qint64 min, qint64 max, bool required = false);
    std::optional<bool> boolean(QLatin1StringView key, bool required = false);
    // US dollars as a number (12.5) or a decimal string ("12.50"), exact to the nano-dollar.
    std::optional<Money> money(QLatin1StringView key, bool required = false);
    // A limit that may be lifted: absent -> nullopt; null -> optional(nullopt) (no limit); a value -> the value.
    std::optional<std::optional<Money>> nullableMoney(QLatin1StringView key);
    // An ISO 8601 time ("2026-12-01T00:00:00Z") or a date ("2026-12-01", midnight in `zone`).
    std::optional<Instant> time(QLatin1StringView key, const QTimeZone& zone, bool required = false);
    std::optional<QList<Id>> ids(QLatin1StringView key, int maxItems, bool required = false);
    std::optional<QStringList> strings(QLatin1StringView key, int maxItems, bool required = false);
    std::optional<QJsonArray> array(QLatin1StringView key, int maxItems, bool required = false);
    std::optional<QJsonObject> object(QLatin1StringView key, bool required = false);
    // The raw member, marked as read.
    QJsonValue value(QLatin1StringView key);

    void fail(QLatin1StringView key, const QString& message);
    void fail(const Error& error); // an error found elsewhere (keeps the first)
    bool ok() const { return !m_error.has_value(); }
    // The first problem, or a member nobody read.
    Status finish();

private:
    QJsonValue take(QLatin1StringView key, bool required);

    QJsonObject m_object;
    QString m_path;
    QSet<QString> m_read;
    std::optional<Error> m_error;
};

// The JSON path of a field a service error names ("users[3].groupIds" -> "$.users[3].group_ids").
QString apiPath(const QString& serviceField, const QString& base = QStringLiteral("$"));
Error atApiPath(Error error, const QString& base = QStringLiteral("$"));

Result<Money> moneyFrom(const QJsonValue& v, const QString& path);
QJsonValue moneyJson(Money amount); // US dollars as a number
QJsonValue moneyJson(const std::optional<Money>& amount); // null when unset
Result<Instant> timeFrom(const QString& text, const QTimeZone& zone, const QString& path);
QJsonValue timeJson(Instant t); // ISO 8601 UTC, null for 0

// Policy settings in the API's form: snake_case names, money in dollars, "unlimited" for a lifted limit, "*" for
// any model. Only the settings that are set appear.
QJsonObject policyJson(const PolicySettings& p);
// Applies the policy members present in `f` onto `p`: a value sets, "unlimited" lifts, null unsets (inherit).
void readPolicy(Fields& f, PolicySettings& p, bool allowBypass);
// The same for a policy object held by member `key` of `f` (a group's settings, the organisation's default policy).
void readNestedPolicy(Fields& f, QLatin1StringView key, PolicySettings& p);
QString apiName(Dimension d); // "monthly_cost_limit"

} // namespace tollgate::json
