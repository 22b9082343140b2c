// The official Kusto Node SDK (azure-kusto-data) meeting the protocol corners adxflow-kusto-emulator
// reproduces: progressive results, a servertimeout that expires, a bad token, and `.cancel query` from a
// second connection. Authenticated as the configured service principal (ClientSecretCredential against the
// emulator's authority host).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const env = require("./emulator_env.js");

const { ClientSecretCredential } = env.load("@azure/identity");
const { Client, KustoConnectionStringBuilder, ClientRequestProperties } = env.load("azure-kusto-data");

const sp = env.identity("servicePrincipal");
const credential = new ClientSecretCredential(sp.tenant, sp.clientId, sp.clientSecret, {
    authorityHost: env.url,
    disableInstanceDiscovery: true,
});
const client = new Client(KustoConnectionStringBuilder.withTokenCredential(env.url, credential));

// A raw v2 query (fetch), for what the SDK does not expose: the frames themselves.
async function rawQuery(csl, options) {
    const token = await credential.getToken(env.kustoScope);
    const response = await fetch(`${env.url}/v2/rest/query`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ db: "Sales", csl, properties: { Options: options } }),
    });
    assert.equal(response.status, 200);
    return response.json();
}

test("results_progressive_enabled: the SDK accepts the progressive frames (and, like for the service, keeps no rows from them)", async () => {
    const props = new ClientRequestProperties();
    props.setOption("results_progressive_enabled", true);
    const result = await client.execute("Sales", "Synthetic | take 3", props);
    assert.equal(result.dataSetHeader.IsProgressive, true);
    assert.equal(result.dataSetCompletion.HasErrors, false);
    // azure-kusto-data 7 builds tables from DataTable frames only: a progressive primary result, sent as
    // TableHeader/TableFragment, is not among them. The status table still is.
    assert.deepEqual(result.primaryResults, []);
    assert.ok(result.statusTable, "QueryCompletionInformation");

    const frames = await rawQuery("Synthetic | take 3", { results_progressive_enabled: true });
    assert.deepEqual(frames.map((f) => f.FrameType), ["DataSetHeader", "DataTable", "TableHeader", "TableFragment",
        "TableProgress", "TableCompletion", "DataTable", "DataSetCompletion"]);
    const fragment = frames[3];
    assert.equal(fragment.TableFragmentType, "DataAppend");
    assert.deepEqual(fragment.Rows.map((r) => r[0]), [0, 1, 2]);
    assert.equal(frames[5].RowCount, 3);
    // Aggregations are reported as DataReplace fragments, as progressive aggregations are.
    const counted = await rawQuery("Synthetic | count", { results_progressive_enabled: true });
    assert.equal(counted[3].TableFragmentType, "DataReplace");
    assert.deepEqual(counted[3].Rows, [[3000000]]);
});

test("servertimeout: work that outlasts it fails with 504 RequestExecutionTimeout", async () => {
    // A delay fault holds this query (and only it: the marker) for 5 s; the request allows 1 s.
    const armed = await fetch(`${env.url}/_emulator/faults`, {
        method: "POST",
        body: JSON.stringify({ action: "delay", delayMs: 5000, path: "/v2/rest/query", command: "adxflow-timeout-marker" }),
    });
    assert.equal(armed.status, 200);
    const props = new ClientRequestProperties();
    props.setTimeout(1000);
    const started = Date.now();
    await assert.rejects(client.execute("Sales", "print marker='adxflow-timeout-marker'", props), (e) => {
        assert.equal(e.response?.status, 504, String(e));
        assert.equal(e.response.data.error.code, "RequestExecutionTimeout");
        assert.equal(e.response.data.error["@permanent"], false);
        return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 4500, `answered after ${elapsed} ms: at the servertimeout, not the delay`);
});

test("a bad bearer token is a 401 with the WWW-Authenticate challenge", async () => {
    for (const token of ["not-a-jwt", "eyJhbGciOiJub25lIn0.eyJvaWQiOiJub2JvZHkifQ."]) {
        const anonymous = new Client(KustoConnectionStringBuilder.withAccessToken(env.url, token));
        await assert.rejects(anonymous.execute("Sales", "print 1"), (e) => {
            assert.equal(e.response?.status, 401, String(e));
            assert.match(e.response.headers["www-authenticate"], /^Bearer /);
            return true;
        });
    }
});

test(".cancel query from a second connection ends a running query with the cancellation error", async () => {
    // The query's result is trickled (64 bytes every 50 ms) so that it is still running when the cancel
    // arrives; the cancellation shows at its next piece.
    await fetch(`${env.url}/_emulator/faults`, {
        method: "POST",
        body: JSON.stringify({ action: "trickle", delayMs: 50, path: "/v2/rest/query", command: "adxflow-cancel-marker" }),
    });
    const props = new ClientRequestProperties();
    props.clientRequestId = `adxflow-cancel;${Date.now()}`;
    props.setOption("notruncation", true);
    const running = client.execute("Sales", "set notruncation; Synthetic | take 100000 // adxflow-cancel-marker", props);
    const outcome = running.then(() => null, (e) => e);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const cancelled = await client.executeMgmt("Sales", `.cancel query "${props.clientRequestId}" with (reason = "test over")`);
    const row = [...cancelled.primaryResults[0].rows()][0].toJSON();
    assert.equal(row.ClientRequestId, props.clientRequestId);
    assert.equal(row.CancellationState, "Cancelled successfully");
    const error = await outcome;
    assert.ok(error, "the cancelled query must fail");
    assert.match(String(error.message), /0x80DA0006.*cancelled.*test over/);
    // Cancelling again finds nothing running.
    const again = await client.executeMgmt("Sales", `.cancel query "${props.clientRequestId}"`);
    assert.match([...again.primaryResults[0].rows()][0].toJSON().CancellationState, /^Cancel failed/);
});

test("nothing left loopback", () => {
    assert.deepEqual(env.offLoopback, []);
});
