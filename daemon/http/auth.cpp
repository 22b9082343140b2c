#include "daemon/http/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>
#include <sstream>

#include "core/json.hpp"

namespace adxflow::api {

namespace {

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Response Denied(int status, const std::string& code, const std::string& message) {
    Json body = {{"error", {{"code", code}, {"message", message}, {"target", nullptr}}}};
    Response r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);  // the message quotes the request
    return r;
}

}  // namespace

TokenHash HashToken(std::string_view token) {
    TokenHash out{};
    unsigned int len = 0;
    EVP_Digest(token.data(), token.size(), out.data(), &len, EVP_sha256(), nullptr);
    return out;
}

std::string HexHash(const TokenHash& hash) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (uint8_t b : hash) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

Result<TokenEntry> ParseTokenEntry(std::string_view text, const std::string& where) {
    text = Trim(text);
    auto bad = [&](const std::string& why) -> Error {
        return MakeError(ErrorKind::kInvalidInput, "config.api_tokens",
                         where + ": " + why + " (expected reader:TOKEN, admin:TOKEN or ROLE:sha256:HEX)",
                         "InvalidConfiguration");
    };
    auto colon = text.find(':');
    if (colon == std::string_view::npos) return bad("no role");
    std::string_view role = text.substr(0, colon), rest = text.substr(colon + 1);
    TokenEntry entry;
    if (role == "reader")
        entry.role = Role::kReader;
    else if (role == "admin")
        entry.role = Role::kAdmin;
    else
        return bad("unknown role");
    if (rest.rfind("sha256:", 0) == 0) {
        std::string_view hex = rest.substr(7);
        if (hex.size() != 64) return bad("a sha256 hash has 64 hex characters");
        for (size_t i = 0; i < 32; ++i) {
            int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) return bad("a sha256 hash has 64 hex characters");
            entry.hash[i] = static_cast<uint8_t>(hi * 16 + lo);
        }
        return entry;
    }
    // A short token is guessable however it is stored; 16 characters is what `openssl rand -hex 8` gives.
    if (rest.size() < 16) return bad("token shorter than 16 characters");
    for (char c : rest)
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
            return bad("token with spaces or control characters");
    entry.hash = HashToken(rest);
    return entry;
}

Result<std::vector<TokenEntry>> ParseTokenFile(std::string_view content, const std::string& where) {
    std::vector<TokenEntry> out;
    size_t line_no = 0, pos = 0;
    while (pos <= content.size()) {
        size_t end = content.find('\n', pos);
        if (end == std::string_view::npos) end = content.size();
        std::string_view line = Trim(content.substr(pos, end - pos));
        ++line_no;
        pos = end + 1;
        if (line.empty() || line.front() == '#') continue;
        ADXFLOW_ASSIGN_OR_RETURN(TokenEntry entry,
                                 ParseTokenEntry(line, where + " line " + std::to_string(line_no)));
        out.push_back(entry);
    }
    return out;
}

Result<std::vector<TokenEntry>> LoadTokenFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return MakeError(ErrorKind::kInvalidInput, "config.api_tokens_file",
                         "cannot read api_tokens_file " + path.string(), "InvalidConfiguration");
    std::stringstream ss;
    ss << in.rdbuf();
    return ParseTokenFile(ss.str(), path.string());
}

bool IsReadOnly(const Request& request) {
    if (request.method == "GET" || request.method == "HEAD") return true;
    if (request.method != "POST") return false;
    // queryPipelineRuns and pipelineruns/{id}/queryActivityruns only read.
    auto slash = request.path.rfind('/');
    std::string last = request.path.substr(slash == std::string::npos ? 0 : slash + 1);
    return IEquals(last, "queryPipelineRuns") || IEquals(last, "queryActivityruns");
}

std::optional<Role> Authenticator::RoleOf(std::string_view authorization) const {
    authorization = Trim(authorization);
    if (authorization.size() < 7 || !IEquals(authorization.substr(0, 7), "Bearer ")) return std::nullopt;
    TokenHash presented = HashToken(Trim(authorization.substr(7)));
    // Every entry is compared, match or not: the time taken does not depend on which entry (if any) matched.
    std::optional<Role> role;
    const auto policy = Snapshot();
    for (const auto& entry : policy->tokens) {
        bool match = CRYPTO_memcmp(presented.data(), entry.hash.data(), presented.size()) == 0;
        if (match && (!role || entry.role == Role::kAdmin)) role = entry.role;
    }
    return role;
}

std::shared_ptr<const AuthPolicy> Authenticator::Snapshot() const {
    std::lock_guard lock(mu_);
    return policy_;
}

Status Authenticator::ReplaceTokens(std::vector<TokenEntry> tokens) {
    std::lock_guard lock(mu_);
    if (tokens.empty() && !policy_->tokens.empty())
        return MakeError(ErrorKind::kInvalidInput, "auth.reload",
                         "the new token list is empty, which would open the API; the previous tokens stay");
    auto next = std::make_shared<AuthPolicy>(*policy_);
    next->tokens = std::move(tokens);
    policy_ = std::move(next);
    return Ok();
}

AuthDecision Authenticator::Decide(const Request& request) const {
    const auto policy = Snapshot();
    if (policy->tokens.empty()) return AuthDecision::kAllowed;
    if (request.path == "/healthz" || request.path == "/readyz") return AuthDecision::kAllowed;
    if (request.path == "/metrics" && policy->metrics_open) return AuthDecision::kAllowed;
    const std::string* header = request.Header("authorization");
    if (!header) return AuthDecision::kUnauthenticated;
    auto role = RoleOf(*header);
    if (!role) return AuthDecision::kUnauthenticated;
    if (*role == Role::kAdmin || IsReadOnly(request)) return AuthDecision::kAllowed;
    return AuthDecision::kForbidden;
}

Handler WithAuthentication(std::shared_ptr<const Authenticator> auth, Handler inner,
                           std::function<void(const Request&, int)> on_denied) {
    return [auth = std::move(auth), inner = std::move(inner),
            on_denied = std::move(on_denied)](const Request& r) {
        switch (auth->Decide(r)) {
            case AuthDecision::kAllowed:
                return inner(r);
            case AuthDecision::kUnauthenticated: {
                const bool presented = r.Header("authorization") != nullptr;
                Response res =
                    Denied(401, presented ? "InvalidAuthenticationToken" : "AuthenticationFailed",
                           presented ? "The bearer token is not valid for this daemon."
                                     : "Authentication is required: send Authorization: Bearer TOKEN.");
                // RFC 6750: the challenge, with error="invalid_token" when a token was sent but rejected.
                res.headers.emplace_back("WWW-Authenticate",
                                         presented ? R"(Bearer realm="adxflow", error="invalid_token")"
                                                   : R"(Bearer realm="adxflow")");
                if (on_denied) on_denied(r, 401);
                return res;
            }
            case AuthDecision::kForbidden:
            default:
                if (on_denied) on_denied(r, 403);
                return Denied(
                    403, "AuthorizationFailed",
                    "The token's role (reader) may not " + r.method + " here; an admin token is required.");
        }
    };
}

}  // namespace adxflow::api
