// What the identity and protocol scripts share: the emulator's address and configured identities, the
// pinned npm packages, JWT claims, and a guard that fails any connection that would leave loopback (the
// SDKs have built-in endpoints, login.microsoftonline.com and 169.254.169.254, that must never be reached).
//
// Environment (set by identity_sdk_test.cpp):
//   KUSTO_URL           https://127.0.0.1:PORT of the emulator (database "Sales", table "Synthetic")
//   EMULATOR_CONFIG     the emulator's --config file (identities, identityHeader)
//   ADXFLOW_NODE_TOOLS  folder holding node_modules (default: <repo>/tests/node)
"use strict";

const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const { createRequire } = require("node:module");

const url = process.env.KUSTO_URL;
if (!url) throw new Error("KUSTO_URL is not set (run this through identity_sdk_test)");
const config = JSON.parse(fs.readFileSync(process.env.EMULATOR_CONFIG, "utf8"));
const toolsDir = process.env.ADXFLOW_NODE_TOOLS || path.resolve(__dirname, "../../node");
const toolsRequire = createRequire(path.join(toolsDir, "package.json"));

function load(name) {
    try {
        return toolsRequire(name);
    } catch (e) {
        throw new Error(`${name} is not installed under ${toolsDir}/node_modules: run \`cd tests/node && npm ci\` (${e.message})`);
    }
}

// Every outgoing socket is checked before it connects; a non-loopback host is refused and remembered,
// and each script asserts at its end that none was attempted.
const loopback = new Set(["127.0.0.1", "localhost", "::1", "::ffff:127.0.0.1"]);
const offLoopback = [];
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
    // net.createConnection passes its normalized arguments as one array.
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    let host = "localhost";
    if (first && typeof first === "object") {
        if (first.path) return originalConnect.apply(this, args);  // a unix socket
        host = first.host ?? "localhost";
    } else if (typeof args[1] === "string") {
        host = args[1];
    }
    if (!loopback.has(host)) {
        offLoopback.push(host);
        const error = new Error(`blocked a connection to ${host}: tests must not leave loopback`);
        process.nextTick(() => this.destroy(error));
        return this;
    }
    return originalConnect.apply(this, args);
};

function identity(type) {
    const found = config.identities.find((i) => i.type === type);
    if (!found) throw new Error(`no ${type} in ${process.env.EMULATOR_CONFIG}`);
    return found;
}

// The claims of a JWT (the emulator's tokens are unsigned; only the payload matters here).
function claims(token) {
    const payload = token.split(".")[1];
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
}

// The audience the Kusto SDK asks tokens for: the emulator's cloud metadata names it.
const kustoScope = "https://kusto.kusto.windows.net/.default";
const kustoAudience = "https://kusto.kusto.windows.net";

module.exports = { url, config, load, identity, claims, offLoopback, kustoScope, kustoAudience };
