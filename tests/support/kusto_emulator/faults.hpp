#pragma once
// Scripted faults for the Kusto emulator, so that a client's retry, timeout and recovery paths are tested
// against the same wire shapes the service fails with. A test arms faults through the admin endpoints
// (POST /_emulator/faults, GET to list, DELETE to clear) or the config file ("faults": [...]); each fault
// answers the next `count` requests that match it.
//
// {"count": 2, "path": "/v2/rest/query", "command": ".ingest", "action": "status", "status": 429,
//  "retryAfterSecs": 1, "code": "TooManyRequests", "message": "...", "permanent": false, "delayMs": 0}
//
// Actions: "status" (an error status with a OneApi body; Retry-After for 429), "error" (200 with an in-band
// OneApi error instead of the result, for queries), "delay" (wait delayMs, then answer normally),
// "closeMidBody" (send the start of a streamed result, then cut the connection), "trickle" (stream the
// result in small pieces, delayMs apart), "failIngestion" (a queued ingestion into `table`, any table when
// empty, fails after it was enqueued: reported with `code`, `message` and `permanent` like a real failure;
// never taken by HTTP requests).

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"

namespace adxflow::kusto_emulator {

struct Fault {
    enum class Action { kStatus, kInBandError, kDelay, kCloseMidBody, kTrickle, kFailIngestion };
    Action action = Action::kStatus;
    int count = 1;
    std::string path;     // request path prefix; empty matches every engine path
    std::string command;  // substring of the request's csl (case-insensitive); empty matches any
    int status = 503;
    int retry_after_secs = 0;
    std::string code = "ServiceUnavailable";
    std::string message = "injected fault";
    bool permanent = false;
    int delay_ms = 0;
    std::string table;  // failIngestion: the target table (empty: any)
    int id = 0;
};

Result<Fault> ParseFault(const Json& spec);
Json FaultJson(const Fault& fault);

class FaultPlan {
  public:
    int Add(Fault fault);  // returns its id
    void Clear();
    Json List() const;
    // The fault that takes this request, if any (its count goes down by one).
    std::optional<Fault> Take(const std::string& path, const std::string& csl);
    // The failIngestion fault that takes a queued ingestion into `table`, if any.
    std::optional<Fault> TakeIngestion(const std::string& table);

  private:
    mutable std::mutex mu_;
    std::vector<Fault> faults_;
    int next_id_ = 1;
};

}  // namespace adxflow::kusto_emulator
