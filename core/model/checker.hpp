#pragma once
// Internal to core/model: the state shared by the validation passes (collected references and warnings)
// and small helpers that turn a broken value into an error naming its JSON path.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/model/type_catalog.hpp"
#include "core/model/validate.hpp"

namespace adxflow::model::detail {

// kInvalidInput with target = path; the message is prefixed with the path so it reads on its own.
Error InvalidAt(std::string_view path, std::string_view message);

// Quote a user-supplied value for a message, truncated so an error never echoes a whole document.
std::string Quoted(const Json& value);
std::string Quoted(std::string_view text);
inline std::string Quoted(const std::string& text) {
    return Quoted(std::string_view(text));
}
inline std::string Quoted(const char* text) {
    return Quoted(std::string_view(text));
}

// A JSON type name for messages ("string", "object", ...).
std::string_view JsonTypeName(const Json& value);

// True for an {"type": "Expression", "value"|"content": ...} object or a string that would be evaluated.
bool IsExpressionValue(const Json& value);

class Checker {
  public:
    explicit Checker(const TypeCatalog& catalog) : catalog_(catalog) {}

    const TypeCatalog& catalog() const { return catalog_; }

    // A reference object {"referenceName": "...", "type": "<Kind>Reference", "parameters": {...}}.
    // `type` may be omitted; when present it must match. Records the reference (once per path).
    Status CheckReference(const Json* ref, ResourceKind expected, std::string_view path);
    void AddReference(ResourceKind kind, std::string name, std::string path);

    // `member` of `parent` must be an object (when present, or always when `required`).
    Result<const Json*> ObjectMember(const Json& parent, std::string_view member,
                                     std::string_view parent_path, bool required);
    // `member` must be a non-empty string; returns it.
    Result<std::string> StringMember(const Json& parent, std::string_view member,
                                     std::string_view parent_path);

    // A value that is an integer (or a string spelling one), or an expression; checks min/max on literals.
    // Returns the literal when there is one.
    Result<std::optional<long long>> IntOrExpression(const Json& value, std::string_view path, long long min,
                                                     long long max);
    Status BoolOrExpression(const Json& value, std::string_view path);

    void Warn(std::string message) { warnings_.push_back(std::move(message)); }

    std::vector<Reference> TakeReferences() { return std::move(references_); }
    std::vector<std::string> TakeWarnings() { return std::move(warnings_); }

  private:
    const TypeCatalog& catalog_;
    std::vector<Reference> references_;
    std::vector<std::string> warnings_;
};

// Pipeline properties (activities, dependencies, policies, parameters, variables, concurrency).
Status CheckPipeline(Checker& checker, const Json& properties);

// Parameter declarations {"name": {"type": ..., "defaultValue": ...}}; `variables` selects the variable
// type set (String, Bool, Array, Integer) instead of the parameter one.
Status CheckDeclarations(const Json& declarations, std::string_view path, bool variables);

// Walk every value under `properties`: expression syntax, secret and Key Vault shapes, reference objects.
Status CheckTree(Checker& checker, const Json& properties, std::string_view path);

}  // namespace adxflow::model::detail
