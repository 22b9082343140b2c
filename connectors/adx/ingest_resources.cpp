#include "connectors/adx/ingest_resources.hpp"

#include <cctype>

#include "connectors/adx/result_tables.hpp"

namespace adxflow::adx {

namespace {

bool IsIpLiteral(const std::string& host) {
    if (host.find(':') != std::string::npos) return true;  // IPv6
    for (char c : host)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
    return !host.empty();
}

}  // namespace

std::string IngestEndpoint(const std::string& cluster_url, const std::string& configured) {
    if (!configured.empty()) return configured;
    auto url = http::ParseUrl(cluster_url);
    if (!url.ok()) return cluster_url;
    if (IsIpLiteral(url->host) || url->host.find("localhost") != std::string::npos ||
        url->host.rfind("ingest-", 0) == 0)
        return cluster_url;
    std::string out = url->scheme + "://ingest-" + url->host;
    if (!url->has_default_port()) out += ":" + std::to_string(url->port);
    return out;
}

Result<IngestResources> IngestResourceCache::Get(KustoClient& dm, const CancellationToken* cancel) {
    {
        std::lock_guard lock(mu_);
        auto it = entries_.find(dm.cluster_url());
        if (it != entries_.end() && std::chrono::steady_clock::now() - it->second.fetched < kLifetime)
            return it->second.resources;
    }
    KustoRequest request;
    request.database = "NetDefaultDB";
    request.csl = ".get ingestion resources";
    request.client_timeout = std::chrono::seconds(60);
    FirstTableText resources;
    ADXFLOW_TRY(dm.IdempotentManagement(
        request, resources, [&] { resources = FirstTableText(); }, cancel));
    IngestResources out;
    const int kind = resources.Column("ResourceTypeName"), root = resources.Column("StorageRoot");
    if (kind < 0 || root < 0)
        return MakeError(ErrorKind::kTransient, "adx.ingest",
                         "'.get ingestion resources' answered without "
                         "ResourceTypeName/StorageRoot columns",
                         "MalformedIngestionResources");
    for (const auto& row : resources.rows) {
        const std::string& k = row[static_cast<size_t>(kind)];
        const std::string& v = row[static_cast<size_t>(root)];
        if (k == "TempStorage")
            out.temp_storage.push_back(v);
        else if (k == "SecuredReadyForAggregationQueue")
            out.ready_queues.push_back(v);
        else if (k == "IngestionsStatusTable")
            out.status_table = v;
    }
    if (out.temp_storage.empty() || out.ready_queues.empty())
        return MakeError(
            ErrorKind::kTransient, "adx.ingest",
            "the ingestion endpoint " + dm.cluster_url() +
                " lists no TempStorage container or ready queue (is it a data-management endpoint?)",
            "NoIngestionResources");

    request.csl = ".get kusto identity token";
    FirstTableText token;
    ADXFLOW_TRY(dm.IdempotentManagement(
        request, token, [&] { token = FirstTableText(); }, cancel));
    const int context = token.Column("AuthorizationContext");
    if (context < 0 || token.rows.empty())
        return MakeError(ErrorKind::kTransient, "adx.ingest", "'.get kusto identity token' returned no token",
                         "NoIdentityToken");
    out.identity_token = token.rows[0][static_cast<size_t>(context)];

    std::lock_guard lock(mu_);
    entries_[dm.cluster_url()] = {out, std::chrono::steady_clock::now()};
    return out;
}

void IngestResourceCache::Invalidate(const std::string& endpoint) {
    std::lock_guard lock(mu_);
    entries_.erase(endpoint);
}

}  // namespace adxflow::adx
