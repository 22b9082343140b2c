#include "daemon/app/store_definitions.hpp"

#include "core/model/secrets.hpp"

namespace adxflow::app {

Result<Json> StoreDefinitions::Get(std::string_view kind, std::string_view display, const std::string& name) {
    ADXFLOW_ASSIGN_OR_RETURN(auto stored, store_.GetResource(kind, name));
    if (!stored)
        return MakeError(ErrorKind::kNotFound, "definitions.get",
                         std::string(display) + " '" + name + "' does not exist", "ReferenceNotFound");
    ADXFLOW_ASSIGN_OR_RETURN(Json open, model::OpenSecrets(stored->body, [this](std::string_view sealed) {
                                 return box_.Open(sealed);
                             }));
    const Json* props = FindMember(open, "properties");
    return props ? *props : Json::object();
}

}  // namespace adxflow::app
