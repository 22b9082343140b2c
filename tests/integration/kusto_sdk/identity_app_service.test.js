// @azure/identity's ManagedIdentityCredential in the App Service shape (IDENTITY_ENDPOINT and
// IDENTITY_HEADER pointing at adxflow-kusto-emulator's /msi/token), system- and user-assigned, each token
// then used by azure-kusto-data. A file of its own: MSAL picks one managed-identity source per process.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const env = require("./emulator_env.js");

// Before @azure/identity is loaded: its managed-identity source is chosen from the environment.
process.env.IDENTITY_ENDPOINT = `${env.url}/msi/token`;
process.env.IDENTITY_HEADER = env.config.identityHeader;
for (const name of ["AZURE_POD_IDENTITY_AUTHORITY_HOST", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET",
    "IMDS_ENDPOINT", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"])
    delete process.env[name];

const { ManagedIdentityCredential } = env.load("@azure/identity");
const { Client, KustoConnectionStringBuilder } = env.load("azure-kusto-data");

const rowsOf = (table) => [...table.rows()].map((r) => r.toJSON());

test("ManagedIdentityCredential over App Service: system-assigned, then user-assigned by client, object and resource id", async () => {
    const system = env.identity("systemManagedIdentity");
    const uami = env.identity("userManagedIdentity");
    const cases = [
        [{}, system],
        [{ clientId: uami.clientId }, uami],
        [{ objectId: uami.objectId }, uami],
        [{ resourceId: uami.resourceId }, uami],
    ];
    for (const [options, expected] of cases) {
        const what = JSON.stringify(options);
        const credential = new ManagedIdentityCredential(options);
        const token = await credential.getToken(env.kustoScope);
        const c = env.claims(token.token);
        assert.equal(c.aud, env.kustoAudience, what);
        assert.equal(c.oid, expected.objectId, what);
        assert.equal(c.appid, expected.clientId, what);
        const client = new Client(KustoConnectionStringBuilder.withTokenCredential(env.url, credential));
        const result = await client.execute("Sales", "print source='app service'");
        assert.equal(rowsOf(result.primaryResults[0])[0].source, "app service", what);
    }
});

test("nothing left loopback", () => {
    assert.deepEqual(env.offLoopback, []);
});
