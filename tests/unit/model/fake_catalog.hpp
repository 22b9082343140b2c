#pragma once
// A catalog shaped like the daemon's (ADX, Blob, file share, Key Vault; Copy/Lookup/Wait) without
// depending on the connector registry.

#include "core/model/type_catalog.hpp"

namespace adxflow::testing {

model::TypeCatalog FakeCatalog();

}  // namespace adxflow::testing
