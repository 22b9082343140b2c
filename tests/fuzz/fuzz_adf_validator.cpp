// libFuzzer target: the ADF definition validator (PUT of linked services, datasets, pipelines, triggers,
// credentials, and factory global parameters) on arbitrary JSON. The first byte picks the resource kind;
// the rest is parsed as JSON (non-JSON inputs only exercise the JSON parser's refusal). Any verdict is fine;
// a crash, a sanitizer report or a hang is not. A refusal must name a target path, as the API promises.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/model/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace adxflow;
    if (size == 0) return 0;
    const auto kind = model::kAllResourceKinds[data[0] % model::kAllResourceKinds.size()];
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    Json body = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return 0;

    // A catalog that knows a few types per discriminator, so both the known and the unknown paths run.
    model::TypeCatalog catalog;
    auto known = [](std::initializer_list<std::string_view> names) {
        return [names = std::vector<std::string_view>(names)](std::string_view t) {
            for (auto n : names)
                if (IEquals(n, t)) return true;
            return false;
        };
    };
    catalog.linked_service = known({"AzureDataExplorer", "FileServer", "AzureBlobStorage"});
    catalog.dataset = known({"AzureDataExplorerTable", "DelimitedText", "Json"});
    catalog.copy_source = known({"AzureDataExplorerSource", "DelimitedTextSource"});
    catalog.copy_sink = known({"AzureDataExplorerSink", "DelimitedTextSink"});
    catalog.activity_types = {"Copy",
                              "Lookup",
                              "Wait",
                              "SetVariable",
                              "AppendVariable",
                              "Filter",
                              "Fail",
                              "ForEach",
                              "IfCondition",
                              "Switch",
                              "Until",
                              "ExecutePipeline",
                              "AzureDataExplorerCommand"};

    auto validated = model::ValidateResource(kind, "fuzzed", body, catalog);
    if (validated.ok()) {
        // What was accepted is stored and served back: it must serialise.
        (void)validated->body.dump();
    } else if (validated.error().kind == ErrorKind::kInvalidInput && validated.error().message.empty()) {
        std::abort();  // a 400 without a message tells the user nothing
    }
    (void)model::ValidateGlobalParameters(body);
    return 0;
}
