#pragma once
// The dependency case files (tests/cases/engine/dependencies.test), parsed once and shared by the pure
// graph test and the end-to-end engine test, so both are held to the same table.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::engine::testing {

struct CaseDependency {
    std::string upstream;
    std::vector<std::string> conditions;  // ADF spelling: Succeeded, Failed, Skipped, Completed
};

struct CaseActivity {
    std::string name;
    std::optional<std::string> inactive_mark;  // set when state is Inactive
    std::vector<CaseDependency> depends_on;
};

struct DependencyCase {
    std::string where;  // "file:line name", for failure messages
    std::vector<CaseActivity> activities;
    std::set<std::string> failing;                // executed activities that fail
    std::map<std::string, std::string> expected;  // activity -> final status
    std::string pipeline;                         // Succeeded | Failed
    std::vector<std::string> blame;               // leaf-rule nodes that did not succeed
};

std::vector<DependencyCase> LoadDependencyCases();

// The pipeline's properties: every activity a Wait of 0 s, or a Wait whose waitTimeInSeconds is a failing
// expression when it is in `failing`; inactive ones carry state/onInactiveMarkAs.
Json PipelineForCase(const DependencyCase& c);

}  // namespace adxflow::engine::testing
