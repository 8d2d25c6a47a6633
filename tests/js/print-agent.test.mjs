// static/js/print-agent.js against a stand-in for the agent's local endpoint (node:http): what the
// page sends, and the reason it gets for each way printing can fail. The real agent is in
// tests/devices/test_agent_local_endpoint.py and, with the page in Chromium, tests/browser/test_print_agent.py.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";

import { PrintAgentError, agentStatus, printReceipt } from "../../static/js/print-agent.js";

const KEY = "local-key";
let server;
let settings;
const received = [];

before(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ method: request.method, url: request.url, key: request.headers["x-print-key"], body });
      const answer = (status, json) => {
        response.writeHead(status, { "Content-Type": "application/json" });
        response.end(JSON.stringify(json));
      };
      if (request.headers["x-print-key"] !== KEY) return answer(403, { status: "refused", error: "Wrong or missing print key." });
      if (request.url === "/status") return answer(200, { register: "R1", printer: { status: "ok" } });
      const job = JSON.parse(body);
      if (job.id === "paper-out") return answer(503, { status: "failed", error: "paper out" });
      if (job.id === "slow") return; // never answers
      if (job.document.version !== 1) return answer(400, { status: "refused", error: "version 2" });
      return answer(200, { status: "printed", id: job.id });
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  settings = { url: `http://127.0.0.1:${server.address().port}`, key: KEY };
});

after(() => {
  server.closeAllConnections();
  server.close();
});

async function reason(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PrintAgentError, error);
    return error.reason;
  }
  assert.fail("printReceipt resolved");
}

describe("printReceipt", () => {
  test("sends the job with its id and the key, and resolves to the agent's answer", async () => {
    const answer = await printReceipt({ version: 1, total: "2.38" }, { id: "sale-1", settings });
    assert.deepEqual(answer, { status: "printed", id: "sale-1" });
    const sent = received.at(-1);
    assert.equal(sent.method, "POST");
    assert.equal(sent.url, "/print");
    assert.equal(sent.key, KEY);
    assert.deepEqual(JSON.parse(sent.body), { id: "sale-1", kind: "receipt", document: { version: 1, total: "2.38" } });
  });

  test("says why it did not print", async () => {
    assert.equal(await reason(printReceipt({ version: 1 }, { id: "paper-out", settings })), "printer");
    assert.equal(await reason(printReceipt({ version: 2 }, { id: "x", settings })), "invalid");
    assert.equal(await reason(printReceipt({ version: 1 }, { id: "x", settings: { ...settings, key: "old" } })), "refused");
    assert.equal(await reason(printReceipt({ version: 1 }, { id: "slow", settings, timeout: 200 })), "timeout");
    assert.equal(await reason(printReceipt({ version: 1 }, { id: "x", settings: { url: "http://127.0.0.1:9", key: KEY } })), "unreachable");
    assert.equal(await reason(printReceipt({ version: 1 }, { id: "x", settings: null })), "not-paired");
  });

  test("needs the sale's id, so that a retry prints once", async () => {
    await assert.rejects(printReceipt({ version: 1 }, { settings }), TypeError);
  });
});

describe("agentStatus", () => {
  test("answers with the agent's state and never rejects", async () => {
    const status = await agentStatus({ settings });
    assert.equal(status.state, "ok");
    assert.equal(status.register, "R1");
    assert.ok(status.latencyMs >= 0);
    assert.equal((await agentStatus({ settings: { url: "http://127.0.0.1:9", key: KEY } })).state, "unreachable");
    assert.equal((await agentStatus({ settings: { ...settings, key: "old" } })).state, "refused");
    assert.equal((await agentStatus({ settings: null })).state, "not-paired");
  });
});
