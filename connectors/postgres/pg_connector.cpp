#include "connectors/postgres/pg_connector.hpp"

#include "connectors/postgres/pg_sink.hpp"
#include "connectors/postgres/pg_source.hpp"

namespace adxflow::postgres {

namespace {

// "Test connection": the settings parse, a login, a query; after a failed step the later ones are Skipped.
Json TestConnection(const SecretFetcher& fetch, const EndpointSpec& spec, const OpContext& ctx) {
    static const char* const kSteps[] = {"settings", "connect", "query"};
    Json steps = Json::array();
    auto step = [&](const Status& s, const std::string& ok_message) {
        steps.push_back({{"name", kSteps[steps.size()]},
                         {"status", s.ok() ? "Succeeded" : "Failed"},
                         {"message", s.ok() ? ok_message : s.error().message}});
        return s.ok();
    };
    auto finish = [&] {
        while (steps.size() < 3)
            steps.push_back({{"name", kSteps[steps.size()]}, {"status", "Skipped"}, {"message", ""}});
        return steps;
    };
    auto ls = ParseLinkedService(spec.linked_service, fetch, &ctx.cancel);
    if (!step(ls.ok() ? Ok() : Status(ls.error()), "linked service parsed")) return finish();
    auto conn = PgConnection::Connect(*ls);
    if (!step(conn.ok() ? Ok() : Status(conn.error()), "logged in as " + ls->Describe())) return finish();
    auto r = (*conn)->Exec("SELECT version()", "postgres.test_connection", &ctx);
    std::string version = r.ok() && *r && PQntuples(r->get()) == 1 ? PQgetvalue(r->get(), 0, 0) : "";
    step(r.ok() ? Ok() : Status(r.error()), version);
    return finish();
}

}  // namespace

ConnectorDescriptor MakePostgresConnector(SecretFetcher fetch) {
    ConnectorDescriptor d;
    d.name = "postgresql";
    d.linked_service_types = {"PostgreSqlV2", "AzurePostgreSql"};
    d.dataset_types = {"PostgreSqlV2Table", "AzurePostgreSqlTable"};
    d.source_types = {"PostgreSqlV2Source", "AzurePostgreSqlSource"};
    d.sink_types = {"AzurePostgreSqlSink"};
    d.make_source = [fetch](const EndpointSpec& spec,
                            const ConnectorEnv&) -> Result<std::unique_ptr<Source>> {
        ADXFLOW_ASSIGN_OR_RETURN(PgLinkedService ls, ParseLinkedService(spec.linked_service, fetch, nullptr));
        ADXFLOW_ASSIGN_OR_RETURN(PgSourceSettings settings, ParseSourceSettings(spec.settings, spec.dataset));
        return std::unique_ptr<Source>(std::make_unique<PgSource>(std::move(ls), std::move(settings)));
    };
    d.make_sink = [fetch](const EndpointSpec& spec, const ConnectorEnv&) -> Result<std::unique_ptr<Sink>> {
        ADXFLOW_ASSIGN_OR_RETURN(PgLinkedService ls, ParseLinkedService(spec.linked_service, fetch, nullptr));
        ADXFLOW_ASSIGN_OR_RETURN(PgSinkSettings settings, ParseSinkSettings(spec.settings, spec.dataset));
        return std::unique_ptr<Sink>(std::make_unique<PgSink>(std::move(ls), std::move(settings)));
    };
    d.test_connection = [fetch](const EndpointSpec& spec, const OpContext& ctx) {
        return TestConnection(fetch, spec, ctx);
    };
    return d;
}

}  // namespace adxflow::postgres
