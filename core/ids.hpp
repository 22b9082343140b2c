#pragma once
#include <string>

namespace adxflow {
// Random (version 4) UUID in the 8-4-4-4-12 form ADF uses for run ids.
std::string NewUuid();
}  // namespace adxflow
