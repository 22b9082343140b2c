// The competitor of adxflow_adx_ingest_bench: the official Kusto Node SDK (azure-kusto-ingest 7.0.1, pinned
// in tests/node) ingests one CSV file with QueuedIngestClient.ingestFromFile, as a user of the SDK would,
// and waits until the ingestion is confirmed on the status queues (ReportLevel FailuresAndSuccesses,
// ReportMethod Queue: the SDK cannot write its Pending row into Azurite's path-style status table, see
// docs/kusto-emulator.md). The clock starts before the client is created, so it covers what adxflowd's run
// covers: ingestion resources, gzip, upload, enqueue, confirmation. Node's own start-up is left out.
//
// Usage: node adx_ingest_sdk.js KUSTO_URL DATABASE TABLE CSV_FILE
// Prints one JSON line: {status, seconds, enqueueSeconds, cpuSeconds, sourceId, details?, maxRssBytes} or
// {error}.
"use strict";

const path = require("node:path");
const { createRequire } = require("node:module");

const [url, database, table, file] = process.argv.slice(2);
const toolsDir = process.env.ADXFLOW_NODE_TOOLS || path.resolve(__dirname, "../node");
const toolsRequire = createRequire(path.join(toolsDir, "package.json"));
const { KustoConnectionStringBuilder } = toolsRequire("azure-kusto-data");
const { IngestClient, IngestStatusQueues, IngestionProperties, DataFormat, ReportLevel, ReportMethod } =
    toolsRequire("azure-kusto-ingest");

// Pops both status queues until the report for `sourceId` arrives; other reports (earlier runs) are dropped.
// Polls every 100 ms while both are empty, as the project's SDK conformance test does. Bounded by `limitMs`.
async function waitForReport(queues, sourceId, limitMs) {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
        let any = false;
        for (const [status, queue] of [["Succeeded", queues.success], ["Failed", queues.failure]]) {
            const messages = await queue.pop(10);
            any = any || messages.length > 0;
            for (const m of messages)
                if (m.IngestionSourceId === sourceId) return { status, message: m };
        }
        if (!any) await new Promise((r) => setTimeout(r, 100));
    }
    return { status: "Unconfirmed", message: null };
}

async function main() {
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    // The emulator runs with --no-auth: any bearer token is accepted. Loopback plain http is accepted by the
    // SDK (an IP address is also left without the "ingest-" prefix, as for the real service's IPs).
    const kcsb = KustoConnectionStringBuilder.withAccessToken(url, "bench-token");
    const props = new IngestionProperties({
        database, table, format: DataFormat.CSV, ignoreFirstRecord: true,
        reportLevel: ReportLevel.FailuresAndSuccesses, reportMethod: ReportMethod.Queue,
    });
    const client = new IngestClient(kcsb, props);
    const queues = new IngestStatusQueues(client);
    const result = await client.ingestFromFile(file);  // gzip (zlib) to a temp file, upload, enqueue
    const queued = await result.getIngestionStatusCollection();
    const enqueueSeconds = seconds();
    const { status, message } = await waitForReport(queues, queued.IngestionSourceId, 30 * 60 * 1000);
    const total = seconds();
    const cpu = process.cpuUsage(cpuStarted);  // this process, every thread (zlib runs on libuv's pool)
    client.close();
    const report = { status, seconds: total, enqueueSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6,
        sourceId: queued.IngestionSourceId, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
    if (message && status !== "Succeeded") report.details = `${message.ErrorCode}: ${message.Details}`;
    console.log(JSON.stringify(report));
}

main().catch((e) => {
    console.log(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
    process.exit(1);
});
