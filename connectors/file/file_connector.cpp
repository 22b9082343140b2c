#include "connectors/file/file_connector.hpp"

#include "connectors/file/file_sink.hpp"
#include "connectors/file/file_source.hpp"

namespace adxflow::file {

ConnectorDescriptor MakeFileConnector() {
    ConnectorDescriptor d;
    d.name = "file";
    d.linked_service_types = {"FileServer"};
    d.dataset_types = {"DelimitedText", "Json"};
    // The docs' tables spell JSONSource/JSONSink, their samples JsonSource/JsonSink; types compare
    // case-insensitively, so one spelling covers both.
    d.source_types = {"DelimitedTextSource", "JsonSource"};
    d.sink_types = {"DelimitedTextSink", "JsonSink"};
    d.make_source = [](const EndpointSpec& spec, const ConnectorEnv& env) -> Result<std::unique_ptr<Source>> {
        ADXFLOW_ASSIGN_OR_RETURN(FileEndpoint ep, ParseFileEndpoint(spec, env, "source"));
        return std::unique_ptr<Source>(std::make_unique<FileSource>(std::move(ep)));
    };
    d.make_sink = [](const EndpointSpec& spec, const ConnectorEnv& env) -> Result<std::unique_ptr<Sink>> {
        ADXFLOW_ASSIGN_OR_RETURN(FileEndpoint ep, ParseFileEndpoint(spec, env, "sink"));
        return std::unique_ptr<Sink>(
            std::make_unique<FileSink>(std::move(ep), spec.run_id, spec.activity_name));
    };
    return d;
}

}  // namespace adxflow::file
