#include "config/settings.hpp"

#include "core/time.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/connector_slots.hpp"

namespace adxflow::config {

const std::vector<OptionSpec>& OptionTable() {
    static const std::vector<OptionSpec> table = {
        {"listen", OptionType::kString, "127.0.0.1:8420", "",
         "Address and port of the HTTP API (HOST:PORT; [::1]:PORT for IPv6)."},
        {"data_dir", OptionType::kString, "adxflow-data", "",
         "Folder for the database and the secrets key; created on start when missing."},
        {"database_path", OptionType::kString, "", "",
         "SQLite database file. Default: <data_dir>/adxflow.db."},
        {"secrets_key_file", OptionType::kString, "", "",
         "Key that encrypts stored secrets (64 hex characters). Generated with mode 0600 on first start "
         "when missing. Default: $CREDENTIALS_DIRECTORY/secrets-key when systemd passes that "
         "credential, else <data_dir>/secrets.key."},
        {"factory_name", OptionType::kString, "adxflow", "",
         "The data factory name this daemon answers as in ARM paths and pipeline().DataFactory."},
        {"file_roots", OptionType::kStringList, "", "",
         "Folders that FileServer linked services may point into. Local file access is refused when "
         "empty. Command line: --file-root DIR, repeatable."},
        {"workers", OptionType::kInt, "4", "", "Activity attempts executed at once (worker pool size)."},
        {"max_concurrent_runs", OptionType::kInt, "200", "",
         "Pipeline runs InProgress at once; later runs wait as Queued."},
        {"connector_max_concurrency", OptionType::kStringList, "", "",
         "Per-connector concurrency: entries TYPE=N (linked-service type, e.g. AzureDataExplorer=4; "
         "comma-separated on the command line) let at most N activities use that connector at once (a Copy "
         "counts for its source and its sink). Others wait for a slot on their worker. Unlisted types: no "
         "limit beyond workers."},
        {"max_queued_runs", OptionType::kInt, "10000", "",
         "Runs that may wait as Queued. Beyond it createRun answers 429 TooManyRequests with Retry-After "
         "and creates nothing (adxflow_pipeline_runs_rejected_total counts them). 0: no limit."},
        {"history_retention_days", OptionType::kInt, "90", "days",
         "Finished pipeline runs and their activity runs are deleted this long after their last update "
         "(twice what ADF keeps). 0 keeps them forever."},
        {"history_prune_interval_secs", OptionType::kInt, "3600", "seconds",
         "How often the background pruner looks for runs past history_retention_days (also once at start)."},
        {"history_prune_batch_runs", OptionType::kInt, "500", "runs",
         "Runs deleted per transaction by the pruner; writers wait for at most one batch."},
        {"shutdown_grace_secs", OptionType::kInt, "30", "seconds",
         "On SIGTERM, how long running attempts may finish before they are interrupted (they resume from "
         "their checkpoint after restart)."},
        {"http_threads", OptionType::kInt, "2", "", "Threads serving the HTTP API."},
        {"http_body_limit_bytes", OptionType::kInt, "4194304", "bytes", "Largest request body accepted."},
        {"http_request_timeout_secs", OptionType::kInt, "30", "seconds",
         "Deadline for reading a request and writing its response on one connection."},
        {"copy_chunk_rows", OptionType::kInt, "100000", "rows",
         "Rows per committed Copy chunk (the resume granularity) unless the sink sets writeBatchSize."},
        {"log_level", OptionType::kString, "info", "", "trace, debug, info, warn, error."},
        {"azure_authority_host", OptionType::kString, "", "",
         "Azure AD authority for service principal tokens. Default: $AZURE_AUTHORITY_HOST, else "
         "https://login.microsoftonline.com. Plain http:// is accepted for loopback hosts only."},
        {"azure_imds_endpoint", OptionType::kString, "", "",
         "Managed identity endpoint (IMDS). Default: $AZURE_POD_IDENTITY_AUTHORITY_HOST, else "
         "http://169.254.169.254. $IDENTITY_ENDPOINT + $IDENTITY_HEADER (App Service) take precedence."},
        {"azure_ca_file", OptionType::kString, "", "",
         "Extra trusted CA certificates (PEM) for Azure endpoints, on top of the system roots (private CAs, "
         "the Kusto emulator's test certificate)."},
        {"adx_ingest_endpoint", OptionType::kString, "", "",
         "Ingestion endpoint for ADX sinks. Default: the cluster URL with 'ingest-' prefixed to the host, or "
         "the cluster URL itself for IP addresses and localhost (as the Kusto SDKs do)."},
        {"adx_ingest_confirm_timeout_secs", OptionType::kInt, "300", "seconds",
         "How long an ADX sink waits for the service to confirm each queued ingestion before the activity "
         "fails with IngestionUnconfirmed (a rerun never duplicates what was ingested meanwhile)."},
        {"api_tokens", OptionType::kStringList, "", "",
         "Bearer tokens the API accepts, each ROLE:TOKEN or ROLE:sha256:HEX (the SHA-256 of the token, "
         "so the config holds no usable secret); ROLE is reader (GET and run queries) or admin "
         "(everything). With no token at all the API is open. Prefer api_tokens_file: a command line is "
         "visible to other users."},
        {"api_tokens_file", OptionType::kString, "", "",
         "File of tokens, one ROLE:TOKEN or ROLE:sha256:HEX per line ('#' comments), added to api_tokens. "
         "Default: $CREDENTIALS_DIRECTORY/api-tokens when systemd passes that credential."},
        {"api_metrics_unauthenticated", OptionType::kBool, "false", "",
         "Serve /metrics without a token (/healthz and /readyz are always open)."},
        {"allow_unauthenticated_remote", OptionType::kBool, "false", "",
         "Start even though listen is not a loopback address and no api_tokens are configured. Without it "
         "adxflowd refuses to expose an open API."},
        {"api_tls_cert_file", OptionType::kString, "", "",
         "PEM certificate chain of the API; with api_tls_key_file the API speaks HTTPS only. Both files are "
         "read again on SIGHUP (the listener stays up; a bad pair keeps the previous one)."},
        {"api_tls_key_file", OptionType::kString, "", "", "PEM private key matching api_tls_cert_file."},
        {"test_clock_start", OptionType::kString, "", "",
         "Tests only: the daemon's clock starts at this UTC instant (ISO 8601) instead of the real time, so "
         "trigger schedules and tumbling windows can be exercised end to end. Refused unless the environment "
         "has ADXFLOW_ENABLE_TEST_CLOCK=1."},
        {"test_clock_speed", OptionType::kInt, "1", "",
         "Tests only: with test_clock_start, how many times faster than real time the clock runs (3600: an "
         "hour per second); waits scale with it. Refused unless ADXFLOW_ENABLE_TEST_CLOCK=1."},
    };
    return table;
}

std::string Settings::ListenHost() const {
    auto pos = listen.rfind(':');
    std::string host = pos == std::string::npos ? listen : listen.substr(0, pos);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return host;
}

int Settings::ListenPort() const {
    auto pos = listen.rfind(':');
    if (pos == std::string::npos) return 0;
    int port = 0;
    auto s = listen.substr(pos + 1);
    std::from_chars(s.data(), s.data() + s.size(), port);
    return port;
}

namespace {

Error Bad(std::string_view source, std::string_view name, std::string message) {
    return MakeError(ErrorKind::kInvalidInput, "config",
                     std::string(source) + ": " + std::string(name) + ": " + message, "InvalidConfiguration",
                     std::string(name));
}

Status SetOption(Settings& s, std::string_view name, const Json& value, std::string_view source) {
    auto want_int = [&](int& out) -> Status {
        auto v = AsInt(value);
        if (!v || *v < 0 || *v > 1'000'000'000) return Bad(source, name, "expected a non-negative integer");
        out = static_cast<int>(*v);
        return Ok();
    };
    auto want_string = [&](std::string& out) -> Status {
        if (!value.is_string()) return Bad(source, name, "expected a string");
        out = value.get<std::string>();
        return Ok();
    };
    auto want_path = [&](std::filesystem::path& out) -> Status {
        std::string text;
        ADXFLOW_TRY(want_string(text));
        out = text;
        return Ok();
    };
    if (name == "listen") {
        ADXFLOW_TRY(want_string(s.listen));
        if (s.ListenPort() <= 0 || s.ListenPort() > 65535 || s.ListenHost().empty())
            return Bad(source, name, "expected HOST:PORT, e.g. 127.0.0.1:8420");
        return Ok();
    }
    if (name == "data_dir") return want_path(s.data_dir);
    if (name == "database_path") return want_path(s.database_path);
    if (name == "secrets_key_file") return want_path(s.secrets_key_file);
    if (name == "factory_name") return want_string(s.factory_name);
    if (name == "file_roots") {
        if (value.is_string()) {
            s.file_roots.push_back(value.get<std::string>());
            return Ok();
        }
        if (!value.is_array()) return Bad(source, name, "expected an array of folder paths");
        s.file_roots.clear();
        for (const auto& v : value) {
            if (!v.is_string()) return Bad(source, name, "expected an array of folder paths");
            s.file_roots.push_back(v.get<std::string>());
        }
        return Ok();
    }
    if (name == "workers") {
        ADXFLOW_TRY(want_int(s.workers));
        return s.workers >= 1 ? Ok() : Status(Bad(source, name, "must be at least 1"));
    }
    if (name == "max_concurrent_runs") {
        ADXFLOW_TRY(want_int(s.max_concurrent_runs));
        return s.max_concurrent_runs >= 1 ? Ok() : Status(Bad(source, name, "must be at least 1"));
    }
    if (name == "connector_max_concurrency") {
        if (!value.is_array()) return Bad(source, name, "expected an array of TYPE=N strings");
        s.connector_max_concurrency.clear();
        for (const auto& v : value) {
            if (!v.is_string()) return Bad(source, name, "expected an array of TYPE=N strings");
            std::stringstream entries(v.get<std::string>());
            for (std::string entry; std::getline(entries, entry, ',');)
                if (!entry.empty()) s.connector_max_concurrency.push_back(entry);
        }
        auto parsed = ParseConnectorLimits(s.connector_max_concurrency, std::string(name));
        return parsed.ok() ? Ok() : Status(Bad(source, name, parsed.error().message));
    }
    if (name == "max_queued_runs") {
        ADXFLOW_TRY(want_int(s.max_queued_runs));
        return s.max_queued_runs >= 0 ? Ok() : Status(Bad(source, name, "must be 0 (no limit) or more"));
    }
    if (name == "history_retention_days") {
        ADXFLOW_TRY(want_int(s.history_retention_days));
        return s.history_retention_days >= 0 ? Ok() : Status(Bad(source, name, "must be 0 (keep) or more"));
    }
    if (name == "history_prune_interval_secs") {
        ADXFLOW_TRY(want_int(s.history_prune_interval_secs));
        return s.history_prune_interval_secs >= 1 ? Ok() : Status(Bad(source, name, "must be at least 1"));
    }
    if (name == "history_prune_batch_runs") {
        ADXFLOW_TRY(want_int(s.history_prune_batch_runs));
        return s.history_prune_batch_runs >= 1 ? Ok() : Status(Bad(source, name, "must be at least 1"));
    }
    if (name == "shutdown_grace_secs") return want_int(s.shutdown_grace_secs);
    if (name == "http_threads") {
        ADXFLOW_TRY(want_int(s.http_threads));
        return s.http_threads >= 1 ? Ok() : Status(Bad(source, name, "must be at least 1"));
    }
    if (name == "http_body_limit_bytes") return want_int(s.http_body_limit_bytes);
    if (name == "http_request_timeout_secs") return want_int(s.http_request_timeout_secs);
    if (name == "copy_chunk_rows") {
        ADXFLOW_TRY(want_int(s.copy_chunk_rows));
        return s.copy_chunk_rows >= 1 ? Ok() : Status(Bad(source, name, "must be at least 1"));
    }
    if (name == "azure_authority_host") return want_string(s.azure_authority_host);
    if (name == "azure_imds_endpoint") return want_string(s.azure_imds_endpoint);
    if (name == "azure_ca_file") return want_string(s.azure_ca_file);
    if (name == "adx_ingest_endpoint") return want_string(s.adx_ingest_endpoint);
    if (name == "adx_ingest_confirm_timeout_secs") {
        ADXFLOW_TRY(want_int(s.adx_ingest_confirm_timeout_secs));
        return s.adx_ingest_confirm_timeout_secs >= 1 ? Ok()
                                                      : Status(Bad(source, name, "must be at least 1"));
    }
    auto want_bool = [&](bool& out) -> Status {
        if (value.is_boolean()) {
            out = value.get<bool>();
            return Ok();
        }
        if (value.is_string() && (value == "true" || value == "false")) {
            out = value == "true";
            return Ok();
        }
        return Bad(source, name, "expected true or false");
    };
    if (name == "api_tokens") {
        // Entries are never echoed in errors: they may be secrets.
        if (!value.is_array()) return Bad(source, name, "expected an array of ROLE:TOKEN strings");
        s.api_tokens.clear();
        for (const auto& v : value) {
            if (!v.is_string()) return Bad(source, name, "expected an array of ROLE:TOKEN strings");
            s.api_tokens.push_back(v.get<std::string>());
        }
        return Ok();
    }
    if (name == "api_tokens_file") return want_path(s.api_tokens_file);
    if (name == "api_metrics_unauthenticated") return want_bool(s.api_metrics_unauthenticated);
    if (name == "allow_unauthenticated_remote") return want_bool(s.allow_unauthenticated_remote);
    if (name == "api_tls_cert_file") return want_path(s.api_tls_cert_file);
    if (name == "api_tls_key_file") return want_path(s.api_tls_key_file);
    if (name == "test_clock_start") {
        ADXFLOW_TRY(want_string(s.test_clock_start));
        if (!s.test_clock_start.empty() && !ParseTimestamp(s.test_clock_start))
            return Bad(source, name, "expected an ISO 8601 UTC time such as 2024-05-01T00:00:00Z");
        return Ok();
    }
    if (name == "test_clock_speed") {
        ADXFLOW_TRY(want_int(s.test_clock_speed));
        return s.test_clock_speed >= 1 ? Ok() : Status(Bad(source, name, "must be at least 1"));
    }
    if (name == "log_level") {
        ADXFLOW_TRY(want_string(s.log_level));
        for (const char* l : {"trace", "debug", "info", "warn", "error", "off"})
            if (s.log_level == l) return Ok();
        return Bad(source, name, "expected trace, debug, info, warn, error or off");
    }
    return Bad(source, name, "unknown option (see adxflowd --help)");
}

}  // namespace

Status ApplyJson(const Json& config, Settings& settings, std::string_view source) {
    if (!config.is_object())
        return MakeError(ErrorKind::kInvalidInput, "config",
                         std::string(source) + ": expected a JSON object");
    for (auto it = config.begin(); it != config.end(); ++it)
        ADXFLOW_TRY(SetOption(settings, it.key(), it.value(), source));
    return Ok();
}

Result<Settings> ParseCommandLine(int argc, const char* const* argv, std::string* action) {
    Settings s;
    std::vector<std::pair<std::string, std::string>> flags;
    std::string config_file;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            *action = "help";
            return s;
        }
        if (arg == "--version") {
            *action = "version";
            return s;
        }
        if (arg == "--config-doc") {
            *action = "config-doc";
            return s;
        }
        if (arg.rfind("--", 0) != 0)
            return MakeError(ErrorKind::kInvalidInput, "cli",
                             "unexpected argument '" + arg + "' (see --help)");
        std::string name = arg.substr(2), value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        } else {
            if (i + 1 >= argc)
                return MakeError(ErrorKind::kInvalidInput, "cli",
                                 "--" + name + " needs a value (see --help)");
            value = argv[++i];
        }
        if (name == "config") {
            config_file = value;
        } else if (name == "rotate-secrets-key") {
            *action = "rotate-secrets-key";
            s.rotate_secrets_key_to = value;
        } else {
            flags.emplace_back(name, value);
        }
    }
    if (!config_file.empty()) {
        std::ifstream in(config_file);
        if (!in)
            return MakeError(ErrorKind::kInvalidInput, "config", "cannot read config file " + config_file);
        std::stringstream ss;
        ss << in.rdbuf();
        ADXFLOW_ASSIGN_OR_RETURN(Json j, ParseJson(ss.str(), config_file));
        ADXFLOW_TRY(ApplyJson(j, s, config_file));
    }
    bool file_roots_from_cli = false;
    for (auto& [flag, value] : flags) {
        std::string name = flag;
        for (auto& c : name)
            if (c == '-') c = '_';
        if (name == "file_root") {
            if (!file_roots_from_cli) s.file_roots.clear();  // the command line replaces the file's list
            file_roots_from_cli = true;
            s.file_roots.push_back(value);
            continue;
        }
        const OptionSpec* spec = nullptr;
        for (const auto& o : OptionTable())
            if (name == o.name) spec = &o;
        if (!spec)
            return MakeError(ErrorKind::kInvalidInput, "cli", "unknown option --" + flag + " (see --help)");
        Json v = value;
        if (spec->type == OptionType::kStringList) v = Json::array({value});
        ADXFLOW_TRY(SetOption(s, name, v, "--" + flag));
    }
    if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY"); creds && *creds)
        ApplyCredentialsDirectory(s, creds);
    if (s.database_path.empty()) s.database_path = s.data_dir / "adxflow.db";
    if (s.secrets_key_file.empty()) s.secrets_key_file = s.data_dir / "secrets.key";
    return s;
}

void ApplyCredentialsDirectory(Settings& s, const std::filesystem::path& dir) {
    std::error_code ec;
    if (s.secrets_key_file.empty() && std::filesystem::is_regular_file(dir / "secrets-key", ec))
        s.secrets_key_file = dir / "secrets-key";
    if (s.api_tokens_file.empty() && std::filesystem::is_regular_file(dir / "api-tokens", ec))
        s.api_tokens_file = dir / "api-tokens";
}

std::string HelpText() {
    std::ostringstream out;
    out << "adxflowd: a self-hosted Azure Data Factory-compatible pipeline daemon for Azure Data Explorer\n\n"
           "Usage: adxflowd [--config FILE] [--OPTION VALUE]...\n\n"
           "  --config FILE        JSON object with any of the options below (command-line flags win)\n"
           "  --file-root DIR      allow FileServer linked services inside DIR (repeatable)\n"
           "  --rotate-secrets-key NEW_KEY_FILE\n"
           "                       re-encrypt the stored secrets with the key in NEW_KEY_FILE (made when\n"
           "                       missing), install it as secrets_key_file; stop the daemon first\n"
           "  --help, --version, --config-doc (print docs/configuration.md)\n\nOptions:\n";
    for (const auto& o : OptionTable()) {
        std::string flag = std::string("--") + o.name;
        for (auto& c : flag)
            if (c == '_') c = '-';
        out << "  " << flag;
        if (flag.size() < 28) out << std::string(28 - flag.size(), ' ');
        out << o.doc;
        if (*o.default_value)
            out << " [default: " << o.default_value << (*o.unit ? std::string(" ") + o.unit : "") << "]";
        out << "\n";
    }
    return out.str();
}

std::string ConfigurationDoc() {
    std::ostringstream out;
    out << "# adxflowd configuration\n\n"
           "<!-- Generated by `adxflowd --config-doc` from config/settings.cpp; do not edit by hand. -->\n\n"
           "Settings come from a JSON file given with `--config FILE` (one object, keys below) and from the "
           "command line, where every key is also a flag (`data_dir` is `--data-dir`). Flags override the "
           "file. "
           "`adxflowd` starts with no config file at all.\n\n"
           "| name | type | default | unit | description |\n|---|---|---|---|---|\n";
    for (const auto& o : OptionTable()) {
        const char* type = o.type == OptionType::kString ? "string"
                           : o.type == OptionType::kInt  ? "integer"
                           : o.type == OptionType::kBool ? "boolean"
                                                         : "array of strings";
        out << "| `" << o.name << "` | " << type << " | "
            << (*o.default_value ? std::string("`") + o.default_value + "`" : "") << " | " << o.unit << " | "
            << o.doc << " |\n";
    }
    out << "\nExample:\n\n```json\n{\n  \"listen\": \"127.0.0.1:8420\",\n  \"data_dir\": "
           "\"/var/lib/adxflow\",\n"
           "  \"file_roots\": [\"/srv/data\"],\n  \"workers\": 8\n}\n```\n";
    return out.str();
}

}  // namespace adxflow::config
