#include "core/engine/mapping.hpp"

namespace adxflow::engine {

namespace {

int FindColumn(const Schema& schema, std::string_view name) {
    for (size_t i = 0; i < schema.size(); ++i)
        if (schema[i].name == name) return static_cast<int>(i);
    for (size_t i = 0; i < schema.size(); ++i)
        if (IEquals(schema[i].name, name)) return static_cast<int>(i);
    return -1;
}

Error MappingError(std::string message, std::string target) {
    return MakeError(ErrorKind::kInvalidInput, "copy.mapping", std::move(message), "InvalidMapping",
                     std::move(target));
}

}  // namespace

// Sets the conversion of a built mapping from translator.typeConversion(+Settings).
static Status AddConversion(ColumnMapping& m, const Schema& source, const Json& translator) {
    const Json* on = translator.is_object() ? FindMember(translator, "typeConversion") : nullptr;
    if (!on || on->is_null()) return Ok();
    auto enabled = AsBool(*on);
    if (!enabled)
        return MappingError("translator.typeConversion must be a boolean", "translator.typeConversion");
    if (!*enabled) return Ok();
    const Json* settings = FindMember(translator, "typeConversionSettings");
    ADXFLOW_ASSIGN_OR_RETURN(m.conversion, ParseTypeConversionSettings(settings ? *settings : Json(),
                                                                       "translator.typeConversionSettings"));
    m.from_types.clear();
    for (size_t c = 0; c < m.output.size(); ++c) {
        const int i = m.source_index[c];
        m.from_types.push_back(i >= 0 ? source[static_cast<size_t>(i)].type : m.output[c].type);
        if (m.from_types.back() != m.output[c].type) m.identity = false;
    }
    return Ok();
}

static Result<ColumnMapping> BuildMappingWithoutConversion(const Schema& source, const Schema& sink_schema,
                                                           const Json& translator) {
    ColumnMapping m;
    const Json* mappings = translator.is_object() ? FindMember(translator, "mappings") : nullptr;
    if (mappings && mappings->is_array() && !mappings->empty()) {
        for (size_t i = 0; i < mappings->size(); ++i) {
            const Json& entry = (*mappings)[i];
            std::string path = "translator.mappings[" + std::to_string(i) + "]";
            const Json* src = FindMember(entry, "source");
            const Json* dst = FindMember(entry, "sink");
            if (!src || !src->is_object() || !dst || !dst->is_object())
                return MappingError(path + " needs a source and a sink object", path);
            int index = -1;
            if (const Json* n = FindMember(*src, "name"); n && n->is_string()) {
                index = FindColumn(source, n->get<std::string>());
                if (index < 0)
                    return MappingError(
                        path + ".source.name: the source has no column '" + n->get<std::string>() + "'",
                        path + ".source.name");
            } else if (const Json* o = FindMember(*src, "ordinal")) {
                auto ordinal = AsInt(*o);
                if (!ordinal || *ordinal < 1 || *ordinal > static_cast<long long>(source.size()))
                    return MappingError(
                        path + ".source.ordinal must be between 1 and " + std::to_string(source.size()),
                        path + ".source.ordinal");
                index = static_cast<int>(*ordinal - 1);
            } else {
                return MappingError(path + ".source needs a name or an ordinal", path + ".source");
            }
            Column out = source[index];
            if (const Json* n = FindMember(*dst, "name"); n && n->is_string())
                out.name = n->get<std::string>();
            if (const Json* t = FindMember(*dst, "type"); t && t->is_string())
                out.type = ParseColumnType(t->get<std::string>()).value_or(out.type);
            m.output.push_back(std::move(out));
            m.source_index.push_back(index);
        }
        return m;
    }
    if (sink_schema.empty()) {
        m.output = source;
        for (size_t i = 0; i < source.size(); ++i) m.source_index.push_back(static_cast<int>(i));
        m.identity = true;
        return m;
    }
    for (const auto& col : sink_schema) {
        int index = FindColumn(source, col.name);
        Column out = col;
        if (index >= 0 && col.type == ColumnType::kString) out.type = source[index].type;
        m.output.push_back(out);
        m.source_index.push_back(index);
    }
    m.identity = m.output.size() == source.size();
    for (size_t i = 0; m.identity && i < m.source_index.size(); ++i)
        m.identity = m.source_index[i] == static_cast<int>(i) && m.output[i].name == source[i].name;
    return m;
}

Result<ColumnMapping> BuildMapping(const Schema& source, const Schema& sink_schema, const Json& translator) {
    ADXFLOW_ASSIGN_OR_RETURN(ColumnMapping m, BuildMappingWithoutConversion(source, sink_schema, translator));
    ADXFLOW_TRY(AddConversion(m, source, translator));
    return m;
}

Status ApplyMapping(const ColumnMapping& mapping, const RowBatch& in, RowBatch& out,
                    IncompatibleRowHandler* skip) {
    out.Reset(mapping.output.size());
    std::vector<Value> row(mapping.output.size());
    for (size_t r = 0; r < in.rows(); ++r) {
        const Value* src = in.Row(r);
        std::optional<Error> error;
        for (size_t c = 0; c < mapping.source_index.size(); ++c) {
            const int i = mapping.source_index[c];
            row[c] = i >= 0 ? src[i] : Value();
            if (mapping.conversion && !error) {
                Status converted =
                    ConvertCell(row[c], mapping.from_types[c], mapping.output[c].type, *mapping.conversion);
                if (!converted.ok()) {
                    error = std::move(converted).error();
                    error->message = "column '" + mapping.output[c].name + "': " + error->message;
                }
            }
        }
        if (error) {
            if (!skip) return *error;
            std::string item;
            for (size_t c = 0; c < in.width(); ++c) item += (c ? "," : "") + ValueToText(src[c]);
            ADXFLOW_TRY(skip->Skip(IncompatibleRow{item, error->message}));
            continue;
        }
        Value* dst = out.AddRow();
        for (size_t c = 0; c < row.size(); ++c) dst[c] = std::move(row[c]);
    }
    out.AddBytes(in.bytes());
    out.set_source_file(in.source_file());
    return Ok();
}

}  // namespace adxflow::engine
