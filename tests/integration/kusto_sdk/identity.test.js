// @azure/identity against adxflow-kusto-emulator's token endpoints: a service principal through Azure AD's
// client-credentials flow (MSAL's authority discovery, token endpoint and error bodies) and managed
// identities through IMDS (redirected with AZURE_POD_IDENTITY_AUTHORITY_HOST), system- and user-assigned.
// Each token then queries the emulator through azure-kusto-data (withTokenCredential), and its claims
// are checked. App Service managed identity is in identity_app_service.test.js: MSAL picks one
// managed-identity source per process.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const env = require("./emulator_env.js");

// Before @azure/identity is loaded: its managed-identity source is chosen from the environment.
process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = env.url;
for (const name of ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
    "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"])
    delete process.env[name];

const { ClientSecretCredential, ManagedIdentityCredential } = env.load("@azure/identity");
const { Client, KustoConnectionStringBuilder } = env.load("azure-kusto-data");

const rowsOf = (table) => [...table.rows()].map((r) => r.toJSON());
const clientWith = (credential) => new Client(KustoConnectionStringBuilder.withTokenCredential(env.url, credential));

test("ClientSecretCredential: token from the emulator's authority host, then admin commands and queries", async () => {
    const sp = env.identity("servicePrincipal");
    const credential = new ClientSecretCredential(sp.tenant, sp.clientId, sp.clientSecret, {
        authorityHost: env.url,
        disableInstanceDiscovery: true,
    });
    const token = await credential.getToken(env.kustoScope);
    assert.ok(token.expiresOnTimestamp > Date.now() + 30 * 60 * 1000, "a token valid for about an hour");
    const c = env.claims(token.token);
    assert.equal(c.aud, env.kustoAudience);
    assert.equal(c.appid, sp.clientId);
    assert.equal(c.oid, sp.objectId);
    assert.equal(c.tid, sp.tenant);
    assert.equal(c.iss, `${env.url}/${sp.tenant}/v2.0`);

    const client = clientWith(credential);
    await client.executeMgmt("Sales", ".create table IdentityOrders (id:long, who:string)");
    await client.executeMgmt("Sales", ".ingest inline into table IdentityOrders <|\n1,sp\n2,sp");
    const result = await client.execute("Sales", "IdentityOrders | count");
    assert.equal(rowsOf(result.primaryResults[0])[0].Count, 2);
});

test("ClientSecretCredential: a wrong secret is Azure AD's invalid_client, surfaced by MSAL", async () => {
    const sp = env.identity("servicePrincipal");
    const credential = new ClientSecretCredential(sp.tenant, sp.clientId, "not-the-secret", {
        authorityHost: env.url,
        disableInstanceDiscovery: true,
    });
    // @azure/identity 4 wraps MSAL's ServerError as AuthenticationRequiredError, the message keeping Azure
    // AD's error and AADSTS code.
    await assert.rejects(credential.getToken(env.kustoScope), (e) => {
        assert.match(e.name, /^Authentication(Required)?Error$/);
        assert.match(e.message, /invalid_client/);
        assert.match(e.message, /AADSTS7000215/);
        return true;
    });
    const unknownTenant = new ClientSecretCredential("no-such-tenant", sp.clientId, sp.clientSecret, {
        authorityHost: env.url,
        disableInstanceDiscovery: true,
    });
    await assert.rejects(unknownTenant.getToken(env.kustoScope), /AADSTS90002/);
});

test("ManagedIdentityCredential over IMDS: the system-assigned identity", async () => {
    const mi = env.identity("systemManagedIdentity");
    const credential = new ManagedIdentityCredential();
    const token = await credential.getToken(env.kustoScope);
    const c = env.claims(token.token);
    assert.equal(c.aud, env.kustoAudience);
    assert.equal(c.oid, mi.objectId);
    assert.equal(c.appid, mi.clientId);
    // A viewer on every database: it reads, and it may not create tables.
    const client = clientWith(credential);
    const result = await client.execute("Sales", "print who='system'");
    assert.equal(rowsOf(result.primaryResults[0])[0].who, "system");
    await assert.rejects(client.executeMgmt("Sales", ".create table Forbidden (a:long)"), (e) => {
        assert.equal(e.response?.status, 403);
        assert.equal(e.response.data.error.code, "Forbidden");
        return true;
    });
});

test("ManagedIdentityCredential over IMDS: a user-assigned identity by client id, resource id and object id", async () => {
    const uami = env.identity("userManagedIdentity");
    for (const options of [{ clientId: uami.clientId }, { resourceId: uami.resourceId }, { objectId: uami.objectId }]) {
        const credential = new ManagedIdentityCredential(options);
        const token = await credential.getToken(env.kustoScope);
        const c = env.claims(token.token);
        assert.equal(c.aud, env.kustoAudience, JSON.stringify(options));
        assert.equal(c.oid, uami.objectId, JSON.stringify(options));
        assert.equal(c.appid, uami.clientId, JSON.stringify(options));
        const result = await clientWith(credential).execute("Sales", "print n=1");
        assert.equal(rowsOf(result.primaryResults[0])[0].n, 1);
    }
    // An identity the emulator does not know: IMDS's 400 "Identity not found" reaches the caller.
    const unknown = new ManagedIdentityCredential({ clientId: "99999999-0000-0000-0000-000000000009" });
    await assert.rejects(unknown.getToken(env.kustoScope), /Identity not found|invalid_request/);
});

test("nothing left loopback", () => {
    assert.deepEqual(env.offLoopback, []);
});
