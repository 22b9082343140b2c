#include "core/engine/activity.hpp"
#include "core/model/parameters.hpp"

namespace adxflow::engine {

namespace {

Error WithTarget(Error e, std::string_view activity) {
    if (e.target.empty()) e.target = std::string(activity);
    return e;
}

// Binds a reference's parameters against the declaration of the referenced resource.
Result<Json> BindReferenceParameters(const Json& declared_owner, const Json& given, std::string_view what) {
    const Json* declared = FindMember(declared_owner, "parameters");
    Json decl = declared && declared->is_object() ? *declared : Json::object();
    auto bound = model::BindParameters(decl, given.is_object() ? given : Json::object());
    if (!bound.ok()) {
        Error e = std::move(bound).error();
        e.message = std::string(what) + ": " + e.message;
        return e;
    }
    return bound;
}

Schema SchemaFromDataset(const Json& dataset_properties) {
    Schema schema;
    const Json* s = FindMember(dataset_properties, "schema");
    if (!s || !s->is_array() || s->empty()) s = FindMember(dataset_properties, "structure");
    if (!s || !s->is_array()) return schema;
    for (const auto& col : *s) {
        if (!col.is_object()) continue;
        Column c;
        if (auto n = FindMember(col, "name"); n && n->is_string()) c.name = n->get<std::string>();
        if (auto t = FindMember(col, "type"); t && t->is_string())
            c.type = ParseColumnType(t->get<std::string>()).value_or(ColumnType::kString);
        if (!c.name.empty()) schema.push_back(std::move(c));
    }
    return schema;
}

// Linked services point at other definitions for their secrets and identities: an AzureKeyVaultSecret's
// store names an AzureKeyVault linked service, a `credential` names a credential resource. Connectors cannot
// read definitions, so the referenced properties are copied in next to the reference (as
// "resolvedLinkedService" / "resolvedCredential"), two levels deep (a vault may have a credential itself).
Status InlineReferences(Json& node, DefinitionSource& definitions, int depth) {
    if (depth > 2) return Ok();
    if (node.is_array()) {
        for (auto& item : node) ADXFLOW_TRY(InlineReferences(item, definitions, depth));
        return Ok();
    }
    if (!node.is_object()) return Ok();
    const Json* type = FindMember(node, "type");
    const Json* ref = FindMember(node, "referenceName");
    if (type && type->is_string() && ref && ref->is_string()) {
        const std::string name = ref->get<std::string>();
        if (IEquals(type->get<std::string>(), "LinkedServiceReference") &&
            !node.contains("resolvedLinkedService")) {
            auto ls = definitions.GetLinkedService(name);
            if (ls.ok()) {
                Json copy = *ls;
                ADXFLOW_TRY(InlineReferences(copy, definitions, depth + 1));
                node["resolvedLinkedService"] = std::move(copy);
            }
            return Ok();
        }
        if (IEquals(type->get<std::string>(), "CredentialReference") &&
            !node.contains("resolvedCredential")) {
            ADXFLOW_ASSIGN_OR_RETURN(Json credential, definitions.GetCredential(name));
            node["resolvedCredential"] = std::move(credential);
            return Ok();
        }
    }
    for (auto& [key, value] : node.items()) ADXFLOW_TRY(InlineReferences(value, definitions, depth));
    return Ok();
}

}  // namespace

Result<Json> EvaluateTypeProperties(const ActivityTask& task) {
    const Json* tp = FindMember(task.definition, "typeProperties");
    if (!tp) return Json::object();
    auto r = expr::EvaluateTree(*tp, task.eval);
    if (!r.ok()) return WithTarget(std::move(r).error(), task.activity_name);
    return r;
}

Status ResolveLinkedService(const ActivityTask& task, const Json& reference, const expr::EvalContext& ctx,
                            EndpointSpec& spec) {
    auto invalid = [&](std::string msg) {
        return MakeError(ErrorKind::kInvalidInput, "activity.resolve", "linkedServiceName: " + msg,
                         "InvalidReference", task.activity_name);
    };
    if (!reference.is_object()) return invalid("expected a LinkedServiceReference object");
    const Json* ls_name_raw = FindMember(reference, "referenceName");
    if (!ls_name_raw) return invalid("referenceName is missing");
    ADXFLOW_ASSIGN_OR_RETURN(Json ls_name, expr::Evaluate(*ls_name_raw, ctx));
    if (!ls_name.is_string()) return invalid("referenceName must be a string");
    Json ls_given = Json::object();
    if (const Json* p = FindMember(reference, "parameters")) {
        ADXFLOW_ASSIGN_OR_RETURN(ls_given, expr::EvaluateTree(*p, ctx));
    }
    ADXFLOW_ASSIGN_OR_RETURN(Json linked_service,
                             task.services->definitions->GetLinkedService(ls_name.get<std::string>()));
    ADXFLOW_ASSIGN_OR_RETURN(Json ls_params,
                             BindReferenceParameters(linked_service, ls_given,
                                                     "linked service '" + ls_name.get<std::string>() + "'"));
    expr::EvalContext ls_ctx = task.eval;
    ls_ctx.linked_service = ls_params;
    if (const Json* t = FindMember(linked_service, "type"); t && t->is_string())
        spec.linked_service_type = t->get<std::string>();
    if (const Json* tp = FindMember(linked_service, "typeProperties")) {
        ADXFLOW_ASSIGN_OR_RETURN(spec.linked_service, expr::EvaluateTree(*tp, ls_ctx));
        ADXFLOW_TRY(InlineReferences(spec.linked_service, *task.services->definitions, 0));
    }
    if (spec.run_id.empty()) spec.run_id = task.run_id;
    if (spec.activity_name.empty()) spec.activity_name = task.activity_name;
    return Ok();
}

Result<EndpointSpec> ResolveEndpoint(const ActivityTask& task, const Json& reference, const Json& settings,
                                     std::string_view path) {
    auto invalid = [&](std::string msg) {
        return MakeError(ErrorKind::kInvalidInput, "activity.resolve", std::string(path) + ": " + msg,
                         "InvalidReference", task.activity_name);
    };
    if (!reference.is_object()) return invalid("expected a DatasetReference object");
    const Json* ref_name = FindMember(reference, "referenceName");
    if (!ref_name) return invalid("referenceName is missing");
    ADXFLOW_ASSIGN_OR_RETURN(Json name_value, expr::Evaluate(*ref_name, task.eval));
    if (!name_value.is_string()) return invalid("referenceName must be a string");
    const std::string dataset_name = name_value.get<std::string>();

    Json given = Json::object();
    if (const Json* p = FindMember(reference, "parameters")) {
        ADXFLOW_ASSIGN_OR_RETURN(given, expr::EvaluateTree(*p, task.eval));
    }

    ADXFLOW_ASSIGN_OR_RETURN(Json dataset, task.services->definitions->GetDataset(dataset_name));
    ADXFLOW_ASSIGN_OR_RETURN(Json dataset_params,
                             BindReferenceParameters(dataset, given, "dataset '" + dataset_name + "'"));

    // Dataset expressions see dataset() plus everything the activity sees.
    expr::EvalContext dataset_ctx = task.eval;
    dataset_ctx.dataset = dataset_params;

    EndpointSpec spec;
    spec.run_id = task.run_id;
    spec.activity_name = task.activity_name;
    spec.settings = settings;
    if (const Json* t = FindMember(dataset, "type"); t && t->is_string())
        spec.dataset_type = t->get<std::string>();
    if (const Json* tp = FindMember(dataset, "typeProperties")) {
        ADXFLOW_ASSIGN_OR_RETURN(spec.dataset, expr::EvaluateTree(*tp, dataset_ctx));
    }
    spec.dataset_schema = SchemaFromDataset(dataset);

    const Json* ls_ref = FindMember(dataset, "linkedServiceName");
    if (!ls_ref || !ls_ref->is_object())
        return invalid("dataset '" + dataset_name + "' has no linkedServiceName");
    ADXFLOW_TRY(ResolveLinkedService(task, *ls_ref, dataset_ctx, spec));
    return spec;
}

}  // namespace adxflow::engine
