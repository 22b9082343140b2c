#include "connectors/adx/adx_connector.hpp"

#include "connectors/adx/adx_source.hpp"

namespace adxflow::adx {

ConnectorDescriptor MakeAdxConnector(std::shared_ptr<AdxServices> services, AdxEnvironment env) {
    ConnectorDescriptor d;
    d.name = "adx";
    d.linked_service_types = {"AzureDataExplorer"};
    d.dataset_types = {"AzureDataExplorerTable"};
    d.source_types = {"AzureDataExplorerSource"};
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
    return d;
}

ConnectorDescriptor MakeKeyVaultDescriptor() {
    ConnectorDescriptor d;
    d.name = "keyvault";
    d.linked_service_types = {"AzureKeyVault"};
    return d;
}

}  // namespace adxflow::adx
