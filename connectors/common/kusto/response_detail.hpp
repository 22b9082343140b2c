#pragma once
// Helpers shared by the v1 parser (response.cpp) and the streaming v2 parser (v2_parser.cpp). Not part of
// the public interface: callers use response.hpp.

#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/kusto/response.hpp"

namespace adxflow::kusto::detail {

Error Malformed(std::string message);
// Kusto type names, their v2 aliases and v1 DataType names; unknown names read as text.
ColumnType KustoColumnType(std::string_view name);
std::string TextOf(const Json& v);
KustoError ErrorFromOneApi(const Json& wrapper);
std::vector<KustoError> ErrorsFrom(const Json* list);
// Errors carried by a row that is an object instead of an array (v2 OneApiErrors, v1 Exceptions).
std::vector<KustoError> RowErrors(const Json& row);
Result<Schema> SchemaFrom(const Json& columns, std::vector<std::string>& type_names);
Status FillRow(const TableInfo& table, const Json& wire, Value* row);

}  // namespace adxflow::kusto::detail
