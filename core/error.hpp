#pragma once
// Errors are values. An Error says what kind of failure happened, in which operation, and whether trying
// again could help; retry policy is decided from that classification in one place (core/engine/retry),
// never ad hoc in I/O code.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace adxflow {

enum class ErrorKind {
    kInvalidInput,     // the user's definition or request is wrong; retrying will not help
    kNotFound,         // a referenced resource does not exist
    kConflict,         // etag mismatch, state does not allow the operation
    kUnauthorized,     // credentials missing or rejected
    kForbidden,        // authenticated, but not allowed
    kTimeout,          // a deadline passed
    kCancelled,        // the user or the engine asked to stop
    kTransient,        // network, throttling, server busy: worth another attempt
    kTooLarge,         // a size cap was reached
    kUnsupported,      // valid in ADF, not implemented here
    kInternal,         // a bug or an unexpected state
};

const char* ToString(ErrorKind kind);

struct Error {
    ErrorKind kind = ErrorKind::kInternal;
    std::string op;       // what was being done, e.g. "file.open", "store.put_resource"
    std::string message;  // for people; never contains secrets
    std::string code;     // machine code surfaced to users (ADF errorCode / CloudError code); may be empty
    std::string target;   // JSON path or activity name the error is about; may be empty
    std::optional<std::chrono::milliseconds> retry_after;

    bool permanent() const {
        return kind != ErrorKind::kTransient && kind != ErrorKind::kTimeout;
    }
    // "op: message" for logs.
    std::string Describe() const;
};

inline Error MakeError(ErrorKind kind, std::string op, std::string message, std::string code = {},
                       std::string target = {}) {
    Error e;
    e.kind = kind;
    e.op = std::move(op);
    e.message = std::move(message);
    e.code = std::move(code);
    e.target = std::move(target);
    return e;
}

// Result<T>: a value or an Error. Small on purpose (std::expected arrives with C++23).
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}

    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const& { return *error_; }
    Error&& error() && { return std::move(*error_); }

private:
    std::optional<Error> error_;
};

using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace adxflow

// Propagate an error from an expression returning Result<...>.
#define ADXFLOW_TRY(expr)                                \
    do {                                                 \
        auto adxflow_try_result_ = (expr);               \
        if (!adxflow_try_result_.ok())                   \
            return std::move(adxflow_try_result_).error(); \
    } while (0)

#define ADXFLOW_CONCAT_INNER_(a, b) a##b
#define ADXFLOW_CONCAT_(a, b) ADXFLOW_CONCAT_INNER_(a, b)
// Bind the value of a Result<T> expression to `lhs`, or return its error.
// Expands to several statements: use it as a statement of its own, inside braces after if/for.
#define ADXFLOW_ASSIGN_OR_RETURN(lhs, expr) \
    ADXFLOW_ASSIGN_OR_RETURN_IMPL_(ADXFLOW_CONCAT_(adxflow_r_, __COUNTER__), lhs, expr)
#define ADXFLOW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
    auto tmp = (expr);                                 \
    if (!tmp.ok()) return std::move(tmp).error();      \
    lhs = std::move(tmp).value()
