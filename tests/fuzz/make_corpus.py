#!/usr/bin/env python3
"""Regenerates the seed corpora under tests/fuzz/corpus/ from the project's own test data (run from the
repository root; the output is checked in). Seeds are what the fuzzers mutate first, so they should cover
the formats' features: every recorded Kusto response, every sample definition, every expression case.

Input layouts (see each fuzz_*.cpp): kusto_v2 and adf_validator seeds start with one control byte (the
piece size of the streamed feed; the resource kind), expr seeds are bare expression strings, router seeds
are HTTP requests without the version."""
import glob, hashlib, json, os, re

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "tests/fuzz/corpus")

def write(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# Kusto: every recorded response, fed whole-ish (control byte 63 -> 64-byte pieces) and byte by byte (0).
for path in sorted(glob.glob(os.path.join(root, "tests/fixtures/kusto/*"))):
    if path.endswith(".md"):
        continue
    body = open(path, "rb").read()
    base = os.path.basename(path)
    write("kusto_v2", base + ".64", bytes([63]) + body)
    write("kusto_v2", base + ".1", bytes([0]) + body)

# ADF definitions: the samples, each under its own kind (order of model::kAllResourceKinds).
kinds = {"linkedService": 0, "dataset": 1, "pipeline": 2, "trigger": 3, "credential": 4}
for path in sorted(glob.glob(os.path.join(root, "samples/*/*/*.json"))):
    folder = os.path.basename(os.path.dirname(path))
    if folder not in kinds:
        continue
    body = json.load(open(path))
    body["name"] = "fuzzed"  # the fuzzer validates under this URL name
    sample = os.path.basename(os.path.dirname(os.path.dirname(path)))
    write("adf_validator", f"{sample}-{folder}-{os.path.basename(path)}",
          bytes([kinds[folder]]) + json.dumps(body, indent=1).encode())
write("adf_validator", "global-parameters.json",
      bytes([2]) + b'{"env": {"type": "String", "value": "test"}, "n": {"type": "Int", "value": 3}}')

# Expressions: every `expr:` line of the data-driven cases.
seen = set()
for path in sorted(glob.glob(os.path.join(root, "tests/cases/expr/*.test"))):
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^expr: (.*)$", line.rstrip("\n"))
        if not m or m.group(1) in seen:
            continue
        seen.add(m.group(1))
        digest = hashlib.sha1(m.group(1).encode()).hexdigest()[:12]
        write("expr", f"{os.path.basename(path)[:2]}-{digest}", m.group(1))

# Router: one request per route family, with and without tokens.
F = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.DataFactory/factories/adxflow"
A = "Authorization: Bearer adm-fuzz-0123456789\n"
R = "Authorization: Bearer rdr-fuzz-0123456789\n"
pipeline = {"properties": {"parameters": {"n": {"type": "Int", "defaultValue": 1}},
                           "variables": {"acc": {"type": "Array"}},
                           "activities": [{"name": "Pause", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 0}},
                                          {"name": "Add", "type": "AppendVariable", "dependsOn": [{"activity": "Pause", "dependencyConditions": ["Succeeded"]}],
                                           "typeProperties": {"variableName": "acc", "value": "@string(pipeline().parameters.n)"}}]}}
query = {"lastUpdatedAfter": "2000-01-01T00:00:00Z", "lastUpdatedBefore": "2100-01-01T00:00:00Z",
         "filters": [{"operand": "Status", "operator": "In", "values": ["Succeeded", "Failed"]}],
         "orderBy": [{"orderBy": "RunStart", "order": "DESC"}]}
requests = {
    "put-pipeline": f"PUT {F}/pipelines/P?api-version=2018-06-01\n{A}\n{json.dumps(pipeline)}",
    "get-pipeline": f"GET {F}/pipelines/P?api-version=2018-06-01\n{R}\n",
    "list-pipelines": f"GET {F}/pipelines?api-version=2018-06-01\n{R}\n",
    "create-run": f"POST {F}/pipelines/P/createRun?api-version=2018-06-01\n{A}\n{{\"n\": 4}}",
    "query-runs": f"POST {F}/queryPipelineRuns?api-version=2018-06-01\n{R}\n{json.dumps(query)}",
    "query-runs-page": f"POST {F}/queryPipelineRuns?api-version=2018-06-01\n{R}\n{json.dumps(dict(query, continuationToken='100'))}",
    "activity-runs": f"POST {F}/pipelineruns/00000000-0000-0000-0000-000000000001/queryActivityruns?api-version=2018-06-01\n{R}\n{json.dumps(query)}",
    "cancel": f"POST {F}/pipelineruns/00000000-0000-0000-0000-000000000001/cancel?isRecursive=true&api-version=2018-06-01\n{A}\n",
    "put-linked-service": f"PUT {F}/linkedservices/LS?api-version=2018-06-01\n{A}\n" + json.dumps({"properties": {"type": "AzureDataExplorer", "typeProperties": {"endpoint": "https://c.kusto.windows.net", "database": "db", "servicePrincipalId": "x", "servicePrincipalKey": {"type": "SecureString", "value": "s3cret"}, "tenant": "t"}}}),
    "put-dataset": f"PUT {F}/datasets/D?api-version=2018-06-01\nIf-Match: *\n{A}\n" + json.dumps({"properties": {"type": "AzureDataExplorerTable", "linkedServiceName": {"referenceName": "LS", "type": "LinkedServiceReference"}, "typeProperties": {"table": "T"}}}),
    "delete": f"DELETE {F}/datasets/D?api-version=2018-06-01\n{A}\n",
    "factory": f"GET {F}?api-version=2018-06-01\n{R}\n",
    "triggers": f"PUT {F}/triggers/T1?api-version=2018-06-01\n{A}\n" + json.dumps({"properties": {"type": "ScheduleTrigger", "typeProperties": {"recurrence": {"frequency": "Minute", "interval": 5, "startTime": "2024-01-01T00:00:00Z"}}, "pipelines": [{"pipelineReference": {"referenceName": "P", "type": "PipelineReference"}, "parameters": {"n": 2}}]}}),
    "no-token": f"GET {F}/pipelines?api-version=2018-06-01\n\n",
    "reader-writes": f"PUT {F}/pipelines/Q?api-version=2018-06-01\n{R}\n{json.dumps(pipeline)}",
    "metrics": f"GET /metrics\n{R}\n",
    "healthz": "GET /healthz\n\n",
    "percent": f"GET {F}/pipelines/%50%2F..?api-version=2018-06-01&x=%zz+y\n{R}\n",
}
for name, text in requests.items():
    write("router", name, text)
print("corpus written to", out)
