// The checkout's diagnostics panel (templates/sales/partials/diagnostics.html), opened with its
// button or F1: whether the server answers and how fast, the live websocket, the offline catalogue,
// the offline sales waiting, the print agent and its printer. "Copy for support" puts it all on
// the clipboard as plain text. Every check has its own timeout and none can fail the others.

import { openCatalogStore } from "./catalog-store.js";
import { openOutbox } from "./outbox.js";
import { agentStatus } from "./print-agent.js";

const root = document.getElementById("pos");
const HEALTH_TIMEOUT_MS = 3000;
const STORAGE_TIMEOUT_MS = 3000;
const SLOW_SERVER_MS = 1000;

/** Ping the health endpoint: `{state, latencyMs?, clockOffsetMs?, status?, error?}`. */
export async function checkServer(url = root.dataset.healthUrl, { timeout = HEALTH_TIMEOUT_MS } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const started = performance.now();
  try {
    const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" }, signal: controller.signal });
    const latencyMs = Math.round(performance.now() - started);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) return { state: "error", latencyMs, status: response.status, error: body.status ?? `HTTP ${response.status}` };
    // The server's clock against this PC's (offline sales carry the register's clock).
    const clockOffsetMs = body.time ? Math.round(Date.parse(body.time) - (Date.now() - latencyMs / 2)) : null;
    return { state: latencyMs > SLOW_SERVER_MS ? "warn" : "ok", latencyMs, status: response.status, clockOffsetMs };
  } catch (error) {
    return { state: "error", error: controller.signal.aborted ? `no answer within ${timeout / 1000} s` : "unreachable" };
  } finally {
    clearTimeout(timer);
  }
}

/** The live feed's state as live.js shows it on #live-status. */
export function websocketState() {
  const status = document.getElementById("live-status");
  const state = status?.dataset.state ?? "off";
  return { state: state === "live" ? "ok" : state === "off" ? "unknown" : "warn", websocket: state, text: status?.textContent.trim() || state };
}

export async function catalogState(storeName = `retailpos-catalog-store-${root.dataset.store}`) {
  const catalog = await withTimeout(openCatalogStore(storeName), STORAGE_TIMEOUT_MS);
  try {
    const [cursor, count] = await Promise.all([catalog.getCursor(), catalog.count()]);
    return { state: cursor ? "ok" : "warn", cursor, count };
  } finally {
    catalog.close();
  }
}

export async function outboxState(registerCode = root.dataset.register) {
  const outbox = await withTimeout(openOutbox(registerCode), STORAGE_TIMEOUT_MS);
  try {
    const { count, oldestQueuedAt } = await outbox.status();
    return { state: count ? "warn" : "ok", count, oldestQueuedAt };
  } finally {
    outbox.close();
  }
}

/** Run every check at once; what the panel shows and the report says. */
export async function runDiagnostics() {
  const [server, catalog, outbox, agent] = await Promise.all([
    checkServer(),
    catalogState().catch((error) => ({ state: "error", error: String(error.message ?? error) })),
    outboxState().catch((error) => ({ state: "error", error: String(error.message ?? error) })),
    agentStatus(),
  ]);
  return {
    checkedAt: new Date(),
    server,
    websocket: websocketState(),
    catalog,
    outbox,
    agent,
    browser: { online: navigator.onLine, userAgent: navigator.userAgent, page: window.location.pathname },
  };
}

// --- What each check says, in words ---------------------------------------------------------
const time = (iso) => (iso ? new Date(iso).toLocaleString() : "—");

function describe(result) {
  const { server, websocket, catalog, outbox, agent } = result;
  const lines = {};
  lines.server =
    server.state === "error"
      ? [server.state, `Not reachable: ${server.error}`]
      : [server.state, `Reachable, ${server.latencyMs} ms${server.clockOffsetMs != null && Math.abs(server.clockOffsetMs) > 5000 ? ` · this PC's clock is off by ${Math.round(server.clockOffsetMs / 1000)} s` : ""}`];
  lines.websocket = [websocket.state, websocket.websocket === "live" ? "Live" : websocket.text];
  lines.catalog =
    catalog.state === "error"
      ? ["error", `Not available: ${catalog.error}`]
      : [catalog.state, catalog.cursor ? `${catalog.count} products, current as of ${time(catalog.cursor)}` : `Not loaded yet (${catalog.count} products)`];
  lines.outbox =
    outbox.state === "error"
      ? ["error", `Not available: ${outbox.error}`]
      : [outbox.state, outbox.count ? `${outbox.count} waiting, oldest since ${time(outbox.oldestQueuedAt)}` : "None"];
  if (agent.state === "ok") {
    const server = agent.server?.connected ? "connected to the server" : `not connected to the server${agent.server?.last_error ? ` (${agent.server.last_error})` : ""}`;
    lines.agent = [agent.server?.connected ? "ok" : "warn", `Running (${agent.latencyMs} ms), ${server}`];
    const printer = agent.printer ?? {};
    const where = printer.kind ? ` · ${printer.kind} ${printer.address ?? ""}`.trimEnd() : "";
    const paper = printer.paper && printer.paper !== "ok" ? ` · paper ${printer.paper}` : "";
    lines.printer = !printer.configured
      ? ["error", "No printer known to the agent yet"]
      : printer.status === "error"
        ? ["error", `Error: ${printer.error}${where}`]
        : [printer.status === "ok" && !paper ? "ok" : "warn", `${printer.status === "ok" ? "OK" : "Not used yet"}${paper}${where}`];
  } else {
    lines.agent = [agent.state === "not-paired" ? "unknown" : "error", `${agent.state === "not-paired" ? "Not paired" : "Not answering"}: ${agent.error}`];
    lines.printer = ["unknown", "Unknown (ask the print agent)"];
  }
  return lines;
}

export function formatReport(result) {
  const lines = describe(result);
  const labels = { server: "Server", websocket: "Live updates", catalog: "Offline catalogue", outbox: "Offline sales waiting", agent: "Print agent", printer: "Printer" };
  return [
    `Register ${root.dataset.register} diagnostics, ${result.checkedAt.toISOString()}`,
    ...Object.entries(labels).map(([name, label]) => `${label}: ${lines[name][1]} [${lines[name][0]}]`),
    `Browser: ${result.browser.online ? "online" : "offline"} · ${result.browser.page} · ${result.browser.userAgent}`,
  ].join("\n");
}

// --- The panel --------------------------------------------------------------------------------
let latest = null;
let running = null;

function show(result) {
  const panel = document.getElementById("diagnostics");
  for (const [name, [state, text]] of Object.entries(describe(result))) {
    const check = panel.querySelector(`[data-check="${name}"]`);
    check.dataset.state = state;
    check.querySelector("dd").textContent = text;
  }
  panel.querySelector("[data-diagnostics-checked]").textContent = `Checked ${result.checkedAt.toLocaleTimeString()}`;
  panel.dataset.checked = "true";
}

async function refresh() {
  const panel = document.getElementById("diagnostics");
  if (running) return running;
  panel.dataset.checked = "false";
  panel.querySelector("[data-diagnostics-checked]").textContent = "Checking…";
  running = runDiagnostics()
    .then((result) => {
      latest = result;
      show(result);
    })
    .finally(() => {
      running = null;
    });
  return running;
}

function open() {
  const panel = document.getElementById("diagnostics");
  if (!panel.open) panel.showModal();
  panel.querySelector("[data-diagnostics-copied]").textContent = "";
  refresh();
}

function close() {
  document.getElementById("diagnostics").close();
  document.getElementById("scan")?.focus();
}

async function copy() {
  if (running) await running;
  const text = formatReport(latest);
  const said = document.querySelector("[data-diagnostics-copied]");
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (or not a secure context): copy the old way.
    const area = Object.assign(document.createElement("textarea"), { value: text });
    document.getElementById("diagnostics").append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  said.textContent = "Copied: paste it into your message to support.";
}

function init() {
  const panel = document.getElementById("diagnostics");
  if (!root || !panel) return;
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-open-diagnostics]")) open();
    else if (event.target.closest("[data-diagnostics-refresh]")) refresh();
    else if (event.target.closest("[data-diagnostics-copy]")) copy();
    else if (event.target.closest("[data-diagnostics-close]")) close();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "F1" && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault(); // the browser's help
      if (panel.open) close();
      else open();
    }
  });
  // Escape closes the panel here: checkout.js takes Escape on the document (back to the scan field).
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  panel.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
}

function withTimeout(promise, milliseconds) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${milliseconds / 1000} s`)), milliseconds);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

init();
