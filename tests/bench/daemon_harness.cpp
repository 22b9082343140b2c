#include "tests/bench/daemon_harness.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "config/settings.hpp"
#include "core/json.hpp"
#include "daemon/app/app.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::bench {

struct DaemonUnderTest::Impl {
    testing::TempDir dir;
    config::Settings settings;
    std::unique_ptr<app::Daemon> daemon;
};

namespace {

[[noreturn]] void Die(const std::string& what) {
    std::fprintf(stderr, "api_bench: %s\n", what.c_str());
    std::exit(2);
}

}  // namespace

DaemonUnderTest::DaemonUnderTest(const std::vector<std::string>& extra_flags)
    : impl_(std::make_unique<Impl>()) {
    const int port = testing::FreeLoopbackPort();
    std::vector<std::string> args = {"adxflowd", "--listen", "127.0.0.1:" + std::to_string(port),
                                     "--data-dir", (impl_->dir / "data").string()};
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::string action;
    auto settings = config::ParseCommandLine(static_cast<int>(argv.size()), argv.data(), &action);
    if (!settings.ok()) Die("bad daemon flags: " + settings.error().Describe());
    impl_->settings = *settings;

    // Same pattern and flush policy as app::ConfigureLogging, into a file instead of stdout.
    auto logger = spdlog::basic_logger_mt("adxflowd", (impl_->dir / "daemon.log").string());
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
    spdlog::set_level(spdlog::level::from_str(impl_->settings.log_level));
    spdlog::flush_on(spdlog::level::info);

    impl_->daemon = std::make_unique<app::Daemon>(impl_->settings);
    if (auto s = impl_->daemon->Start(); !s.ok()) Die("daemon did not start: " + s.error().Describe());
    prefix_ =
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/"
        "Microsoft.DataFactory/factories/" +
        impl_->settings.factory_name;
}

DaemonUnderTest::~DaemonUnderTest() {
    impl_->daemon->Stop();
    impl_->daemon.reset();
    spdlog::drop_all();
}

int DaemonUnderTest::port() const {
    return impl_->daemon->port();
}
int DaemonUnderTest::http_threads() const {
    return impl_->settings.http_threads;
}

std::string DaemonUnderTest::Target(const std::string& suffix) const {
    return prefix_ + suffix + "?api-version=2018-06-01";
}

Reply DaemonUnderTest::Call(const std::string& method, const std::string& suffix,
                            const std::string& body) const {
    LoadOptions o;
    o.port = port();
    o.connections = 1;
    o.total_requests = 1;
    o.duration = std::chrono::seconds(60);
    Reply reply;
    LoadRequest request{method, Target(suffix), body};
    RunLoad(
        o, [&](uint64_t) { return request; },
        [&](const LoadResponse& r) {
            reply.status = r.status;
            if (r.body) reply.body = *r.body;
        });
    return reply;
}

double DaemonUnderTest::WaitIdle(std::chrono::seconds timeout) const {
    const std::string query =
        R"({"lastUpdatedAfter":"2000-01-01T00:00:00Z","lastUpdatedBefore":"2100-01-01T00:00:00Z",)"
        R"("filters":[{"operand":"Status","operator":"In","values":["Queued","InProgress","Canceling"]}]})";
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < timeout) {
        Reply r = Call("POST", "/queryPipelineRuns", query);
        if (r.status != 200) Die("queryPipelineRuns answered " + std::to_string(r.status) + ": " + r.body);
        auto json = Json::parse(r.body, nullptr, false);
        if (json.is_object() && json["value"].is_array() && json["value"].empty())
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
}

}  // namespace adxflow::bench
