// Global options and dispatch to the commands.
#include "cli/cli.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace adxflow::cli {

namespace {

using CommandFn = int (*)(ApiClient&, const std::vector<std::string>&);

CommandFn FindCommand(const std::string& name) {
    if (name == "apply") return ApplyCommand;
    if (name == "run") return RunCommand;
    if (name == "runs") return RunsCommand;
    if (name == "show") return ShowCommand;
    if (name == "cancel") return CancelCommand;
    return nullptr;
}

}  // namespace

int ReportError(const Error& error, const std::string& context) {
    std::fprintf(stderr, "adxflow: %s%s\n", context.empty() ? "" : (context + ": ").c_str(),
                 error.message.c_str());
    const bool rejected = error.kind == ErrorKind::kNotFound || error.kind == ErrorKind::kConflict ||
                          error.kind == ErrorKind::kUnauthorized || error.kind == ErrorKind::kForbidden ||
                          error.kind == ErrorKind::kTooLarge ||
                          (error.kind == ErrorKind::kInvalidInput && error.op.rfind("api.", 0) == 0);
    return rejected ? kExitFailed : kExitUsage;
}

int Main(int argc, char** argv) {
    std::string server;
    if (const char* env = std::getenv("ADXFLOW_SERVER"); env && *env) server = env;
    if (server.empty()) server = kDefaultServer;
    std::string factory = "adxflow";
    ClientCredentials credentials;
    // The token from the environment keeps it out of `ps` and shell history; --token is for quick tests.
    if (const char* env = std::getenv("ADXFLOW_TOKEN"); env && *env) credentials.token = env;
    if (const char* env = std::getenv("ADXFLOW_CA_FILE"); env && *env) credentials.ca_file = env;
    std::string command;
    bool help = false;
    std::vector<std::string> rest;

    // Global options may come before or after the command word; everything else belongs to the command.
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        auto take_value = [&](const std::string& flag, std::string& out) -> bool {
            if (word.rfind(flag + "=", 0) == 0) {
                out = word.substr(flag.size() + 1);
                return true;
            }
            if (word != flag) return false;
            if (i + 1 >= argc) {
                std::fprintf(stderr, "adxflow: %s needs a value\n", flag.c_str());
                std::exit(kExitUsage);
            }
            out = argv[++i];
            return true;
        };
        if (take_value("--server", server) || take_value("--factory", factory) ||
            take_value("--token", credentials.token) || take_value("--ca-file", credentials.ca_file))
            continue;
        if (word == "--help" || word == "-h" || (word == "help" && command.empty())) {
            help = true;
            continue;
        }
        if (word == "--version") {
            std::cout << "adxflow 0.1.0\n";
            return kExitOk;
        }
        if (command.empty() && !word.empty() && word[0] != '-') {
            command = word;
            continue;
        }
        rest.push_back(word);
    }

    if (command.empty()) {
        std::cout << MainHelp();
        return help ? kExitOk : kExitUsage;
    }
    CommandFn fn = FindCommand(command);
    if (!fn) {
        std::fprintf(stderr, "adxflow: unknown command \"%s\" (see adxflow --help)\n", command.c_str());
        return kExitUsage;
    }
    if (help) {
        std::cout << CommandHelp(command);
        return kExitOk;
    }
    ApiClient api(server, factory, credentials);
    return fn(api, rest);
}

}  // namespace adxflow::cli
