#pragma once
// The daemon under test, started in-process exactly as adxflowd main() would (same command-line parsing,
// same defaults), with a temporary data dir and its log written to a file there so that logging costs
// what it costs in production without flooding the report.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/bench/load_client.hpp"

namespace adxflow::bench {

struct Reply {
    int status = 0;
    std::string body;
};

class DaemonUnderTest {
  public:
    // `extra_flags` are adxflowd flags (e.g. {"--workers", "4"}). Exits the process when start fails:
    // a benchmark without its subject has nothing to report.
    explicit DaemonUnderTest(const std::vector<std::string>& extra_flags);
    ~DaemonUnderTest();

    int port() const;
    int http_threads() const;
    // ARM prefix up to and including the factory, e.g. "/subscriptions/.../factories/adxflow".
    const std::string& prefix() const { return prefix_; }
    std::string Target(const std::string& suffix) const;  // prefix + suffix + "?api-version=2018-06-01"

    // One request on a fresh connection (setup and polling; not for measurements).
    Reply Call(const std::string& method, const std::string& suffix, const std::string& body = {}) const;
    // Polls until no run is Queued, InProgress or Canceling; returns the seconds waited (-1 on timeout).
    double WaitIdle(std::chrono::seconds timeout) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string prefix_;
};

}  // namespace adxflow::bench
