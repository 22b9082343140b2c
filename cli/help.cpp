#include "cli/cli.hpp"

namespace adxflow::cli {

const char* MainHelp() {
    return R"(adxflow - command-line client for adxflowd (Azure Data Factory JSON, run locally)

Usage: adxflow [--server URL] [--factory NAME] [--token TOKEN] [--ca-file PEM] COMMAND [ARGS]

Commands:
  apply DIR        create or update every resource of a folder in ADF's git layout
  run PIPELINE     start a pipeline run (--wait to follow it to the end)
  runs             list recent pipeline runs
  show RUNID       one run and its activity runs
  cancel RUNID     cancel a queued or running pipeline run

Global options:
  --server URL     adxflowd base URL (default $ADXFLOW_SERVER, else http://127.0.0.1:8420)
  --factory NAME   factory name the daemon serves (default adxflow)
  --token TOKEN    bearer token for a daemon with api_tokens (default $ADXFLOW_TOKEN)
  --ca-file PEM    extra trusted CA for an https:// server (default $ADXFLOW_CA_FILE)
  -h, --help       this text; `adxflow COMMAND --help` describes one command
  --version        print the client version

Exit codes: 0 success; 1 rejected request or run Failed/Cancelled; 2 usage error or daemon unreachable;
3 `run --wait --timeout` stopped waiting while the run was still going.
)";
}

const char* CommandHelp(const std::string& command) {
    if (command == "apply")
        return R"(Usage: adxflow apply DIR [--global NAME=VALUE]... [--dry-run]

Reads DIR in Azure Data Factory's git layout and PUTs every resource, in dependency order:
  factory/*.json      properties.globalParameters -> the factory
  credential/         credentials
  linkedService/      linked services (AzureKeyVault ones first)
  dataset/            datasets
  pipeline/           pipelines (ones called by ExecutePipeline are retried after their targets)
  trigger/            triggers
Each file is {"name": ..., "properties": {...}}. One line is printed per resource. A rejected resource
stops the apply with its file name and the daemon's error message (exit 1).

Options:
  --global NAME=VALUE  override (or add) a global parameter before it is sent; VALUE is JSON when it parses
                       as JSON, else a string. This is how a deployment injects environment-specific values
                       (e.g. the sample's dataRoot folder) without editing the checked-in files.
  --dry-run            parse the folder and print the plan without contacting the daemon
)";
    if (command == "run")
        return R"(Usage: adxflow run PIPELINE [-p NAME=VALUE]... [--param-file FILE.json] [--wait] [--timeout SECS]

Starts a run of PIPELINE (createRun) and prints its run id.

Options:
  -p, --param NAME=VALUE  a pipeline parameter; VALUE is JSON when it parses as JSON (42, true, [1,2],
                          {"a":1}), else a plain string. Repeatable; wins over --param-file.
  --param-file FILE       a JSON object of parameter values
  --wait                  follow the run: print a line whenever its status or an activity run changes,
                          then a summary. Exit 0 only if the run Succeeded, 1 if it Failed or was Cancelled.
  --timeout SECS          with --wait: stop waiting after SECS seconds (exit 3; the run goes on)
)";
    if (command == "runs")
        return R"(Usage: adxflow runs [--pipeline NAME] [--status STATUS] [--last N] [--since ISO-TIME]

Lists pipeline runs updated in the last 24 hours (or since ISO-TIME), newest first:
run id, pipeline, status, start time, duration.

Options:
  --pipeline NAME   only runs of this pipeline
  --status STATUS   only runs in this status (Queued, InProgress, Succeeded, Failed, Canceling, Cancelled)
  --last N          at most N runs
  --since ISO-TIME  window start, e.g. 2024-05-01T00:00:00Z
)";
    if (command == "show")
        return R"(Usage: adxflow show RUNID [--json]

Prints a pipeline run and its activity runs: name, type, status, attempt, duration, error message, and
the rows read/copied (Copy) or the row count/first row (Lookup).

Options:
  --json   print {"run": ..., "activityRuns": [...]} exactly as the API returns them
)";
    if (command == "cancel")
        return R"(Usage: adxflow cancel RUNID

Asks the daemon to cancel a pipeline run. The run goes to Canceling and then Cancelled once its running
activities have stopped; a run that already finished is left as it is.
)";
    return "";
}

}  // namespace adxflow::cli
