#pragma once
// What queued ingestion needs from the cluster's data-management endpoint: where to stage blobs, which
// queue to post to, where statuses are written, and the identity token every message carries
// (`.get ingestion resources`, `.get kusto identity token`; adx-protocol.md §9.1). Cached per ingestion
// endpoint for an hour, as the SDKs do.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/adx/kusto_client.hpp"

namespace adxflow::adx {

struct IngestResources {
    std::vector<std::string> temp_storage;  // container URLs with SAS
    std::vector<std::string> ready_queues;  // SecuredReadyForAggregationQueue URLs with SAS
    std::string status_table;               // IngestionsStatusTable URL with SAS (may be empty)
    std::string identity_token;             // AuthorizationContext
};

// The data-management endpoint for `cluster_url`: `configured` when set; the cluster URL itself for IP
// addresses and localhost (what the SDKs do, and how the emulator serves both); else "ingest-" + host.
std::string IngestEndpoint(const std::string& cluster_url, const std::string& configured);

class IngestResourceCache {
  public:
    // Fetches (or returns the cached) resources through `dm`, a client of the ingestion endpoint.
    Result<IngestResources> Get(KustoClient& dm, const CancellationToken* cancel);
    // Forgets the endpoint's entry (after a staging or queue failure that new resources may fix).
    void Invalidate(const std::string& endpoint);

    static constexpr std::chrono::minutes kLifetime{60};

  private:
    struct Entry {
        IngestResources resources;
        std::chrono::steady_clock::time_point fetched;
    };
    std::mutex mu_;
    std::map<std::string, Entry> entries_;
};

}  // namespace adxflow::adx
