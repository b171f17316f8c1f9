#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace tollgate {

// What went wrong at the service boundary. `field` is the name of the offending input (a JSON-path-like
// name such as "email" or "policy.monthlyCostLimit"), empty when the error is not about one field.
struct Error
{
    enum class Code {
        Invalid, // malformed or out-of-range input
        NotFound, // an id that does not exist
        Conflict, // duplicate, cycle, or a concurrent edit
        Storage, // the database refused or failed
    };

    Code code = Code::Invalid;
    QString field;
    QString message;

    static Error invalid(QString field, QString message)
    {
        return {Code::Invalid, std::move(field), std::move(message)};
    }
    static Error notFound(QString field, QString message)
    {
        return {Code::NotFound, std::move(field), std::move(message)};
    }
    static Error conflict(QString field, QString message)
    {
        return {Code::Conflict, std::move(field), std::move(message)};
    }
    static Error storage(QString message) { return {Code::Storage, {}, std::move(message)}; }

    // "email: is already used by another user" — the form every layer shows to people.
    QString toString() const { return field.isEmpty() ? message : field + QStringLiteral(": ") + message; }
};

// A small std::expected stand-in (C++23 is not available with GCC 12): either a value or an Error.
template<typename T>
class [[nodiscard]] Result
{
public:
    Result(T value)
        : m_v(std::in_place_index<0>, std::move(value))
    {
    }
    Result(Error error)
        : m_v(std::in_place_index<1>, std::move(error))
    {
    }

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(m_v); }
    const T& value() const& { return std::get<0>(m_v); }
    T&& value() && { return std::get<0>(std::move(m_v)); }
    T valueOr(T fallback) const& { return ok() ? value() : std::move(fallback); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

template<>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error))
    {
    }

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace tollgate
