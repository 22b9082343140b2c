#include "core/error.hpp"

namespace adxflow {

const char* ToString(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kInvalidInput: return "InvalidInput";
        case ErrorKind::kNotFound: return "NotFound";
        case ErrorKind::kConflict: return "Conflict";
        case ErrorKind::kUnauthorized: return "Unauthorized";
        case ErrorKind::kForbidden: return "Forbidden";
        case ErrorKind::kTimeout: return "Timeout";
        case ErrorKind::kCancelled: return "Cancelled";
        case ErrorKind::kTransient: return "Transient";
        case ErrorKind::kTooLarge: return "TooLarge";
        case ErrorKind::kUnsupported: return "Unsupported";
        case ErrorKind::kInternal: return "Internal";
    }
    return "Unknown";
}

std::string Error::Describe() const {
    std::string out = op.empty() ? std::string() : op + ": ";
    out += message;
    return out;
}

}  // namespace adxflow
