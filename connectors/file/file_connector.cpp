#include "connectors/file/file_connector.hpp"

#include "connectors/common/format/store_sink.hpp"
#include "connectors/common/format/store_source.hpp"
#include "connectors/file/file_options.hpp"
#include "connectors/file/local_store.hpp"

namespace adxflow::file {

ConnectorDescriptor MakeFileConnector() {
    ConnectorDescriptor d;
    d.name = "file";
    d.linked_service_types = {"FileServer"};
    d.dataset_types = {"DelimitedText", "Json", "Binary"};
    // The docs' tables spell JSONSource/JSONSink, their samples JsonSource/JsonSink; types compare
    // case-insensitively, so one spelling covers both.
    d.source_types = {"DelimitedTextSource", "JsonSource", "BinarySource"};
    d.sink_types = {"DelimitedTextSink", "JsonSink", "BinarySink"};
    d.make_source = [](const EndpointSpec& spec, const ConnectorEnv& env) -> Result<std::unique_ptr<Source>> {
        ADXFLOW_ASSIGN_OR_RETURN(FileEndpoint ep, ParseFileEndpoint(spec, env, "source"));
        ADXFLOW_ASSIGN_OR_RETURN(format::StoreReadSettings read,
                                 format::ParseStoreReadSettings(spec.settings, "source"));
        auto store = std::make_unique<LocalStore>(ep.guard, ep.host, spec.run_id, spec.activity_name);
        return std::unique_ptr<Source>(std::make_unique<format::StoreSource>(
            std::move(store), format::StoreLocation{ep.folder_path, ep.file_name}, std::move(ep.format),
            std::move(read)));
    };
    d.make_sink = [](const EndpointSpec& spec, const ConnectorEnv& env) -> Result<std::unique_ptr<Sink>> {
        ADXFLOW_ASSIGN_OR_RETURN(FileEndpoint ep, ParseFileEndpoint(spec, env, "sink"));
        ADXFLOW_ASSIGN_OR_RETURN(format::StoreWriteSettings write,
                                 format::ParseStoreWriteSettings(spec.settings, "sink"));
        auto store = std::make_unique<LocalStore>(ep.guard, ep.host, spec.run_id, spec.activity_name);
        return std::unique_ptr<Sink>(std::make_unique<format::StoreSink>(
            std::move(store), format::StoreLocation{ep.folder_path, ep.file_name}, std::move(ep.format),
            std::move(write), spec.run_id, spec.activity_name));
    };
    return d;
}

}  // namespace adxflow::file
