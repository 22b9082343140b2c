// "Test connection" for AzureDataExplorer linked services: which of token, reach, database and role fails.
#include "connectors/adx/adx_connector.hpp"
#include "connectors/adx/result_tables.hpp"

namespace adxflow::adx {

namespace {

Json Step(const std::string& name, const char* status, const std::string& message) {
    return {{"name", name}, {"status", status}, {"message", message}};
}

}  // namespace

Json TestAdxConnection(AdxServices& services, const AdxEnvironment& env, const EndpointSpec& spec,
                       const OpContext& ctx) {
    Json steps = Json::array();
    auto skip_rest = [&](std::initializer_list<const char*> names) {
        for (const char* n : names) steps.push_back(Step(n, "Skipped", "an earlier step failed"));
        return steps;
    };
    auto ls = ParseAdxLinkedService(spec.linked_service);
    if (!ls.ok()) {
        steps.push_back(Step("token", "Failed", ls.error().message));
        return skip_rest({"reach", "database", "role"});
    }
    // The token's audience comes from the cluster: if it cannot be reached, that is the failing step.
    if (auto audience = services.Audience(ls->endpoint, &ctx.cancel); !audience.ok()) {
        steps.push_back(Step("token", "Skipped", "the cluster's token audience could not be read"));
        steps.push_back(Step("reach", "Failed", audience.error().message));
        return skip_rest({"database", "role"});
    }
    // token: the credential (and its Key Vault secret) yields a token for the cluster's audience.
    auto credential = MakeCredential(ls->auth, services, env, &ctx.cancel);
    if (!credential.ok()) {
        steps.push_back(Step("token", "Failed", credential.error().message));
        return skip_rest({"reach", "database", "role"});
    }
    auto client = std::make_shared<KustoClient>(services, *credential, ls->endpoint);
    auto token = client->Token(&ctx.cancel);
    if (!token.ok()) {
        steps.push_back(Step("token", "Failed", token.error().message));
        return skip_rest({"reach", "database", "role"});
    }
    steps.push_back(Step("token", "Succeeded", "a token for " + ls->auth.Describe()));

    // reach + database + role: one query in the database tells them apart by how it fails.
    KustoRequest request;
    request.database = ls->database;
    request.csl = "print adxflow_test_connection = 1";
    request.client_timeout = std::chrono::seconds(30);
    DiscardRows discard;
    auto answer = client->Query(request, discard, &ctx.cancel);
    if (answer.ok()) {
        steps.push_back(Step("reach", "Succeeded", ls->endpoint + " answered"));
        steps.push_back(Step("database", "Succeeded", "database '" + ls->database + "' exists"));
        steps.push_back(Step("role", "Succeeded",
                             "the identity may query '" + ls->database +
                                 "' (viewer or higher; a sink also needs ingestor, checked at ingestion)"));
        return steps;
    }
    const Error& e = answer.error();
    if (e.kind == ErrorKind::kTransient || e.kind == ErrorKind::kTimeout || e.kind == ErrorKind::kInternal ||
        e.op.rfind("http", 0) == 0) {
        steps.push_back(Step("reach", "Failed", e.message));
        return skip_rest({"database", "role"});
    }
    steps.push_back(Step("reach", "Succeeded", ls->endpoint + " answered"));
    if (e.kind == ErrorKind::kForbidden || e.kind == ErrorKind::kUnauthorized) {
        steps.push_back(
            Step("database", "Skipped", "the cluster refused the identity before naming the database"));
        steps.push_back(
            Step("role", "Failed", e.message + " (grant the identity viewer to read, ingestor to write)"));
        return steps;
    }
    steps.push_back(Step("database", "Failed", e.message));
    steps.push_back(Step("role", "Skipped", "an earlier step failed"));
    return steps;
}

}  // namespace adxflow::adx
