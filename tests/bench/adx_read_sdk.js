// The competitor of adxflow_adx_read_bench: the official Kusto Node SDK (azure-kusto-data, pinned in
// tests/node) runs the same query against the same emulator and writes every row of the primary result to
// a CSV file through rows(), as a user of the SDK would. Prints one JSON line: rows, seconds, peak RSS.
//
// Usage: node adx_read_sdk.js KUSTO_URL DATABASE QUERY OUT_FILE
"use strict";

const path = require("node:path");
const fs = require("node:fs");
const { createRequire } = require("node:module");

const [url, database, query, outFile] = process.argv.slice(2);
const toolsDir = process.env.ADXFLOW_NODE_TOOLS || path.resolve(__dirname, "../node");
const { Client, KustoConnectionStringBuilder, ClientRequestProperties } =
    createRequire(path.join(toolsDir, "package.json"))("azure-kusto-data");

// RFC 4180 quoting for text cells; other values through their JSON/JS text, as a straightforward user would.
function cell(v) {
    if (v === null || v === undefined) return "";
    if (v instanceof Date) return v.toISOString();
    if (typeof v === "object") v = JSON.stringify(v);
    const s = String(v);
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

async function main() {
    const client = new Client(KustoConnectionStringBuilder.withAccessToken(url, "bench-token"));
    const props = new ClientRequestProperties();
    props.setOption("notruncation", true);
    props.setTimeout(60 * 60 * 1000);
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    const response = await client.execute(database, query, props);
    const table = response.primaryResults[0];
    const out = fs.createWriteStream(outFile);
    out.write(table.columns.map((c) => c.name).join(",") + "\n");
    let rows = 0;
    let pending = [];
    for (const row of table.rows()) {
        const values = [];
        for (let i = 0; i < table.columns.length; ++i) values.push(cell(row.getValueAt(i)));
        pending.push(values.join(","));
        if (pending.length === 10000) {
            if (!out.write(pending.join("\n") + "\n")) await new Promise((r) => out.once("drain", r));
            pending = [];
        }
        ++rows;
    }
    if (pending.length) out.write(pending.join("\n") + "\n");
    await new Promise((r) => out.end(r));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    client.close();
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.log(JSON.stringify({ rows, seconds, cpuSeconds, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

main().catch((e) => {
    console.log(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
    process.exit(1);
});
