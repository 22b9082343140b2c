#pragma once
// Validation of resource definitions at PUT/import time. A definition that passes is safe to store and
// its references (datasets, linked services, credentials, pipelines) are listed so the caller can refuse
// one that points at something missing. Every error is kInvalidInput whose `target` is the JSON path of
// the offending value (e.g. "properties.activities[1].typeProperties.sink.type") and whose message also
// names that path.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/model/resource.hpp"
#include "core/model/type_catalog.hpp"

namespace adxflow::model {

// One reference from a definition to another resource, e.g. a dataset's linkedServiceName.
struct Reference {
    ResourceKind kind;
    std::string name;  // as written (names are case-insensitive)
    std::string path;  // JSON path of the reference object, e.g. "properties.activities[0].inputs[0]"
};

struct ValidatedResource {
    ResourceKind kind;
    std::string name;  // the URL name
    std::string type;  // properties.type as written; empty for pipelines
    // Normalised body to store: {"name": <URL name>, "properties": {...}}; the envelope members `id`,
    // `type` and `etag` are dropped, everything inside `properties` (unknown members too) is kept as-is.
    Json body;
    std::vector<Reference> references;  // each reference object once; order not significant
    // Accepted but worth telling the user (e.g. retryIntervalInSeconds below ADF's minimum of 30).
    std::vector<std::string> warnings;
};

// `body` is a PUT body {"properties": {...}} or a git file {"name", "type", "properties", ...}; a body
// `name` must equal `name` case-insensitively and a body `type` must be this kind's ARM type.
Result<ValidatedResource> ValidateResource(ResourceKind kind, std::string_view name, const Json& body,
                                           const TypeCatalog& catalog);

// Factory global parameters: {"<name>": {"type": "String|Int|Float|Bool|Array|Object", "value": ...}}.
// Targets are "<name>.type" / "<name>.value".
Status ValidateGlobalParameters(const Json& global_parameters);

}  // namespace adxflow::model
