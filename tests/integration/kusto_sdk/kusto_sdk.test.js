// The official Kusto SDK for Node (azure-kusto-data, pinned in tests/node) against adxflow-kusto-emulator:
// what the SDK's own parsers accept is what the real service's clients will accept from the emulator.
//
// Environment (set by kusto_sdk_test.cpp):
//   KUSTO_URL           http://127.0.0.1:PORT of the emulator, which has a database "Sales"
//   KUSTO_INGEST_URL    its --ingest-listen address (same handlers), pointed at Azurite for queued ingestion
//   ADXFLOW_NODE_TOOLS  folder holding node_modules with the SDK (default: <repo>/tests/node)
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { createRequire } = require("node:module");

const url = process.env.KUSTO_URL;
if (!url) throw new Error("KUSTO_URL is not set (run this through kusto_sdk_test)");
const toolsDir = process.env.ADXFLOW_NODE_TOOLS || path.resolve(__dirname, "../../node");

function loadSdk() {
    const toolsRequire = createRequire(path.join(toolsDir, "package.json"));
    try {
        return toolsRequire("azure-kusto-data");
    } catch (e) {
        throw new Error(`azure-kusto-data is not installed under ${toolsDir}/node_modules: run \`cd tests/node && npm ci\` (${e.message})`);
    }
}
const { Client, KustoConnectionStringBuilder, ClientRequestProperties } = loadSdk();
const { StreamingIngestClient, IngestClient, IngestStatusQueues, IngestionProperties, DataFormat, ReportLevel,
    ReportMethod } = createRequire(path.join(toolsDir, "package.json"))("azure-kusto-ingest");
const { Readable } = require("node:stream");
const fs = require("node:fs");
const os = require("node:os");

// Authentication is not in the emulator's first slice: any bearer token is accepted.
const client = new Client(KustoConnectionStringBuilder.withAccessToken(url, "emulator-accepts-any-token"));
const rowsOf = (table) => [...table.rows()].map((r) => r.toJSON());

test("management commands: create, ingest inline, show tables, show version", async () => {
    await client.executeMgmt("Sales", ".create table Orders (id:long, customer:string, amount:real, paid:bool, at:datetime)");
    await client.executeMgmt("Sales",
        ".ingest inline into table Orders <|\n1,alice,10.5,true,2024-01-01T00:00:00Z\n2,bob,20,false,2024-01-02T00:00:00Z\n3,carol,,true,");
    const tables = await client.executeMgmt("Sales", ".show tables");
    assert.deepEqual(rowsOf(tables.primaryResults[0]).map((r) => r.TableName), ["Orders"]);
    const version = await client.executeMgmt("NetDefaultDB", ".show version");
    assert.equal(rowsOf(version.primaryResults[0])[0].ServiceType, "Engine");
});

test("v2 query: typed values, nulls, where/project/sort", async () => {
    const result = await client.execute("Sales", "Orders | where amount > 5 | project id, customer, amount, paid, at | sort by id asc");
    const rows = rowsOf(result.primaryResults[0]);
    assert.equal(rows.length, 2);
    assert.equal(rows[0].id, 1);
    assert.equal(rows[0].customer, "alice");
    assert.equal(rows[0].amount, 10.5);
    assert.equal(rows[0].paid, true);
    assert.equal(new Date(rows[0].at).toISOString(), "2024-01-01T00:00:00.000Z");
    const nulls = rowsOf((await client.execute("Sales", "Orders | where id == 3")).primaryResults[0]);
    assert.equal(nulls[0].amount, null);
    assert.equal(nulls[0].at, null);
});

test("v1 query through the SDK", async () => {
    const result = await client.executeQueryV1("Sales", "Orders | count");
    assert.equal(rowsOf(result.primaryResults[0])[0].Count, 3);
});

test("request properties and set notruncation are accepted", async () => {
    const props = new ClientRequestProperties();
    props.setOption("servertimeout", "00:01:00");
    props.clientRequestId = "adxflow-test;" + Date.now();
    const result = await client.execute("Sales", "set notruncation; Orders | take 2", props);
    assert.equal(rowsOf(result.primaryResults[0]).length, 2);
});

test("truncation is surfaced by the SDK as a request with errors", async () => {
    await assert.rejects(client.execute("Sales", "set truncationmaxrecords=1; Orders"), (e) => {
        assert.match(String(e.message) + JSON.stringify(e), /LimitsExceeded|80DA0003|errors/i);
        return true;
    });
});

test("semantic errors reach the caller with the table name", async () => {
    await assert.rejects(client.execute("Sales", "NoSuchTable | take 1"), (e) => {
        assert.match(String(e.message) + JSON.stringify(e), /NoSuchTable/);
        return true;
    });
});

test("StreamingIngestClient: CSV and JSON with a mapping, gzip bodies, policy required", async () => {
    await client.executeMgmt("Sales", ".create table Stream (a:long, b:string)");
    const kcsb = KustoConnectionStringBuilder.withAccessToken(url, "emulator-accepts-any-token");
    const streaming = new StreamingIngestClient(kcsb, { database: "Sales", table: "Stream", format: DataFormat.CSV });
    // Without the policy the service refuses, and so does the emulator.
    await assert.rejects(streaming.ingestFromStream(Readable.from(["0,zero\n"])));
    await client.executeMgmt("Sales", ".alter table Stream policy streamingingestion enable");
    await streaming.ingestFromStream(Readable.from(["1,one\n2,\"two, with comma\"\n"]));
    await client.executeMgmt("Sales",
        `.create table Stream ingestion json mapping "ByPath" '[{"Column":"a","Properties":{"Path":"$.x"}},{"Column":"b","Properties":{"Path":"$.y.z"}}]'`);
    await streaming.ingestFromStream(Readable.from(['{"x":3,"y":{"z":"three"}}\n']),
        new IngestionProperties({ database: "Sales", table: "Stream", format: DataFormat.JSON, ingestionMappingReference: "ByPath" }));
    const rows = rowsOf((await client.execute("Sales", "Stream | sort by a asc")).primaryResults[0]);
    assert.deepEqual(rows, [{ a: 1, b: "one" }, { a: 2, b: "two, with comma" }, { a: 3, b: "three" }]);
});

// Pops the status queue until a report for each source id arrived (bounded); returns them by source id.
async function waitForReports(queue, sourceIds, limitMs = 30000) {
    const found = new Map();
    const deadline = Date.now() + limitMs;
    while (found.size < sourceIds.length && Date.now() < deadline) {
        const messages = await queue.pop(10);
        for (const m of messages) if (sourceIds.includes(m.IngestionSourceId)) found.set(m.IngestionSourceId, m);
        if (messages.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    return found;
}

test("QueuedIngestClient through Azurite: file and stream reported Succeeded, a bad target reported Failed", async () => {
    const ingestUrl = process.env.KUSTO_INGEST_URL;
    assert.ok(ingestUrl, "KUSTO_INGEST_URL is not set");
    await client.executeMgmt("Sales", ".create table Queued (id:long, name:string)");
    // The ingest endpoint (as the SDK derives it for a cluster) serves the DM commands here.
    const kcsb = KustoConnectionStringBuilder.withAccessToken(ingestUrl, "emulator-accepts-any-token");
    const props = new IngestionProperties({
        database: "Sales", table: "Queued", format: DataFormat.CSV, flushImmediately: true,
        reportLevel: ReportLevel.FailuresAndSuccesses, reportMethod: ReportMethod.Queue,
    });
    const ingest = new IngestClient(kcsb, props);
    const statusQueues = new IngestStatusQueues(ingest);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adxflow-queued-"));
    const file = path.join(dir, "rows.csv");
    fs.writeFileSync(file, "1,one\n2,\"two, quoted\"\n");
    const started = Date.now();
    const fromFile = await ingest.ingestFromFile(file);  // gzip-compressed by the SDK
    const fromStream = await ingest.ingestFromStream(Readable.from(["3,three\n"]));  // plain, named .gz
    const queued = [await fromFile.getIngestionStatusCollection(), await fromStream.getIngestionStatusCollection()];
    for (const s of queued) assert.equal(s.Status, "Queued");
    const ids = queued.map((s) => s.IngestionSourceId);
    const successes = await waitForReports(statusQueues.success, ids);
    console.log(`queued ingestion: 2 sources enqueued and confirmed in ${Date.now() - started} ms`);
    assert.equal(successes.size, 2, "both ingestions are reported on the success queue");
    for (const m of successes.values()) {
        assert.equal(m.Database, "Sales");
        assert.equal(m.Table, "Queued");
        assert.ok(m.OperationId);
        assert.ok(m.SucceededOn);
    }
    const rows = rowsOf((await client.execute("Sales", "Queued | sort by id asc")).primaryResults[0]);
    assert.deepEqual(rows, [{ id: 1, name: "one" }, { id: 2, name: "two, quoted" }, { id: 3, name: "three" }]);

    // A table that does not exist: the failure queue says so, permanently.
    const failing = await ingest.ingestFromStream(Readable.from(["1,x\n"]),
        new IngestionProperties({ database: "Sales", table: "NoSuchTable", format: DataFormat.CSV,
            reportLevel: ReportLevel.FailuresAndSuccesses, reportMethod: ReportMethod.Queue }));
    const failingId = (await failing.getIngestionStatusCollection()).IngestionSourceId;
    const failures = await waitForReports(statusQueues.failure, [failingId]);
    assert.equal(failures.size, 1, "the failing ingestion is reported on the failure queue");
    const failure = failures.get(failingId);
    assert.equal(failure.ErrorCode, "BadRequest_TableNotExist");
    assert.equal(failure.FailureStatus, "Permanent");
    assert.equal(failure.Table, "NoSuchTable");
    assert.ok(failure.FailedOn);
    const shown = await client.executeMgmt("Sales", ".show ingestion failures");
    assert.ok(rowsOf(shown.primaryResults[0]).some((r) => r.Table === "NoSuchTable" && r.FailureKind === "Permanent"));
    ingest.close();
    fs.rmSync(dir, { recursive: true, force: true });
});
