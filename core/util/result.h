#pragma once

#include "core/util/errorcode.h"

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace gpuwb {

// An expected failure: its code (what kind of failure, which decides retrying and exit
// statuses) and a message for a person that says what happened and what to do about it.
struct Error
{
    ErrorCode code = ErrorCode::Internal;
    QString message;
};

// The value of an operation that can fail in expected ways (principle 3): either a T or an
// Error. No exceptions cross the event loop.
template<typename T>
class [[nodiscard]] Result
{
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}

    static Result failure(ErrorCode code, QString message)
    {
        return Result(Error{code, std::move(message)});
    }

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_data); }
    T &value() & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    const T *operator->() const { return &value(); }

    const Error &error() const { return std::get<1>(m_data); }
    QString errorMessage() const { return ok() ? QString() : error().message; }

private:
    std::variant<T, Error> m_data;
};

template<>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {}

    static Result failure(ErrorCode code, QString message)
    {
        return Result(Error{code, std::move(message)});
    }

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_error; }
    QString errorMessage() const { return ok() ? QString() : m_error->message; }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace gpuwb
