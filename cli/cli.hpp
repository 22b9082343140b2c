#pragma once
// The adxflow command-line client: talks to adxflowd over its ARM-compatible HTTP API.
//
// Exit codes are part of the interface (scripts and CI branch on them):
//   0  success (for `run --wait`: the run Succeeded)
//   1  the request was rejected (4xx), or the run ended Failed/Cancelled
//   2  usage error, or the daemon could not be reached / answered 5xx
//   3  `run --wait --timeout` gave up waiting while the run was still going

#include <string>
#include <vector>

#include "cli/api_client.hpp"

namespace adxflow::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitTimeout = 3;

int Main(int argc, char** argv);

// One function per command; `args` are the words after the command name (global options removed).
int ApplyCommand(ApiClient& api, const std::vector<std::string>& args);
int RunCommand(ApiClient& api, const std::vector<std::string>& args);
int RunsCommand(ApiClient& api, const std::vector<std::string>& args);
int ShowCommand(ApiClient& api, const std::vector<std::string>& args);
int CancelCommand(ApiClient& api, const std::vector<std::string>& args);

// Help texts (cli/help.cpp). CommandHelp returns nullptr for an unknown command.
const char* MainHelp();
const char* CommandHelp(const std::string& command);

// Prints "adxflow: <message>" for an error returned by ApiClient and picks the exit code for it:
// kExitUsage for transport/5xx problems, kExitFailed for rejections.
int ReportError(const Error& error, const std::string& context = {});

}  // namespace adxflow::cli
