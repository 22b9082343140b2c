#include "cli/run_queries.hpp"

#include "cli/output.hpp"

namespace adxflow::cli {

Result<Json> GetPipelineRun(ApiClient& api, const std::string& run_id) {
    ADXFLOW_ASSIGN_OR_RETURN(ApiReply reply,
                             api.Call("GET", "pipelineruns/" + http::PercentEncode(run_id), std::nullopt));
    return reply.body;
}

Result<Json> GetActivityRuns(ApiClient& api, const std::string& run_id) {
    // The API requires a time window; one wide enough for any run of this daemon.
    Json filter = {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
                   {"lastUpdatedBefore", "9999-12-31T00:00:00Z"}};
    ADXFLOW_ASSIGN_OR_RETURN(
        ApiReply reply,
        api.Call("POST", "pipelineruns/" + http::PercentEncode(run_id) + "/queryActivityruns", filter));
    const Json* value = reply.body.is_object() ? FindMember(reply.body, "value") : nullptr;
    return value && value->is_array() ? *value : Json::array();
}

std::string OutputSummary(const Json& activity_run, size_t max_chars) {
    const Json* output = activity_run.is_object() ? FindMember(activity_run, "output") : nullptr;
    if (!output || !output->is_object()) return "";
    std::string out;
    auto add = [&](const std::string& piece) { out += (out.empty() ? "" : " ") + piece; };
    for (const char* key : {"rowsRead", "rowsCopied", "count"})
        if (auto v = Int(*output, key)) add(std::string(key) + "=" + std::to_string(*v));
    if (const Json* first = FindMember(*output, "firstRow"); first && !first->is_null()) {
        std::string text = first->dump(-1, ' ', false, Json::error_handler_t::replace);
        if (text.size() > max_chars) {
            size_t cut = max_chars;
            while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
                --cut;  // whole UTF-8 chars
            text = text.substr(0, cut) + "...";
        }
        add("firstRow=" + text);
    }
    return out;
}

bool IsTerminalStatus(const std::string& status) {
    return status == "Succeeded" || status == "Failed" || status == "Cancelled";
}

}  // namespace adxflow::cli
