#include "tests/unit/engine/dependency_cases.hpp"

#include <sstream>
#include <stdexcept>

namespace adxflow::engine::testing {

namespace {

std::vector<std::string> Split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(text);
    while (std::getline(in, item, sep)) {
        auto b = item.find_first_not_of(" \t");
        auto e = item.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    }
    return out;
}

std::vector<std::string> Words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

// "Name [inactive=X] [after Up:C|C; Up2:C]"
CaseActivity ParseActivityLine(const std::string& line, const std::string& where) {
    CaseActivity a;
    std::string head = line, deps;
    if (auto pos = line.find(" after "); pos != std::string::npos) {
        head = line.substr(0, pos);
        deps = line.substr(pos + 7);
    }
    auto words = Words(head);
    if (words.empty()) throw std::runtime_error(where + ": empty activity line");
    a.name = words[0];
    for (size_t i = 1; i < words.size(); ++i) {
        if (words[i].rfind("inactive=", 0) != 0)
            throw std::runtime_error(where + ": unknown word " + words[i]);
        a.inactive_mark = words[i].substr(9);
    }
    for (const auto& entry : Split(deps, ';')) {
        auto colon = entry.find(':');
        if (colon == std::string::npos) throw std::runtime_error(where + ": dependency without ':' " + entry);
        CaseDependency d;
        d.upstream = entry.substr(0, colon);
        d.conditions = Split(entry.substr(colon + 1), '|');
        a.depends_on.push_back(std::move(d));
    }
    return a;
}

const std::string& Required(const adxflow::testing::Case& c, const std::string& key,
                            const std::string& where) {
    const std::string* v = c.Get(key);
    if (!v) throw std::runtime_error(where + ": missing '" + key + "'");
    return *v;
}

}  // namespace

std::vector<DependencyCase> LoadDependencyCases() {
    std::vector<DependencyCase> out;
    for (const auto& c : adxflow::testing::ReadCases(adxflow::testing::SourceDir() /
                                                     "tests/cases/engine/dependencies.test")) {
        DependencyCase dc;
        dc.where = c.file + ":" + std::to_string(c.line) + " " + Required(c, "name", c.file);
        std::istringstream lines(Required(c, "activities", dc.where));
        for (std::string line; std::getline(lines, line);)
            if (line.find_first_not_of(" \t") != std::string::npos)
                dc.activities.push_back(ParseActivityLine(line, dc.where));
        for (const auto& w : Words(Required(c, "fail", dc.where))) dc.failing.insert(w);
        for (const auto& w : Words(Required(c, "expect", dc.where))) {
            auto eq = w.find('=');
            if (eq == std::string::npos) throw std::runtime_error(dc.where + ": expect needs Name=Status");
            dc.expected[w.substr(0, eq)] = w.substr(eq + 1);
        }
        dc.pipeline = Required(c, "pipeline", dc.where);
        dc.blame = Words(Required(c, "blame", dc.where));
        if (dc.expected.size() != dc.activities.size())
            throw std::runtime_error(dc.where + ": expect must name every activity");
        out.push_back(std::move(dc));
    }
    return out;
}

Json PipelineForCase(const DependencyCase& c) {
    Json activities = Json::array();
    for (const auto& a : c.activities) {
        Json act = {{"name", a.name}, {"type", "Wait"}};
        // An expression error is a real activity failure (no retries configured), so the engine's own
        // failure path is exercised rather than a test double.
        act["typeProperties"] = {
            {"waitTimeInSeconds", c.failing.count(a.name) ? Json("@int('not a number')") : Json(0)}};
        Json deps = Json::array();
        for (const auto& d : a.depends_on)
            deps.push_back({{"activity", d.upstream}, {"dependencyConditions", d.conditions}});
        act["dependsOn"] = deps;
        if (a.inactive_mark) {
            act["state"] = "Inactive";
            act["onInactiveMarkAs"] = *a.inactive_mark;
        }
        activities.push_back(std::move(act));
    }
    return {{"activities", activities}};
}

}  // namespace adxflow::engine::testing
