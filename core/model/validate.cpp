// Resource validation: the envelope (PUT body or git file), then per-kind rules, then a walk over every
// value for expression syntax, secret shapes and references.

#include "core/model/validate.hpp"

#include "core/model/checker.hpp"

namespace adxflow::model {
namespace {

using detail::Checker;
using detail::InvalidAt;
using detail::Quoted;

// properties.type, required for every kind but pipelines, and known to the catalog.
Result<std::string> CheckType(Checker& c, ResourceKind kind, const Json& properties,
                              const TypeCatalog::Predicate& known) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string type, c.StringMember(properties, "type", "properties"));
    if (!TypeCatalog::Accepts(known, type))
        return InvalidAt("properties.type", std::string(DisplayName(kind)) + " type " + Quoted(type) +
                                                " is not supported by this daemon");
    return type;
}

Status CheckParameters(const Json& properties) {
    const Json* params = FindMember(properties, "parameters");
    return detail::CheckDeclarations(params ? *params : Json(), "properties.parameters", false);
}

Status CheckLinkedService(Checker& c, const Json& properties) {
    ADXFLOW_TRY(c.ObjectMember(properties, "typeProperties", "properties", true));
    return CheckParameters(properties);
}

Status CheckDataset(Checker& c, const Json& properties) {
    const Json* ls = FindMember(properties, "linkedServiceName");
    if (!ls)
        return InvalidAt("properties.linkedServiceName", "is required: a dataset names its linked service");
    ADXFLOW_TRY(c.CheckReference(ls, ResourceKind::kLinkedService, "properties.linkedServiceName"));
    ADXFLOW_TRY(c.ObjectMember(properties, "typeProperties", "properties", false));
    return CheckParameters(properties);
}

Status CheckTriggerPipelineEntry(Checker& c, const Json& entry, const std::string& path) {
    if (!entry.is_object()) return InvalidAt(path, "must be an object {pipelineReference, parameters}");
    const Json* ref = FindMember(entry, "pipelineReference");
    if (!ref) return InvalidAt(JoinPath(path, "pipelineReference"), "is required");
    ADXFLOW_TRY(c.CheckReference(ref, ResourceKind::kPipeline, JoinPath(path, "pipelineReference")));
    if (const Json* params = FindMember(entry, "parameters");
        params && !params->is_null() && !params->is_object())
        return InvalidAt(JoinPath(path, "parameters"), "must be an object");
    return Ok();
}

Status CheckTrigger(Checker& c, const Json& properties) {
    ADXFLOW_TRY(c.ObjectMember(properties, "typeProperties", "properties", true));
    // Schedule and event triggers start many pipelines; a tumbling window trigger starts exactly one.
    if (const Json* pipelines = FindMember(properties, "pipelines"); pipelines && !pipelines->is_null()) {
        if (!pipelines->is_array()) return InvalidAt("properties.pipelines", "must be an array");
        for (size_t i = 0; i < pipelines->size(); ++i)
            ADXFLOW_TRY(CheckTriggerPipelineEntry(c, (*pipelines)[i], JoinIndex("properties.pipelines", i)));
    }
    if (const Json* pipeline = FindMember(properties, "pipeline"); pipeline && !pipeline->is_null())
        ADXFLOW_TRY(CheckTriggerPipelineEntry(c, *pipeline, "properties.pipeline"));
    return Ok();
}

Status CheckCredential(Checker& c, const Json& properties) {
    ADXFLOW_TRY(c.ObjectMember(properties, "typeProperties", "properties", false));
    return Ok();
}

}  // namespace

Result<ValidatedResource> ValidateResource(ResourceKind kind, std::string_view name, const Json& body,
                                           const TypeCatalog& catalog) {
    ADXFLOW_TRY(ValidateName(kind, name));
    if (!body.is_object()) return InvalidAt("", "the body must be a JSON object {\"properties\": {...}}");
    if (const Json* body_name = FindMember(body, "name"); body_name && !body_name->is_null()) {
        if (!body_name->is_string() || !IEquals(body_name->get_ref<const std::string&>(), name))
            return InvalidAt("name", "the name in the body (" + Quoted(*body_name) +
                                         ") differs from the name in the URL (" + Quoted(name) + ")");
    }
    if (const Json* arm_type = FindMember(body, "type"); arm_type && !arm_type->is_null()) {
        if (!arm_type->is_string() || !IEquals(arm_type->get_ref<const std::string&>(), ArmType(kind)))
            return InvalidAt(
                "type", "resource type " + Quoted(*arm_type) + " does not match " + Quoted(ArmType(kind)));
    }
    const Json* properties = FindMember(body, "properties");
    if (!properties) return InvalidAt("properties", "is required");
    if (!properties->is_object())
        return InvalidAt("properties",
                         "must be an object, got " + std::string(detail::JsonTypeName(*properties)));

    Checker c(catalog);
    ValidatedResource out{kind, std::string(name), {}, {}, {}, {}};
    switch (kind) {
        case ResourceKind::kLinkedService: {
            ADXFLOW_ASSIGN_OR_RETURN(out.type, CheckType(c, kind, *properties, catalog.linked_service));
            ADXFLOW_TRY(CheckLinkedService(c, *properties));
            break;
        }
        case ResourceKind::kDataset: {
            ADXFLOW_ASSIGN_OR_RETURN(out.type, CheckType(c, kind, *properties, catalog.dataset));
            ADXFLOW_TRY(CheckDataset(c, *properties));
            break;
        }
        case ResourceKind::kPipeline: {
            ADXFLOW_TRY(detail::CheckPipeline(c, *properties));
            break;
        }
        case ResourceKind::kTrigger: {
            ADXFLOW_ASSIGN_OR_RETURN(out.type, CheckType(c, kind, *properties, catalog.trigger));
            ADXFLOW_TRY(CheckTrigger(c, *properties));
            break;
        }
        case ResourceKind::kCredential: {
            ADXFLOW_ASSIGN_OR_RETURN(out.type, CheckType(c, kind, *properties, catalog.credential));
            ADXFLOW_TRY(CheckCredential(c, *properties));
            break;
        }
    }
    ADXFLOW_TRY(detail::CheckTree(c, *properties, "properties"));

    out.body = Json{{"name", std::string(name)}, {"properties", *properties}};
    out.references = c.TakeReferences();
    out.warnings = c.TakeWarnings();
    return out;
}

}  // namespace adxflow::model
