#include "connectors/adx/adx_connector.hpp"

#include "connectors/adx/adx_command.hpp"
#include "connectors/adx/adx_sink.hpp"
#include "connectors/adx/adx_source.hpp"

namespace adxflow::adx {

ConnectorDescriptor MakeAdxConnector(std::shared_ptr<AdxServices> services, AdxEnvironment env) {
    ConnectorDescriptor d;
    d.name = "adx";
    d.linked_service_types = {"AzureDataExplorer"};
    d.dataset_types = {"AzureDataExplorerTable"};
    d.source_types = {"AzureDataExplorerSource"};
    d.sink_types = {"AzureDataExplorerSink"};
    d.make_source = [services, env](const EndpointSpec& spec,
                                    const ConnectorEnv&) -> Result<std::unique_ptr<Source>> {
        ADXFLOW_ASSIGN_OR_RETURN(AdxLinkedService ls, ParseAdxLinkedService(spec.linked_service));
        ADXFLOW_ASSIGN_OR_RETURN(AdxSourceSettings settings,
                                 ParseSourceSettings(spec.settings, spec.dataset));
        ADXFLOW_ASSIGN_OR_RETURN(auto credential, MakeCredential(ls.auth, *services, env, nullptr));
        auto client = std::make_shared<KustoClient>(*services, std::move(credential), ls.endpoint);
        return std::unique_ptr<Source>(
            std::make_unique<AdxSource>(std::move(client), ls.database, std::move(settings)));
    };
    d.make_sink = [services, env](const EndpointSpec& spec,
                                  const ConnectorEnv&) -> Result<std::unique_ptr<Sink>> {
        ADXFLOW_ASSIGN_OR_RETURN(AdxLinkedService ls, ParseAdxLinkedService(spec.linked_service));
        ADXFLOW_ASSIGN_OR_RETURN(AdxSinkSettings settings, ParseSinkSettings(spec.settings, spec.dataset));
        ADXFLOW_ASSIGN_OR_RETURN(std::shared_ptr<identity::TokenCredential> credential,
                                 MakeCredential(ls.auth, *services, env, nullptr));
        AdxSinkContext context;
        context.engine = std::make_shared<KustoClient>(*services, credential, ls.endpoint);
        context.dm = std::make_shared<KustoClient>(*services, credential,
                                                   IngestEndpoint(ls.endpoint, env.ingest_endpoint));
        context.services = services.get();
        context.database = ls.database;
        context.run_id = spec.run_id;
        context.activity_name = spec.activity_name;
        context.confirm_timeout = env.ingest_confirm_timeout;
        return std::unique_ptr<Sink>(std::make_unique<AdxSink>(std::move(context), std::move(settings)));
    };
    d.test_connection = [services, env](const EndpointSpec& spec, const OpContext& ctx) {
        return TestAdxConnection(*services, env, spec, ctx);
    };
    d.activity_types = {"AzureDataExplorerCommand"};
    d.run_activity = [services, env](const EndpointSpec& spec, const Json& tp, const OpContext& ctx) {
        return RunAdxCommand(*services, env, spec, tp, ctx);
    };
    return d;
}

ConnectorDescriptor MakeKeyVaultDescriptor() {
    ConnectorDescriptor d;
    d.name = "keyvault";
    d.linked_service_types = {"AzureKeyVault"};
    return d;
}

}  // namespace adxflow::adx
