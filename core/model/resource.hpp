#pragma once
// The five kinds of factory resources this daemon stores, the names they go by in the three places users
// meet them (ARM REST paths, ARM `type` strings, git folders), and ADF's naming rules.

#include <array>
#include <optional>
#include <string_view>

#include "core/error.hpp"

namespace adxflow::model {

enum class ResourceKind { kLinkedService, kDataset, kPipeline, kTrigger, kCredential };

inline constexpr std::array<ResourceKind, 5> kAllResourceKinds = {
    ResourceKind::kLinkedService, ResourceKind::kDataset, ResourceKind::kPipeline, ResourceKind::kTrigger,
    ResourceKind::kCredential};

// REST collection segment: "linkedservices", "datasets", "pipelines", "triggers", "credentials".
std::string_view CollectionName(ResourceKind kind);
// ARM resource type: "Microsoft.DataFactory/factories/linkedservices", ...
std::string_view ArmType(ResourceKind kind);
// Folder of a git-integrated factory: "linkedService", "dataset", "pipeline", "trigger", "credential".
std::string_view GitFolder(ResourceKind kind);
// The `type` of a reference object pointing at this kind: "LinkedServiceReference", "DatasetReference",
// "PipelineReference", "TriggerReference", "CredentialReference".
std::string_view ReferenceType(ResourceKind kind);
// For messages: "linked service", "dataset", "pipeline", "trigger", "credential".
std::string_view DisplayName(ResourceKind kind);

// All parsers are case-insensitive (ADF matches these names case-insensitively); nullopt when unknown.
std::optional<ResourceKind> ParseCollectionName(std::string_view collection);
std::optional<ResourceKind> ParseArmType(std::string_view arm_type);
std::optional<ResourceKind> ParseGitFolder(std::string_view folder);
std::optional<ResourceKind> ParseReferenceType(std::string_view reference_type);

inline constexpr size_t kMaxResourceNameLength = 260;
inline constexpr size_t kMaxPipelineNameLength = 140;
inline constexpr size_t kMaxActivityNameLength = 55;

// ADF naming rules for a resource name (kInvalidInput with target "name" when broken): 1..260 characters
// (pipelines: 140), first character a letter, digit or underscore (what the REST API enforces; the docs
// are stricter in places), none of . + ? / < > * % & : \ # or control characters, and no '-' in linked
// service and dataset names.
Status ValidateName(ResourceKind kind, std::string_view name);

// Activity names: 1..55 characters, none of the forbidden characters above. `target` is used as the
// error's target (the JSON path of the name).
Status ValidateActivityName(std::string_view name, std::string_view target = "name");

}  // namespace adxflow::model
