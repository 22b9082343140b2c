#include "connectors/blob/blob_connector.hpp"

#include "connectors/blob/blob_linked_service.hpp"
#include "connectors/blob/blob_store.hpp"
#include "connectors/common/format/store_sink.hpp"
#include "connectors/common/format/store_source.hpp"

namespace adxflow::blob {

namespace {

struct ClientHolder {
    std::shared_ptr<adx::AdxServices> services;
    azure::BlobClient client;
};

struct Resolved {
    std::shared_ptr<azure::BlobClient> client;
    BlobLocation location;
    format::FormatSpec format;
};

// A client for the linked service's account: key, SAS, or a bearer token from the shared token cache.
Result<std::shared_ptr<azure::BlobClient>> MakeClient(BlobLinkedService ls,
                                                      const std::shared_ptr<adx::AdxServices>& services,
                                                      const adx::AdxEnvironment& env) {
    if (ls.uses_identity) {
        ADXFLOW_ASSIGN_OR_RETURN(std::shared_ptr<identity::TokenCredential> credential,
                                 adx::MakeCredential(ls.auth, *services, env, nullptr));
        ls.account.bearer_token = [services, credential](const CancellationToken* cancel) {
            return services->tokens().Get(*credential, kStorageAudience, cancel);
        };
    }
    // The client keeps a reference to the HTTP client: the holder keeps `services` alive with it.
    std::shared_ptr<ClientHolder> holder(
        new ClientHolder{services, azure::BlobClient(std::move(ls.account), services->http())});
    return std::shared_ptr<azure::BlobClient>(holder, &holder->client);
}

// Secrets in Key Vault are read with the same client and identity as ADX's.
Result<Resolved> Resolve(const EndpointSpec& spec, const std::shared_ptr<adx::AdxServices>& services,
                         const adx::AdxEnvironment& env, std::string_view settings_path) {
    ADXFLOW_ASSIGN_OR_RETURN(
        BlobLinkedService ls,
        ParseBlobLinkedService(spec.linked_service, adx::KeyVaultSecretFetcher(services, env), nullptr));
    Resolved r;
    ADXFLOW_ASSIGN_OR_RETURN(r.location, ParseBlobLocation(spec.dataset, ls));
    ADXFLOW_ASSIGN_OR_RETURN(
        r.format, format::ParseFormatSpec(spec.dataset_type, spec.dataset, spec.settings, settings_path));
    ADXFLOW_ASSIGN_OR_RETURN(r.client, MakeClient(std::move(ls), services, env));
    return r;
}

Json Step(const std::string& name, const char* status, const std::string& message) {
    return {{"name", name}, {"status", status}, {"message", message}};
}

// Steps: the linked service, a token (identities only), and one List Blobs call proving the credentials. A
// linked service names no container, so it lists the sasUri's container or a made-up one: the service checks
// the credentials before it looks for the container, so "ContainerNotFound" proves them as well as a listing.
Json TestBlobConnection(const std::shared_ptr<adx::AdxServices>& services, const adx::AdxEnvironment& env,
                        const EndpointSpec& spec, const OpContext& ctx) {
    Json steps = Json::array();
    auto ls =
        ParseBlobLinkedService(spec.linked_service, adx::KeyVaultSecretFetcher(services, env), &ctx.cancel);
    if (!ls.ok()) {
        steps.push_back(Step("linkedService", "Failed", ls.error().message));
        steps.push_back(Step("reach", "Skipped", "an earlier step failed"));
        return steps;
    }
    steps.push_back(Step("linkedService", "Succeeded", ls->account.blob_endpoint));
    const std::string container = ls->sas_container.empty() ? "adxflow-connection-test" : ls->sas_container;
    const bool identity = ls->uses_identity;
    const std::string who = identity ? ls->auth.Describe() : std::string();
    auto client = MakeClient(std::move(ls).value(), services, env);
    if (!client.ok()) {
        steps.push_back(Step("token", "Failed", client.error().message));
        steps.push_back(Step("reach", "Skipped", "an earlier step failed"));
        return steps;
    }
    if (identity) {
        auto token = (*client)->account().bearer_token(&ctx.cancel);
        if (!token.ok()) {
            steps.push_back(Step("token", "Failed", token.error().message));
            steps.push_back(Step("reach", "Skipped", "an earlier step failed"));
            return steps;
        }
        steps.push_back(Step("token", "Succeeded", "a token for " + who));
    }
    azure::ListBlobsOptions list;
    list.max_results = 1;
    azure::CallOptions options;
    options.cancel = &ctx.cancel;
    options.timeout = std::chrono::seconds(30);
    auto page = (*client)->ListBlobs(container, list, options);
    if (page.ok() ||
        (page.error().kind == ErrorKind::kNotFound && page.error().code == "ContainerNotFound")) {
        steps.push_back(Step("reach", "Succeeded", "the storage account accepted the credentials"));
        return steps;
    }
    steps.push_back(Step("reach", "Failed", page.error().message));
    return steps;
}

}  // namespace

ConnectorDescriptor MakeBlobConnector(std::shared_ptr<adx::AdxServices> services, adx::AdxEnvironment env) {
    ConnectorDescriptor d;
    d.name = "blob";
    d.linked_service_types = {"AzureBlobStorage"};
    d.dataset_types = {"DelimitedText", "Json", "Binary"};
    d.source_types = {"DelimitedTextSource", "JsonSource", "BinarySource"};
    d.sink_types = {"DelimitedTextSink", "JsonSink", "BinarySink"};
    d.make_source = [services, env](const EndpointSpec& spec,
                                    const ConnectorEnv&) -> Result<std::unique_ptr<Source>> {
        ADXFLOW_ASSIGN_OR_RETURN(Resolved r, Resolve(spec, services, env, "source"));
        ADXFLOW_ASSIGN_OR_RETURN(format::StoreReadSettings read,
                                 format::ParseStoreReadSettings(spec.settings, "source"));
        auto store =
            std::make_unique<BlobStore>(r.client, r.location.container, spec.run_id, spec.activity_name);
        return std::unique_ptr<Source>(std::make_unique<format::StoreSource>(
            std::move(store), format::StoreLocation{r.location.folder_path, r.location.file_name},
            std::move(r.format), std::move(read)));
    };
    d.make_sink = [services, env](const EndpointSpec& spec,
                                  const ConnectorEnv&) -> Result<std::unique_ptr<Sink>> {
        ADXFLOW_ASSIGN_OR_RETURN(Resolved r, Resolve(spec, services, env, "sink"));
        ADXFLOW_ASSIGN_OR_RETURN(format::StoreWriteSettings write,
                                 format::ParseStoreWriteSettings(spec.settings, "sink"));
        auto store = std::make_unique<BlobStore>(r.client, r.location.container, spec.run_id,
                                                 spec.activity_name, write.block_size_bytes);
        return std::unique_ptr<Sink>(std::make_unique<format::StoreSink>(
            std::move(store), format::StoreLocation{r.location.folder_path, r.location.file_name},
            std::move(r.format), std::move(write), spec.run_id, spec.activity_name));
    };
    d.test_connection = [services, env](const EndpointSpec& spec, const OpContext& ctx) {
        return TestBlobConnection(services, env, spec, ctx);
    };
    return d;
}

}  // namespace adxflow::blob
