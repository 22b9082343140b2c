#include "core/model/resource.hpp"

#include <cctype>
#include <string>

#include "core/json.hpp"

namespace adxflow::model {
namespace {

struct KindNames {
    ResourceKind kind;
    std::string_view collection;
    std::string_view arm_type;
    std::string_view git_folder;
    std::string_view reference_type;
    std::string_view display;
};

constexpr std::array<KindNames, 5> kNames = {{
    {ResourceKind::kLinkedService, "linkedservices", "Microsoft.DataFactory/factories/linkedservices",
     "linkedService", "LinkedServiceReference", "linked service"},
    {ResourceKind::kDataset, "datasets", "Microsoft.DataFactory/factories/datasets", "dataset",
     "DatasetReference", "dataset"},
    {ResourceKind::kPipeline, "pipelines", "Microsoft.DataFactory/factories/pipelines", "pipeline",
     "PipelineReference", "pipeline"},
    {ResourceKind::kTrigger, "triggers", "Microsoft.DataFactory/factories/triggers", "trigger",
     "TriggerReference", "trigger"},
    {ResourceKind::kCredential, "credentials", "Microsoft.DataFactory/factories/credentials", "credential",
     "CredentialReference", "credential"},
}};

const KindNames& NamesOf(ResourceKind kind) {
    return kNames[static_cast<size_t>(kind)];
}

template <class Field>
std::optional<ResourceKind> FindBy(std::string_view text, Field field) {
    for (const auto& n : kNames)
        if (IEquals(n.*field, text)) return n.kind;
    return std::nullopt;
}

// The characters ADF refuses anywhere in an entity name (naming-rules page plus the REST path pattern).
bool IsForbiddenNameChar(char c) {
    static constexpr std::string_view kForbidden = ".+?/<>*%&:\\#";
    return kForbidden.find(c) != std::string_view::npos || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}

bool IsAsciiAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Error NameError(std::string_view target, std::string message) {
    return MakeError(ErrorKind::kInvalidInput, "model.validate_name", std::move(message), "BadRequest",
                     std::string(target));
}

// Names are user input that ends up in messages; quote them but keep control characters out.
std::string Quote(std::string_view name) {
    std::string out = "'";
    for (char c : name) out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    return out + "'";
}

Status CheckCharacters(std::string_view name, std::string_view what, std::string_view target) {
    for (char c : name) {
        if (IsForbiddenNameChar(c)) {
            std::string shown = static_cast<unsigned char>(c) < 0x20 ? std::string("a control character")
                                                                     : "'" + std::string(1, c) + "'";
            return NameError(target, std::string(what) + " name " + Quote(name) + " contains " + shown +
                                         "; the characters . + ? / < > * % & : \\ # are not allowed");
        }
    }
    return Ok();
}

}  // namespace

std::string_view CollectionName(ResourceKind kind) {
    return NamesOf(kind).collection;
}
std::string_view ArmType(ResourceKind kind) {
    return NamesOf(kind).arm_type;
}
std::string_view GitFolder(ResourceKind kind) {
    return NamesOf(kind).git_folder;
}
std::string_view ReferenceType(ResourceKind kind) {
    return NamesOf(kind).reference_type;
}
std::string_view DisplayName(ResourceKind kind) {
    return NamesOf(kind).display;
}

std::optional<ResourceKind> ParseCollectionName(std::string_view collection) {
    return FindBy(collection, &KindNames::collection);
}
std::optional<ResourceKind> ParseArmType(std::string_view arm_type) {
    return FindBy(arm_type, &KindNames::arm_type);
}
std::optional<ResourceKind> ParseGitFolder(std::string_view folder) {
    return FindBy(folder, &KindNames::git_folder);
}
std::optional<ResourceKind> ParseReferenceType(std::string_view reference_type) {
    return FindBy(reference_type, &KindNames::reference_type);
}

Status ValidateName(ResourceKind kind, std::string_view name) {
    std::string what(DisplayName(kind));
    what[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(what[0])));
    if (name.empty()) return NameError("name", what + " name must not be empty");
    size_t max = kind == ResourceKind::kPipeline ? kMaxPipelineNameLength : kMaxResourceNameLength;
    if (name.size() > max)
        return NameError("name", what + " name is " + std::to_string(name.size()) +
                                     " characters long; at most " + std::to_string(max) + " are allowed");
    if (!IsAsciiAlnum(name[0]) && name[0] != '_')
        return NameError("name", what + " name " + Quote(name) + " must start with a letter, a digit or '_'");
    ADXFLOW_TRY(CheckCharacters(name, what, "name"));
    if ((kind == ResourceKind::kLinkedService || kind == ResourceKind::kDataset) &&
        name.find('-') != std::string_view::npos)
        return NameError("name", what + " name " + Quote(name) + " contains '-'; dashes are not allowed in " +
                                     std::string(DisplayName(kind)) + " names");
    return Ok();
}

Status ValidateActivityName(std::string_view name, std::string_view target) {
    if (name.empty())
        return NameError(target, "Activity name must not be empty (" + std::string(target) + ")");
    if (name.size() > kMaxActivityNameLength)
        return NameError(target, "Activity name " + Quote(name) + " is " + std::to_string(name.size()) +
                                     " characters long; at most 55 are allowed (" + std::string(target) +
                                     ")");
    auto status = CheckCharacters(name, "Activity", target);
    if (status.ok()) return status;
    Error e = std::move(status).error();
    e.message += " (" + std::string(target) + ")";
    return e;
}

}  // namespace adxflow::model
