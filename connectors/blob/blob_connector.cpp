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

Result<Resolved> Resolve(const EndpointSpec& spec, const std::shared_ptr<adx::AdxServices>& services,
                         const adx::AdxEnvironment& env, std::string_view settings_path) {
    ADXFLOW_ASSIGN_OR_RETURN(BlobLinkedService ls, ParseBlobLinkedService(spec.linked_service));
    Resolved r;
    ADXFLOW_ASSIGN_OR_RETURN(r.location, ParseBlobLocation(spec.dataset, ls));
    ADXFLOW_ASSIGN_OR_RETURN(
        r.format, format::ParseFormatSpec(spec.dataset_type, spec.dataset, spec.settings, settings_path));
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
    r.client = std::shared_ptr<azure::BlobClient>(holder, &holder->client);
    return r;
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
    return d;
}

}  // namespace adxflow::blob
