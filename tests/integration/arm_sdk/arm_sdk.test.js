// Drives a running adxflowd with the official Azure Data Factory management SDK (@azure/arm-datafactory,
// pinned in tests/node). Every call goes through the SDK's own serializers and deserializers, so a response the
// daemon shapes differently from ADF fails here the way it would fail for a real SDK user.
//
// Environment (set by arm_sdk_test.cpp):
//   ADXFLOW_URL        http://127.0.0.1:PORT of the daemon
//   ADXFLOW_FILE_ROOT  the daemon's --file-root; holds in/people.csv written by the wrapper
//   ADXFLOW_INPUT_ROWS number of data rows in in/people.csv
//   ADXFLOW_NODE_TOOLS folder holding node_modules with the SDK (default: <repo>/tests/node)
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const baseUrl = requireEnv("ADXFLOW_URL");
const fileRoot = requireEnv("ADXFLOW_FILE_ROOT");
const inputRows = Number(requireEnv("ADXFLOW_INPUT_ROWS"));
const toolsDir = process.env.ADXFLOW_NODE_TOOLS || path.resolve(__dirname, "../../node");

function requireEnv(name) {
    const v = process.env[name];
    if (!v) throw new Error(`environment variable ${name} is not set (run this through arm_sdk_test)`);
    return v;
}

// The SDK lives in tests/node/node_modules, which is not on this script's module search path.
function loadSdk() {
    const toolsRequire = createRequire(path.join(toolsDir, "package.json"));
    try {
        return toolsRequire("@azure/arm-datafactory");
    } catch (e) {
        throw new Error(`@azure/arm-datafactory is not installed under ${toolsDir}/node_modules: ` +
                        `run \`cd tests/node && npm ci\` (${e.message})`);
    }
}
const { DataFactoryManagementClient } = loadSdk();

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const RG = "rg-adxflow-sdk";
const FACTORY = "adxflow";
const PASSWORD = "Sdk-Pa55word-" + process.pid + "-never-echoed";
const MASK = "**********";

// Every raw response body the SDK received, to prove the password never comes back.
const responses = [];

function makeClient() {
    // A TokenCredential as the SDK expects one; the daemon does not check the token.
    const credential = {
        getToken: async () => ({ token: "adxflow-test-token", expiresOnTimestamp: Date.now() + 3600 * 1000 }),
    };
    const client = new DataFactoryManagementClient(credential, SUBSCRIPTION, {
        endpoint: baseUrl,
        $host: baseUrl,
        retryOptions: { maxRetries: 0 },  // a failing call must fail now, not after back-off
    });
    // The SDK's bearer policy refuses plain http; replace it with one that only sets the header. The HTTP
    // client refuses http too unless each request opts in.
    client.pipeline.removePolicy({ name: "bearerTokenAuthenticationPolicy" });
    client.pipeline.addPolicy({
        name: "adxflowDummyBearer",
        async sendRequest(request, next) {
            const token = await credential.getToken("https://management.azure.com/.default");
            request.headers.set("Authorization", `Bearer ${token.token}`);
            request.allowInsecureConnection = true;
            return next(request);
        },
    });
    client.pipeline.addPolicy({
        name: "adxflowRecordResponses",
        async sendRequest(request, next) {
            const response = await next(request);
            responses.push({
                method: request.method,
                url: request.url,
                status: response.status,
                headers: response.headers.toJSON(),
                body: response.bodyAsText || "",
            });
            return response;
        },
    });
    return client;
}
const client = makeClient();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set(["Succeeded", "Failed", "Cancelled"]);

async function waitForRun(runId, done = (run) => TERMINAL.has(run.status), timeoutMs = 60000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const run = await client.pipelineRuns.get(RG, FACTORY, runId);
        if (done(run)) return run;
        if (Date.now() > deadline) assert.fail(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
        await sleep(200);
    }
}

async function collect(iterable) {
    const out = [];
    for await (const item of iterable) out.push(item);
    return out;
}

// A query window that surely contains everything this test created.
function window() {
    return {
        lastUpdatedAfter: new Date(Date.now() - 3600 * 1000),
        lastUpdatedBefore: new Date(Date.now() + 3600 * 1000),
    };
}

async function expectRestError(promise, status) {
    try {
        await promise;
    } catch (e) {
        assert.equal(e.name, "RestError", `expected a RestError, got ${e.name}: ${e.message}`);
        assert.equal(e.statusCode, status, `status of: ${e.message}`);
        return e;
    }
    assert.fail(`expected HTTP ${status}, the call succeeded`);
}

const LS = "LS_Files";
const DS_IN = "DS_PeopleCsv";
const DS_OUT = "DS_PeopleJson";
const PL_COPY = "PL_CopyPeople";
const PL_WAIT = "PL_WaitLong";
const PL_QUICK = "PL_Quick";

test("factories.get describes the daemon's factory", async () => {
    const factory = await client.factories.get(RG, FACTORY);
    assert.equal(factory.name, FACTORY);
    assert.equal(factory.type, "Microsoft.DataFactory/factories");
    assert.match(factory.id, new RegExp(`/resourceGroups/${RG}/providers/Microsoft.DataFactory/factories/${FACTORY}$`));
    assert.equal(factory.provisioningState, "Succeeded");
});

test("linked service with a SecureString password: create, get, list, masked", async () => {
    const created = await client.linkedServices.createOrUpdate(RG, FACTORY, LS, {
        properties: {
            type: "FileServer",
            description: "files for the SDK test",
            host: fileRoot,
            userId: "sdk-user",
            password: { type: "SecureString", value: PASSWORD },
        },
    });
    assert.equal(created.name, LS);
    assert.equal(created.type, "Microsoft.DataFactory/factories/linkedservices");
    assert.ok(created.etag, "etag is returned");
    assert.equal(created.properties.type, "FileServer");
    assert.equal(created.properties.host, fileRoot);
    assert.equal(created.properties.userId, "sdk-user");
    assert.deepEqual(created.properties.password, { type: "SecureString", value: MASK });

    const got = await client.linkedServices.get(RG, FACTORY, LS);
    assert.equal(got.etag, created.etag);
    assert.equal(got.properties.description, "files for the SDK test");
    assert.deepEqual(got.properties.password, { type: "SecureString", value: MASK });

    // Re-PUT the masked value (what a portal round trip does): the stored secret must survive.
    await client.linkedServices.createOrUpdate(RG, FACTORY, LS, { properties: got.properties });

    const all = await collect(client.linkedServices.listByFactory(RG, FACTORY));
    const mine = all.find((ls) => ls.name === LS);
    assert.ok(mine, `listByFactory includes ${LS}: ${all.map((l) => l.name)}`);
    assert.equal(mine.properties.password.value, MASK);
});

test("linked service delete, then get is 404", async () => {
    const name = "LS_Scratch";
    await client.linkedServices.createOrUpdate(RG, FACTORY, name, {
        properties: { type: "FileServer", host: fileRoot, userId: "x", password: { type: "SecureString", value: PASSWORD } },
    });
    await client.linkedServices.delete(RG, FACTORY, name);
    const e = await expectRestError(client.linkedServices.get(RG, FACTORY, name), 404);
    assert.ok(e.code, "404 carries a CloudError code");
    // Deleting what is gone is not an error (ADF answers 204).
    await client.linkedServices.delete(RG, FACTORY, name);
    const names = (await collect(client.linkedServices.listByFactory(RG, FACTORY))).map((l) => l.name);
    assert.ok(!names.includes(name));
});

test("datasets: DelimitedText and parameterized Json on FileServerLocation", async () => {
    const csv = await client.datasets.createOrUpdate(RG, FACTORY, DS_IN, {
        properties: {
            type: "DelimitedText",
            linkedServiceName: { referenceName: LS, type: "LinkedServiceReference" },
            location: { type: "FileServerLocation", folderPath: "in", fileName: "people.csv" },
            columnDelimiter: ",",
            firstRowAsHeader: true,
            quoteChar: "\"",
        },
    });
    assert.equal(csv.name, DS_IN);
    assert.equal(csv.properties.type, "DelimitedText");
    assert.equal(csv.properties.linkedServiceName.referenceName, LS);
    assert.equal(csv.properties.location.type, "FileServerLocation");
    assert.equal(csv.properties.location.folderPath, "in");
    assert.equal(csv.properties.firstRowAsHeader, true);

    const json = await client.datasets.createOrUpdate(RG, FACTORY, DS_OUT, {
        properties: {
            type: "Json",
            linkedServiceName: { referenceName: LS, type: "LinkedServiceReference" },
            parameters: { fileName: { type: "String" } },
            location: {
                type: "FileServerLocation",
                folderPath: "out",
                fileName: { value: "@dataset().fileName", type: "Expression" },
            },
        },
    });
    assert.equal(json.properties.type, "Json");
    assert.equal(json.properties.parameters.fileName.type, "String");
    assert.deepEqual(json.properties.location.fileName, { value: "@dataset().fileName", type: "Expression" });

    const got = await client.datasets.get(RG, FACTORY, DS_OUT);
    assert.equal(got.etag, json.etag);
    const names = (await collect(client.datasets.listByFactory(RG, FACTORY))).map((d) => d.name).sort();
    assert.deepEqual(names.filter((n) => n === DS_IN || n === DS_OUT), [DS_IN, DS_OUT]);
});

test("pipelines: create, get, list", async () => {
    const copy = await client.pipelines.createOrUpdate(RG, FACTORY, PL_COPY, {
        description: "csv to json",
        parameters: { outName: { type: "String" }, expectedRows: { type: "Int", defaultValue: 0 } },
        activities: [
            {
                name: "CopyPeople",
                type: "Copy",
                inputs: [{ referenceName: DS_IN, type: "DatasetReference" }],
                outputs: [{
                    referenceName: DS_OUT,
                    type: "DatasetReference",
                    parameters: { fileName: { value: "@concat(pipeline().parameters.outName, '.json')", type: "Expression" } },
                }],
                source: { type: "DelimitedTextSource" },
                sink: { type: "JsonSink", writeBatchSize: 2 },
            },
            {
                name: "AfterCopy",
                type: "Wait",
                dependsOn: [{ activity: "CopyPeople", dependencyConditions: ["Succeeded"] }],
                waitTimeInSeconds: 0,
            },
        ],
    });
    assert.equal(copy.name, PL_COPY);
    assert.equal(copy.activities.length, 2);
    assert.equal(copy.activities[0].type, "Copy");
    assert.equal(copy.activities[0].source.type, "DelimitedTextSource");
    assert.equal(copy.activities[0].sink.type, "JsonSink");
    assert.equal(copy.activities[1].waitTimeInSeconds, 0);

    await client.pipelines.createOrUpdate(RG, FACTORY, PL_WAIT, {
        activities: [{ name: "WaitLong", type: "Wait", waitTimeInSeconds: 60 }],
    });
    await client.pipelines.createOrUpdate(RG, FACTORY, PL_QUICK, {
        parameters: { n: { type: "Int" } },
        activities: [{ name: "Nap", type: "Wait", waitTimeInSeconds: 0 }],
    });

    const got = await client.pipelines.get(RG, FACTORY, PL_COPY);
    assert.equal(got.description, "csv to json");
    assert.equal(got.parameters.expectedRows.type, "Int");
    assert.equal(got.activities[1].dependsOn[0].activity, "CopyPeople");
    const names = (await collect(client.pipelines.listByFactory(RG, FACTORY))).map((p) => p.name);
    for (const n of [PL_COPY, PL_WAIT, PL_QUICK]) assert.ok(names.includes(n), `${n} listed: ${names}`);
});

let copyRunId;

test("createRun with parameters, poll pipelineRuns.get to Succeeded", async () => {
    const started = Date.now();
    const { runId } = await client.pipelines.createRun(RG, FACTORY, PL_COPY, {
        parameters: { outName: "people_out", expectedRows: inputRows },
    });
    assert.match(runId, /^[0-9a-f-]{36}$/i);
    copyRunId = runId;
    const run = await waitForRun(runId);
    assert.equal(run.status, "Succeeded", `run message: ${run.message}`);
    assert.equal(run.runId, runId);
    assert.equal(run.pipelineName, PL_COPY);
    assert.equal(run.parameters.outName, "people_out");
    assert.equal(run.parameters.expectedRows, String(inputRows));  // ADF reports parameters as strings
    assert.ok(run.runStart instanceof Date && run.runEnd instanceof Date, "runStart/runEnd deserialize as dates");
    assert.ok(run.runStart.getTime() >= started - 5000, `runStart ${run.runStart.toISOString()}`);
    assert.ok(run.runEnd >= run.runStart);
    assert.ok(run.lastUpdated instanceof Date);
    assert.equal(typeof run.durationInMs, "number");
    assert.equal(run.invokedBy.invokedByType, "Manual");

    const out = fs.readFileSync(path.join(fileRoot, "out", "people_out.json"), "utf8").trim().split("\n");
    assert.equal(out.length, inputRows, "one JSON document per input row");
    assert.equal(JSON.parse(out[0]).name, "name0");
});

test("activityRuns.queryByPipelineRun: names, statuses, rowsCopied", async () => {
    const result = await client.activityRuns.queryByPipelineRun(RG, FACTORY, copyRunId, window());
    assert.ok(Array.isArray(result.value));
    const byName = Object.fromEntries(result.value.map((a) => [a.activityName, a]));
    assert.deepEqual(Object.keys(byName).sort(), ["AfterCopy", "CopyPeople"]);
    const copy = byName.CopyPeople;
    assert.equal(copy.status, "Succeeded");
    assert.equal(copy.activityType, "Copy");
    assert.equal(copy.pipelineRunId, copyRunId);
    assert.equal(copy.pipelineName, PL_COPY);
    assert.equal(copy.output.rowsCopied, inputRows);
    assert.ok(copy.activityRunStart instanceof Date);
    assert.equal(byName.AfterCopy.status, "Succeeded");
    assert.equal(byName.AfterCopy.activityType, "Wait");

    const onlyCopy = await client.activityRuns.queryByPipelineRun(RG, FACTORY, copyRunId, {
        ...window(),
        filters: [{ operand: "ActivityType", operator: "Equals", values: ["Copy"] }],
    });
    assert.deepEqual(onlyCopy.value.map((a) => a.activityName), ["CopyPeople"]);
});

test("pipelineRuns.cancel: a 60 s Wait ends Cancelled", async () => {
    const { runId } = await client.pipelines.createRun(RG, FACTORY, PL_WAIT);
    await waitForRun(runId, (r) => r.status === "InProgress", 30000);
    const asked = Date.now();
    await client.pipelineRuns.cancel(RG, FACTORY, runId, { isRecursive: true });
    const run = await waitForRun(runId, (r) => TERMINAL.has(r.status), 30000);
    assert.equal(run.status, "Cancelled");
    assert.ok(Date.now() - asked < 20000, "cancel does not wait out the 60 s");
    const acts = await client.activityRuns.queryByPipelineRun(RG, FACTORY, runId, window());
    assert.equal(acts.value.length, 1);
    assert.equal(acts.value[0].activityName, "WaitLong");
    assert.equal(acts.value[0].status, "Cancelled");
});

test("pipelineRuns.queryByFactory: filters, orderBy, continuationToken paging", async () => {
    const created = [];
    const total = 105;  // the daemon pages at 100
    for (let i = 0; i < total; i++) {
        const { runId } = await client.pipelines.createRun(RG, FACTORY, PL_QUICK, { parameters: { n: i } });
        created.push(runId);
    }
    for (const id of created) await waitForRun(id);

    const filter = {
        ...window(),
        filters: [{ operand: "PipelineName", operator: "Equals", values: [PL_QUICK] }],
        orderBy: [{ orderBy: "RunStart", order: "ASC" }],
    };
    const first = await client.pipelineRuns.queryByFactory(RG, FACTORY, filter);
    assert.equal(first.value.length, 100);
    assert.ok(first.continuationToken, "a full page carries a continuationToken");
    const second = await client.pipelineRuns.queryByFactory(RG, FACTORY, {
        ...filter,
        continuationToken: first.continuationToken,
    });
    assert.equal(second.value.length, total - 100);
    assert.ok(!second.continuationToken, "the last page has no continuationToken");
    const seen = [...first.value, ...second.value];
    assert.deepEqual(seen.map((r) => r.runId).sort(), [...created].sort());
    for (const r of seen) {
        assert.equal(r.pipelineName, PL_QUICK);
        assert.equal(r.status, "Succeeded");
        assert.ok(r.runStart instanceof Date);
    }
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1].runStart <= seen[i].runStart, "ascending RunStart");

    // Status filter across pipelines, newest first.
    const cancelled = await client.pipelineRuns.queryByFactory(RG, FACTORY, {
        ...window(),
        filters: [{ operand: "Status", operator: "Equals", values: ["Cancelled"] }],
        orderBy: [{ orderBy: "RunStart", order: "DESC" }],
    });
    assert.equal(cancelled.value.length, 1);
    assert.equal(cancelled.value[0].pipelineName, PL_WAIT);

    const copyRuns = await client.pipelineRuns.queryByFactory(RG, FACTORY, {
        ...window(),
        filters: [{ operand: "PipelineName", operator: "In", values: [PL_COPY, PL_WAIT] }],
        orderBy: [{ orderBy: "PipelineName", order: "ASC" }],
    });
    assert.deepEqual(copyRuns.value.map((r) => r.pipelineName), [PL_COPY, PL_WAIT]);
    assert.equal(copyRuns.value[0].runId, copyRunId);
});

test("credentials and triggers are stored and read back", async () => {
    const resourceId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/` +
                       "Microsoft.ManagedIdentity/userAssignedIdentities/adxflow-id";
    const cred = await client.credentialOperations.createOrUpdate(RG, FACTORY, "cred1", {
        properties: { type: "ManagedIdentity", resourceId },
    });
    assert.equal(cred.name, "cred1");
    assert.equal(cred.properties.type, "ManagedIdentity");
    assert.equal(cred.properties.resourceId, resourceId);
    const gotCred = await client.credentialOperations.get(RG, FACTORY, "cred1");
    assert.equal(gotCred.properties.resourceId, resourceId);

    const start = new Date("2024-01-01T00:00:00Z");
    const trigger = await client.triggers.createOrUpdate(RG, FACTORY, "TR_Daily", {
        properties: {
            type: "ScheduleTrigger",
            description: "daily copy",
            recurrence: { frequency: "Day", interval: 1, startTime: start, timeZone: "UTC" },
            pipelines: [{
                pipelineReference: { referenceName: PL_COPY, type: "PipelineReference" },
                parameters: { outName: "@formatDateTime(trigger().scheduledTime, 'yyyyMMdd')" },
            }],
        },
    });
    assert.equal(trigger.name, "TR_Daily");
    assert.equal(trigger.properties.type, "ScheduleTrigger");
    const got = await client.triggers.get(RG, FACTORY, "TR_Daily");
    assert.equal(got.properties.recurrence.frequency, "Day");
    assert.equal(got.properties.recurrence.interval, 1);
    assert.equal(got.properties.recurrence.startTime.getTime(), start.getTime());
    assert.equal(got.properties.pipelines[0].pipelineReference.referenceName, PL_COPY);
});

test("triggers: tumbling window start, triggerRuns.queryByFactory, rerun, stop (triggers.md)", async () => {
    await client.pipelines.createOrUpdate(RG, FACTORY, "PL_Window", {
        parameters: { windowStart: { type: "String" } },
        activities: [{ name: "W", type: "Wait", waitTimeInSeconds: 0 }],
    });
    const hour = 3600 * 1000;
    const start = new Date(Math.floor(Date.now() / hour) * hour - 2 * hour);
    await client.triggers.createOrUpdate(RG, FACTORY, "TW_Sdk", {
        properties: {
            type: "TumblingWindowTrigger",
            frequency: "Hour", interval: 1, startTime: start, endTime: new Date(start.getTime() + 2 * hour),
            maxConcurrency: 1, retryPolicy: { count: 0, intervalInSeconds: 30 },
            pipeline: {
                pipelineReference: { referenceName: "PL_Window", type: "PipelineReference" },
                parameters: { windowStart: "@trigger().outputs.windowStartTime" },
            },
        },
    });
    assert.equal((await client.triggers.get(RG, FACTORY, "TW_Sdk")).properties.runtimeState, "Stopped");
    await client.triggers.beginStartAndWait(RG, FACTORY, "TW_Sdk");
    assert.equal((await client.triggers.get(RG, FACTORY, "TW_Sdk")).properties.runtimeState, "Started");
    const filter = {
        lastUpdatedAfter: new Date("2000-01-01T00:00:00Z"), lastUpdatedBefore: new Date("2100-01-01T00:00:00Z"),
        filters: [{ operand: "TriggerName", operator: "Equals", values: ["TW_Sdk"] }],
    };
    let runs = [];
    for (let i = 0; i < 100; i++) {  // bounded: 10 s
        runs = (await client.triggerRuns.queryByFactory(RG, FACTORY, filter)).value;
        if (runs.length === 2 && runs.every((r) => r.status === "Succeeded")) break;
        await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((r) => r.status), ["Succeeded", "Succeeded"]);
    assert.equal(runs[0].triggerType, "TumblingWindowTrigger");
    assert.ok(runs[0].triggerRunTimestamp instanceof Date);
    assert.equal(new Date(runs[0].properties.WindowStartTime).getTime(), start.getTime());
    const run = await client.pipelineRuns.get(RG, FACTORY, runs[0].triggeredPipelines.PL_Window);
    assert.equal(new Date(run.parameters.windowStart).getTime(), start.getTime());
    assert.equal(run.invokedBy.invokedByType, "TumblingWindowTrigger");
    await client.triggerRuns.rerun(RG, FACTORY, "TW_Sdk", runs[0].triggerRunId);
    const e = await expectRestError(client.triggers.createOrUpdate(RG, FACTORY, "TW_Sdk", {
        properties: { type: "TumblingWindowTrigger", frequency: "Hour", interval: 1, startTime: start, maxConcurrency: 1,
                      pipeline: { pipelineReference: { referenceName: "PL_Window", type: "PipelineReference" } } },
    }), 400);
    assert.equal(e.code, "TriggerEnabledCannotUpdate");
    await client.triggers.beginStopAndWait(RG, FACTORY, "TW_Sdk");
    assert.equal((await client.triggers.get(RG, FACTORY, "TW_Sdk")).properties.runtimeState, "Stopped");
});

test("an unknown activity type is a 400 RestError carrying the CloudError", async () => {
    const e = await expectRestError(client.pipelines.createOrUpdate(RG, FACTORY, "PL_Bad", {
        activities: [{ name: "Mystery", type: "NoSuchActivityKind", typeProperties: {} }],
    }), 400);
    assert.ok(e.code && e.code.length > 0, "CloudError code is surfaced");
    assert.match(e.message, /NoSuchActivityKind/, "CloudError message is surfaced");
    // core-client replaces the message when the CloudError mapper cannot read the body.
    assert.doesNotMatch(e.message, /occurred in deserializing/);
    const cloudError = e.response.parsedBody;
    assert.equal(cloudError.code, e.code, "the CloudError deserializes through the SDK's mapper");
    assert.equal(cloudError.message, e.message);
    assert.match(cloudError.target, /activities/, `target: ${cloudError.target}`);
    await expectRestError(client.pipelines.get(RG, FACTORY, "PL_Bad"), 404);
});

test("the SecureString password never appears in any response", () => {
    assert.ok(responses.length > 100, `responses recorded: ${responses.length}`);
    for (const r of responses) {
        assert.ok(!r.body.includes(PASSWORD), `${r.method} ${r.url} leaked the password`);
        for (const [k, v] of Object.entries(r.headers))
            assert.ok(!String(v).includes(PASSWORD), `${r.method} ${r.url} header ${k} leaked the password`);
    }
    assert.ok(responses.some((r) => r.body.includes(MASK)), "masked values were seen");
});
