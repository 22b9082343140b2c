#include "tests/unit/model/fake_catalog.hpp"

#include <initializer_list>

namespace adxflow::testing {
namespace {

model::TypeCatalog::Predicate OneOf(std::initializer_list<std::string_view> types) {
    std::vector<std::string> known(types.begin(), types.end());
    return [known](std::string_view type) {
        for (const auto& k : known)
            if (IEquals(k, type)) return true;
        return false;
    };
}

}  // namespace

model::TypeCatalog FakeCatalog() {
    model::TypeCatalog c;
    c.linked_service = OneOf({"AzureDataExplorer", "AzureBlobStorage", "FileServer", "AzureKeyVault"});
    c.dataset = OneOf({"AzureDataExplorerTable", "DelimitedText", "Json"});
    c.copy_source = OneOf({"AzureDataExplorerSource", "DelimitedTextSource", "JsonSource"});
    c.copy_sink = OneOf({"AzureDataExplorerSink", "DelimitedTextSink", "JsonSink"});
    c.trigger = OneOf({"ScheduleTrigger", "TumblingWindowTrigger"});
    c.credential = OneOf({"ManagedIdentity", "ServicePrincipal"});
    c.activity_types = {"Copy", "Lookup",  "Wait",        "SetVariable", "AppendVariable", "Filter",
                        "Fail", "ForEach", "IfCondition", "Switch",      "Until", "ExecutePipeline"};
    return c;
}

}  // namespace adxflow::testing
