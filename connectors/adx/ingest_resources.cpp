#include "connectors/adx/ingest_resources.hpp"

#include <cctype>

namespace adxflow::adx {

namespace {

// Collects the first table of a v1 answer as rows of text.
class TextTable final : public kusto::ResponseHandler {
  public:
    Status OnTableStart(const kusto::TableInfo& table) override {
        if (!started_) columns_ = table.schema;
        started_ = true;
        return Ok();
    }
    Status OnRows(const kusto::TableInfo& table, const RowBatch& rows) override {
        if (table.id != 0) return Ok();
        for (size_t r = 0; r < rows.rows(); ++r) {
            std::vector<std::string> row;
            for (size_t c = 0; c < rows.width(); ++c) row.push_back(ValueToText(rows.Row(r)[c]));
            rows_.push_back(std::move(row));
        }
        return Ok();
    }
    Status OnTableEnd(const kusto::TableInfo&, const std::vector<kusto::KustoError>&) override {
        return Ok();
    }

    int Column(std::string_view name) const {
        for (size_t i = 0; i < columns_.size(); ++i)
            if (IEquals(columns_[i].name, name)) return static_cast<int>(i);
        return -1;
    }
    const std::vector<std::vector<std::string>>& rows() const { return rows_; }

  private:
    bool started_ = false;
    Schema columns_;
    std::vector<std::vector<std::string>> rows_;
};

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
    TextTable resources;
    ADXFLOW_TRY(dm.Management(request, resources, cancel));
    IngestResources out;
    const int kind = resources.Column("ResourceTypeName"), root = resources.Column("StorageRoot");
    if (kind < 0 || root < 0)
        return MakeError(ErrorKind::kTransient, "adx.ingest",
                         "'.get ingestion resources' answered without "
                         "ResourceTypeName/StorageRoot columns",
                         "MalformedIngestionResources");
    for (const auto& row : resources.rows()) {
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
    TextTable token;
    ADXFLOW_TRY(dm.Management(request, token, cancel));
    const int context = token.Column("AuthorizationContext");
    if (context < 0 || token.rows().empty())
        return MakeError(ErrorKind::kTransient, "adx.ingest", "'.get kusto identity token' returned no token",
                         "NoIdentityToken");
    out.identity_token = token.rows()[0][static_cast<size_t>(context)];

    std::lock_guard lock(mu_);
    entries_[dm.cluster_url()] = {out, std::chrono::steady_clock::now()};
    return out;
}

void IngestResourceCache::Invalidate(const std::string& endpoint) {
    std::lock_guard lock(mu_);
    entries_.erase(endpoint);
}

}  // namespace adxflow::adx
