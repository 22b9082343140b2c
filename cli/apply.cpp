// `adxflow apply DIR`: deploy a folder in ADF's git layout.
//
// The whole folder is read and parsed before anything is sent, so a JSON syntax error never leaves a half
// applied factory. Resources are then PUT kind by kind in dependency order. Within a kind, references
// between resources of the same kind (ExecutePipeline targets, linked services that use another linked
// service) are resolved by retrying the rejected ones after the others, for as long as that makes progress.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/output.hpp"

namespace adxflow::cli {

namespace fs = std::filesystem;

namespace {

struct Phase {
    const char* folder;      // ADF git layout folder
    const char* collection;  // ARM collection name
};

// Order matters: each kind may only reference kinds applied before it.
constexpr Phase kPhases[] = {{"credential", "credentials"},
                             {"linkedService", "linkedservices"},
                             {"dataset", "datasets"},
                             {"pipeline", "pipelines"},
                             {"trigger", "triggers"}};

// Folders of the git layout this daemon has no API for; skipped with a note rather than failing the apply.
constexpr const char* kIgnoredFolders[] = {"integrationRuntime", "dataflow", "managedVirtualNetwork",
                                           "privateEndpoint", "globalParameters"};

struct ResourceFile {
    fs::path file;  // for messages: relative to DIR
    std::string name;
    Json properties;
    bool key_vault = false;
};

Result<Json> ReadJsonFile(const fs::path& path, const fs::path& shown) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return MakeError(ErrorKind::kInvalidInput, "apply.read", shown.string() + ": cannot read the file");
    std::ostringstream ss;
    ss << in.rdbuf();
    auto json = ParseJson(ss.str(), shown.string());
    if (!json.ok()) {
        Error e = std::move(json).error();
        if (e.message.find(shown.string()) == std::string::npos)
            e.message = shown.string() + ": " + e.message;
        return e;
    }
    return json;
}

std::vector<fs::path> JsonFiles(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return files;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

Result<std::vector<ResourceFile>> ReadPhase(const fs::path& root, const Phase& phase) {
    std::vector<ResourceFile> out;
    for (const auto& path : JsonFiles(root / phase.folder)) {
        fs::path shown = fs::path(phase.folder) / path.filename();
        ADXFLOW_ASSIGN_OR_RETURN(Json doc, ReadJsonFile(path, shown));
        if (!doc.is_object())
            return MakeError(ErrorKind::kInvalidInput, "apply.read",
                             shown.string() + ": expected a JSON object");
        ResourceFile r;
        r.file = shown;
        r.name = Str(doc, "name");
        if (r.name.empty()) r.name = path.stem().string();
        const Json* props = FindMember(doc, "properties");
        if (!props || !props->is_object())
            return MakeError(
                ErrorKind::kInvalidInput, "apply.read",
                shown.string() + ": \"properties\" is missing (expected {\"name\", \"properties\"})");
        r.properties = *props;
        r.key_vault = IEquals(Str(*props, "type"), "AzureKeyVault");
        out.push_back(std::move(r));
    }
    // Key Vault linked services first: other linked services take their secrets from them.
    std::stable_sort(out.begin(), out.end(), [](const ResourceFile& a, const ResourceFile& b) {
        return a.key_vault && !b.key_vault;
    });
    return out;
}

// Merges factory/*.json globalParameters (later files win) and the --global overrides.
Result<std::optional<Json>> ReadGlobals(const fs::path& root, const std::vector<std::string>& overrides) {
    std::optional<Json> globals;
    for (const auto& path : JsonFiles(root / "factory")) {
        fs::path shown = fs::path("factory") / path.filename();
        ADXFLOW_ASSIGN_OR_RETURN(Json doc, ReadJsonFile(path, shown));
        const Json* props = doc.is_object() ? FindMember(doc, "properties") : nullptr;
        const Json* g = props && props->is_object() ? FindMember(*props, "globalParameters") : nullptr;
        if (!g) continue;
        if (!g->is_object())
            return MakeError(ErrorKind::kInvalidInput, "apply.read",
                             shown.string() + ": properties.globalParameters must be an object");
        if (!globals) globals = Json::object();
        for (auto it = g->begin(); it != g->end(); ++it) (*globals)[it.key()] = it.value();
    }
    for (const auto& o : overrides) {
        auto eq = o.find('=');
        if (eq == std::string::npos || eq == 0)
            return MakeError(ErrorKind::kInvalidInput, "cli.args",
                             "--global expects NAME=VALUE, got \"" + o + "\"");
        std::string name = o.substr(0, eq);
        Json value = ValueFromText(o.substr(eq + 1));
        if (!globals) globals = Json::object();
        Json& entry = (*globals)[name];
        if (!entry.is_object() || !entry.contains("type")) {
            const char* type = value.is_string()           ? "String"
                               : value.is_boolean()        ? "Bool"
                               : value.is_number_integer() ? "Int"
                               : value.is_number()         ? "Float"
                               : value.is_array()          ? "Array"
                                                           : "Object";
            entry = {{"type", type}};
        }
        entry["value"] = std::move(value);
    }
    return globals;
}

void PrintApplied(const char* kind, const std::string& name, const ApiReply& reply) {
    std::printf("  applied %-14s %s\n", kind, name.c_str());
    for (const auto& w : reply.warnings) std::printf("    warning: %s\n", w.c_str());
}

}  // namespace

int ApplyCommand(ApiClient& api, const std::vector<std::string>& args) {
    auto parsed = ParseArgs(args, {{"--global", true}, {"--dry-run", false}});
    if (!parsed.ok()) return ReportError(parsed.error());
    if (parsed->positional.size() != 1) {
        std::fprintf(stderr, "adxflow: apply needs exactly one folder (see adxflow apply --help)\n");
        return kExitUsage;
    }
    const fs::path root = parsed->positional[0];
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        std::fprintf(stderr, "adxflow: %s is not a folder\n", root.string().c_str());
        return kExitUsage;
    }

    // Read everything first.
    auto globals = ReadGlobals(root, parsed->All("--global"));
    if (!globals.ok()) return ReportError(globals.error(), root.string());
    std::vector<std::vector<ResourceFile>> phases;
    size_t total = 0;
    for (const auto& phase : kPhases) {
        auto files = ReadPhase(root, phase);
        if (!files.ok()) {
            std::fprintf(stderr, "adxflow: apply %s: %s\n", root.string().c_str(),
                         files.error().message.c_str());
            return kExitFailed;
        }
        total += files->size();
        phases.push_back(std::move(*files));
    }
    for (const char* ignored : kIgnoredFolders)
        if (fs::is_directory(root / ignored, ec))
            std::printf("  skipped %s/ (not supported by adxflowd)\n", ignored);
    if (total == 0 && !*globals) {
        std::fprintf(
            stderr,
            "adxflow: %s has no resources: expected ADF git layout folders (linkedService/, dataset/, "
            "pipeline/, ...)\n",
            root.string().c_str());
        return kExitFailed;
    }
    const bool dry_run = parsed->Has("--dry-run");
    std::printf("applying %s to %s%s\n", root.string().c_str(), api.server().c_str(),
                dry_run ? " (dry run)" : "");

    if (*globals) {
        if (dry_run) {
            std::printf("  would apply factory globalParameters (%zu)\n", (*globals)->size());
        } else {
            auto reply = api.Call("PUT", "", Json{{"properties", {{"globalParameters", **globals}}}});
            if (!reply.ok()) return ReportError(reply.error(), "factory globalParameters");
            std::printf("  applied %-14s %zu global parameter(s)\n", "factory", (*globals)->size());
        }
    }

    size_t applied = 0;
    for (size_t p = 0; p < std::size(kPhases); ++p) {
        std::vector<ResourceFile*> pending;
        for (auto& r : phases[p]) pending.push_back(&r);
        const char* kind = kPhases[p].folder;
        if (dry_run) {
            for (auto* r : pending) std::printf("  would apply %-14s %s\n", kind, r->name.c_str());
            continue;
        }
        std::vector<std::pair<ResourceFile*, Error>> failures;
        while (!pending.empty()) {
            failures.clear();
            std::vector<ResourceFile*> retry;
            for (auto* r : pending) {
                auto reply =
                    api.Call("PUT", std::string(kPhases[p].collection) + "/" + http::PercentEncode(r->name),
                             Json{{"properties", r->properties}});
                if (reply.ok()) {
                    PrintApplied(kind, r->name, *reply);
                    ++applied;
                    continue;
                }
                // Only a 400 can be an ordering problem; anything else (daemon down, 5xx) stops right here.
                if (reply.error().kind != ErrorKind::kInvalidInput)
                    return ReportError(reply.error(), r->file.string());
                failures.emplace_back(r, reply.error());
                retry.push_back(r);
            }
            if (retry.size() == pending.size()) break;  // no progress: the failures are real
            pending = std::move(retry);
        }
        if (!failures.empty()) {
            for (const auto& [r, e] : failures)
                std::fprintf(stderr, "adxflow: %s: %s '%s' rejected: %s\n", r->file.string().c_str(), kind,
                             r->name.c_str(), e.message.c_str());
            std::fprintf(stderr, "adxflow: apply stopped after %zu resource(s); %zu rejected\n", applied,
                         failures.size());
            return kExitFailed;
        }
    }
    std::printf("applied %zu resource(s)\n", applied);
    return kExitOk;
}

}  // namespace adxflow::cli
