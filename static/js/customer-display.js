// The customer display (/pos/<register>/display/): the sale's lines and total in big type, and the
// paid amount and change once paid. Events come from the server over the display's websocket after
// each change, and from the checkout page in this browser over a BroadcastChannel (offline, see
// customer-display-channel.js). A websocket (re)connection sends the server's current sale; it does
// not replace what the checkout page showed over the channel (an offline sale the server does not
// know yet), a change the server pushes does.

import { customerDisplayChannelName } from "./customer-display-channel.js";
import { reconnectDelay } from "./live.js";

const root = document.getElementById("customer-display");
let drawnFrom = null; // "server" | "channel"

/** "1234.50" → "€1,234.50" (amounts arrive as decimal strings). */
export function formatMoney(amount, symbol) {
  const negative = amount.startsWith("-");
  const [whole, fraction] = amount.replace(/^-/, "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "−" : ""}${symbol}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

function draw(event) {
  const money = (amount) => formatMoney(amount ?? "0", event.currency_symbol ?? "");
  root.dataset.state = event.state;
  for (const element of root.querySelectorAll("[data-show-in]")) {
    element.hidden = !element.dataset.showIn.split(" ").includes(event.state);
  }
  const lines = (event.lines ?? []).map((line) => {
    const item = document.createElement("li");
    item.className = "customer-display__line";
    const name = Object.assign(document.createElement("span"), { className: "customer-display__name", textContent: line.name });
    const quantity = Object.assign(document.createElement("span"), { className: "customer-display__quantity", textContent: `${line.quantity} ×` });
    const amount = Object.assign(document.createElement("span"), { className: "customer-display__amount", textContent: money(line.amount) });
    item.append(quantity, name, amount);
    return item;
  });
  const list = document.getElementById("display-lines");
  list.replaceChildren(...lines);
  list.lastElementChild?.scrollIntoView({ block: "nearest" });
  document.getElementById("display-total").textContent = money(event.total);
  document.getElementById("display-paid").textContent = money(event.paid);
  document.getElementById("display-due").textContent = money(event.remaining);
  document.getElementById("display-change").textContent = money(event.change);
  // Paid so far and what is still due only matter once something is paid.
  const partlyPaid = event.state === "open" && event.paid !== undefined && Number(event.paid) > 0;
  document.getElementById("display-due-row").hidden = !partlyPaid;
  document.getElementById("display-paid-row").hidden = !(partlyPaid || event.state === "paid");
}

function connect(attempt = 0) {
  const status = document.getElementById("display-connection");
  const url = new URL(root.dataset.wsUrl, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(url);
  let first = true;
  socket.onopen = () => {
    attempt = 0;
    status.dataset.state = "live";
  };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    const snapshot = first;
    first = false;
    if (event.type !== "display.updated" || (snapshot && drawnFrom === "channel")) return;
    drawnFrom = "server";
    draw(event);
  };
  socket.onclose = () => {
    status.dataset.state = "reconnecting";
    setTimeout(() => connect(attempt + 1), reconnectDelay(attempt));
  };
}

function init() {
  if (!root) return;
  draw(JSON.parse(document.getElementById("display-initial").textContent));
  if (globalThis.BroadcastChannel) {
    const channel = new BroadcastChannel(customerDisplayChannelName(root.dataset.register));
    channel.onmessage = (message) => {
      if (message.data?.type !== "display.updated") return;
      drawnFrom = "channel";
      draw(message.data);
    };
  }
  connect();
  root.dataset.ready = "true";
}

init();
