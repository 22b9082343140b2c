// ParseSinkSettings: the AzureDataExplorerSink's JSON, with the path of each bad field.
#include "connectors/adx/adx_sink.hpp"

namespace adxflow::adx {

namespace {

Error Invalid(const std::string& path, const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "adx.sink", path + ": " + message, "InvalidSinkSettings",
                     path);
}

}  // namespace

Result<AdxSinkSettings> ParseSinkSettings(const Json& sink, const Json& dataset) {
    AdxSinkSettings s;
    const Json* table = FindMember(dataset, "table");
    if (!table || !table->is_string() || table->get_ref<const std::string&>().empty())
        return Invalid("dataset.typeProperties.table", "is required for an ADX sink");
    s.table = table->get<std::string>();
    if (const Json* m = FindMember(sink, "ingestionMappingName"); m && !m->is_null()) {
        if (!m->is_string()) return Invalid("sink.ingestionMappingName", "must be a string");
        s.mapping_name = m->get<std::string>();
    }
    if (const Json* m = FindMember(sink, "ingestionMappingAsJson"); m && !m->is_null()) {
        Json mapping = m->is_string() ? Json::parse(m->get<std::string>(), nullptr, false) : *m;
        if (!mapping.is_array())
            return Invalid("sink.ingestionMappingAsJson", "must be a JSON array of column mappings");
        s.mapping_json = mapping.dump();
    }
    if (!s.mapping_name.empty() && !s.mapping_json.empty())
        return Invalid("sink.ingestionMappingAsJson", "cannot be combined with ingestionMappingName");
    if (const Json* f = FindMember(sink, "flushImmediately"); f && !f->is_null()) {
        if (!f->is_boolean()) return Invalid("sink.flushImmediately", "must be true or false");
        s.flush_immediately = f->get<bool>();
    }
    if (const Json* f = FindMember(sink, "adxflowStreamingIngestion"); f && !f->is_null()) {
        if (!f->is_boolean()) return Invalid("sink.adxflowStreamingIngestion", "must be true or false");
        s.streaming = f->get<bool>();
    }
    if (const Json* a = FindMember(sink, "additionalProperties"); a && !a->is_null()) {
        Json props = a->is_string() ? Json::parse(a->get<std::string>(), nullptr, false) : *a;
        if (!props.is_object())
            return Invalid("sink.additionalProperties", "must be a JSON object (or its text)");
        s.additional_properties = std::move(props);
    }
    return s;
}

}  // namespace adxflow::adx
