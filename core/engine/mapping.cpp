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

Result<ColumnMapping> BuildMapping(const Schema& source, const Schema& sink_schema, const Json& translator) {
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
                    return MappingError(path + ".source.name: the source has no column '" + n->get<std::string>() +
                                            "'",
                                        path + ".source.name");
            } else if (const Json* o = FindMember(*src, "ordinal")) {
                auto ordinal = AsInt(*o);
                if (!ordinal || *ordinal < 1 || *ordinal > static_cast<long long>(source.size()))
                    return MappingError(path + ".source.ordinal must be between 1 and " +
                                            std::to_string(source.size()),
                                        path + ".source.ordinal");
                index = static_cast<int>(*ordinal - 1);
            } else {
                return MappingError(path + ".source needs a name or an ordinal", path + ".source");
            }
            Column out = source[index];
            if (const Json* n = FindMember(*dst, "name"); n && n->is_string()) out.name = n->get<std::string>();
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

void ApplyMapping(const ColumnMapping& mapping, const RowBatch& in, RowBatch& out) {
    out.Reset(mapping.output.size());
    for (size_t r = 0; r < in.rows(); ++r) {
        const Value* src = in.Row(r);
        Value* dst = out.AddRow();
        for (size_t c = 0; c < mapping.source_index.size(); ++c) {
            int i = mapping.source_index[c];
            if (i >= 0) dst[c] = src[i];
        }
    }
    out.AddBytes(in.bytes());
}

}  // namespace adxflow::engine
