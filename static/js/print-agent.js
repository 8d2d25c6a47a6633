// The register PC's print agent, through its local endpoint on 127.0.0.1: how the checkout page
// prints while the server is away, and what the diagnostics panel asks about the printer.
//
// The server renders the endpoint's URL and this register's local print key into the page
// (`#pos[data-agent-url][data-agent-key]`, absent when no agent is paired with the register); a
// page from the service worker's cache has them too. The key only lets this page print on this
// register's printer; the agent's device token never reaches the browser.
//
//   await printReceipt(receiptDocument, { id: sale.id })  // → {status: "printed" | "already_printed"}
//
// `id` is the job's id: the offline sale's id. The agent remembers what it printed, so sending the
// same id again (a retry after a timeout, a double click) prints nothing more; and once the sale
// reaches the server, its receipt job is acknowledged by the agent without printing a second time.
// Failures reject with a PrintAgentError whose `reason` says what to do: "not-paired",
// "unreachable" (agent not running), "timeout", "refused" (wrong key or origin), "printer" (the
// printer cannot be reached: retry with the same id), "invalid" (a document the agent cannot print).

const STATUS_TIMEOUT_MS = 2000;
const PRINT_TIMEOUT_MS = 10_000; // the agent waits up to 5 s for a network printer to connect

export class PrintAgentError extends Error {
  constructor(message, { reason, status = null } = {}) {
    super(message);
    this.name = "PrintAgentError";
    this.reason = reason;
    this.status = status;
  }
}

/** The local endpoint's URL and key from the page, or null when no agent is paired with this register. */
export function agentSettings(root = globalThis.document?.getElementById("pos")) {
  const url = root?.dataset.agentUrl;
  const key = root?.dataset.agentKey;
  return url && key ? { url: url.replace(/\/$/, ""), key } : null;
}

/**
 * What the agent says about itself and the printer, never rejecting:
 * `{state: "ok", latencyMs, register, server: {connected, …}, printer: {status, error?, …}, jobs}`, or
 * `{state: "not-paired" | "unreachable" | "timeout" | "refused" | "invalid", error}`.
 */
export async function agentStatus({ timeout = STATUS_TIMEOUT_MS, settings = agentSettings() } = {}) {
  if (!settings) return { state: "not-paired", error: "No print agent is paired with this register." };
  const started = performance.now();
  try {
    const body = await call(settings, "GET", "/status", undefined, timeout);
    return { state: "ok", latencyMs: Math.round(performance.now() - started), ...body };
  } catch (error) {
    if (!(error instanceof PrintAgentError)) throw error;
    return { state: error.reason, error: error.message };
  }
}

/** Print a receipt document (sales/receipts.py, version 1) once under `id`; see the top of this file. */
export async function printReceipt(receipt, { id, kind = "receipt", timeout = PRINT_TIMEOUT_MS, settings = agentSettings() } = {}) {
  if (!id) throw new TypeError("printReceipt needs an id: the sale's id, so that a retry prints once");
  if (!settings) throw new PrintAgentError("No print agent is paired with this register.", { reason: "not-paired" });
  return call(settings, "POST", "/print", { id: String(id), kind, document: receipt }, timeout);
}

async function call({ url, key }, method, path, payload, timeout) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  try {
    let response;
    try {
      response = await fetch(url + path, {
        method,
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
        headers: payload === undefined ? { "X-Print-Key": key } : { "X-Print-Key": key, "Content-Type": "application/json" },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: controller.signal,
      });
    } catch {
      throw controller.signal.aborted
        ? new PrintAgentError(`The print agent did not answer within ${timeout / 1000} s.`, { reason: "timeout" })
        : new PrintAgentError("The print agent is not reachable: is it running on this PC?", { reason: "unreachable" });
    }
    const body = await response.json().catch(() => null);
    if (response.ok) return body;
    const reason = response.status === 403 ? "refused" : response.status === 503 ? "printer" : "invalid";
    throw new PrintAgentError(body?.error ?? `The print agent answered HTTP ${response.status}.`, { reason, status: response.status });
  } finally {
    clearTimeout(timer);
  }
}
