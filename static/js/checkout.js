// The checkout page's keyboard, scanner and keypad behaviour. The server owns the sale:
// this module only routes keys, keeps the scan field focused and queues scans in order. When the
// server is away, offline-register.js rings the sale up in the browser on the same elements.

import { approvalModalOpen, focusApprovalModal } from "./approval-modal.js";
import { offlineRegister } from "./offline-register.js";
import { startTypeAhead } from "./type-ahead.js";

const htmx = window.htmx;
const root = document.getElementById("pos");

// An answer slower than this counts as none: the page goes offline rather than leave the cashier waiting.
const REQUEST_TIMEOUT_MS = 15_000;

const $ = (selector) => document.querySelector(selector);
const scanInput = () => $("#scan");
const isField = (el) => el && el.matches?.("input, textarea, select, [contenteditable]");

function focusScan() {
  const input = scanInput();
  if (input && document.activeElement !== input) input.focus({ preventScroll: true });
}

// --- Scanning: a scanner types digits then Enter, often faster than the server answers. --------
// Each code is taken out of the field at once and posted in order; the next scan can start
// typing while the previous one is still on the wire.
let scanQueue = Promise.resolve();

function submitScan(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const input = scanInput();
  const code = input.value.trim();
  input.value = "";
  if (!code) return;
  inOrder(async () => {
    if (offlineRegister.local && !(await offlineRegister.returnToServerIfIdle())) return offlineRegister.scan(code);
    try {
      await htmx.ajax("POST", form.action, { source: form, values: { code }, swap: "none" });
    } catch {
      // No answer: htmx:sendError / htmx:timeout has switched the page to offline; the scan counts.
      if (offlineRegister.local) await offlineRegister.scan(code);
    }
    return undefined;
  });
}

function inOrder(request) {
  scanQueue = scanQueue.then(request).catch(() => {});
}

// --- Search --------------------------------------------------------------------------------------
function clearSearch() {
  const search = $("#search");
  if (search) search.value = "";
  const results = $("#search-results");
  if (results) results.replaceChildren();
}

function searchKeys(event) {
  const results = [...document.querySelectorAll("#search-results .search-result")];
  const index = results.indexOf(document.activeElement);
  if (event.key === "ArrowDown") {
    event.preventDefault();
    results[Math.min(index + 1, results.length - 1)]?.focus();
  } else if (event.key === "ArrowUp") {
    event.preventDefault();
    if (index <= 0) $("#search")?.focus();
    else results[index - 1].focus();
  } else if (event.key === "Enter" && event.target.id === "search") {
    event.preventDefault();
    results[0]?.click();
  }
}

// --- Tender ----------------------------------------------------------------------------------------
function tender() {
  const form = $("#tender-form");
  return form && { form, amount: form.elements.amount, reference: form.elements.reference, due: $("#tender .tender__due").textContent.trim() };
}

function syncMethod() {
  const t = tender();
  if (!t) return;
  const method = t.form.elements.method.value;
  const cash = method === "cash";
  t.form.querySelector(".tender__field--reference").hidden = cash || method === "points";
  t.form.querySelector(".quick-cash").classList.toggle("is-hidden", !cash);
  const label = t.form.querySelector(".tender__field--amount .tender__label");
  label.textContent = cash ? label.dataset.cashLabel : label.dataset.otherLabel;
}

function openTender(method) {
  const t = tender();
  if (!t || t.form.querySelector(".key--pay").disabled) return;
  t.form.querySelector(`input[name=method][value=${method}]`).checked = true;
  syncMethod();
  // Points: what the customer's points pay of what is due (the server worked it out: data-max).
  t.amount.value = method === "points" ? t.form.querySelector("input[name=method][value=points]").dataset.max : t.due;
  t.amount.dataset.fresh = "1";
  t.amount.focus();
  t.amount.select();
}

function pressKey(key) {
  const t = tender();
  if (!t) return;
  const fresh = t.amount.dataset.fresh === "1";
  delete t.amount.dataset.fresh;
  let value = fresh ? "" : t.amount.value;
  if (key === "clear") value = "";
  else if (key === "back") value = value.slice(0, -1);
  else if (key === "." && (value.includes(".") || value.includes(","))) return;
  else value += key === "." && !value ? "0." : key;
  t.amount.value = value;
}

function quickCash(amount) {
  const t = tender();
  t.form.querySelector("input[name=method][value=cash]").checked = true;
  syncMethod();
  t.amount.value = amount;
  t.form.requestSubmit();
}

// --- Global keys ------------------------------------------------------------------------------------
const SHORTCUTS = {
  F2: () => {
    $("#search")?.focus();
    $("#search")?.select();
  },
  F4: () => openTender("cash"),
  // The Return mode (returns.js): its own page, F6 there comes back.
  F6: () => window.location.assign(root.dataset.returnsUrl),
  F8: () => openTender("card"),
  F9: () => openTender("mobile"),
  F7: () => $("#shift-link")?.click(), // the shift page: cash in/out, no sale, X report, close
  F10: () => {
    if ($("#tender-form input[name=method][value=points]")) openTender("points");
  },
  // The loyalty customer: find by phone, card or name, or add one (F6 is the Return mode).
  F3: () => {
    const find = $("#customer .customer__find");
    if (!find || find.hidden) return; // a customer is on the sale already
    find.open = true;
    $("#customer-search")?.focus();
  },
};

function closeReceipt() {
  const receipt = $("#receipt");
  if (receipt && !receipt.hidden) {
    receipt.hidden = true;
    document.dispatchEvent(new CustomEvent("pos:receipt-closed"));
  }
}

function onKeydown(event) {
  // The supervisor's PIN modal has the keyboard (it closes itself on Esc).
  if (approvalModalOpen()) return;
  if (SHORTCUTS[event.key] && !event.ctrlKey && !event.altKey && !event.metaKey) {
    event.preventDefault();
    SHORTCUTS[event.key]();
    return;
  }
  if (event.key === "Escape") {
    event.preventDefault();
    clearSearch();
    closeReceipt();
    focusScan();
    return;
  }
  if (event.ctrlKey && event.key === "Enter") {
    event.preventDefault();
    $("#complete-form")?.requestSubmit();
    return;
  }
  if (event.ctrlKey && event.key === "Delete") {
    event.preventDefault();
    $("#cancel-form")?.requestSubmit();
    return;
  }
  if (event.target.closest?.("#search, #search-results")) {
    searchKeys(event);
    return;
  }
  // A scanner (or a cashier) typing while nothing is focused: the keystrokes belong to the scan field.
  if (!isField(document.activeElement) && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
    focusScan();
  }
}

// --- Wiring ---------------------------------------------------------------------------------------
function showMessage(text) {
  const message = $("#message");
  message.textContent = text;
  message.className = "message message--error";
}

// The cart is redrawn when a sale starts or a line is edited; a scan swaps only its row.
// Keep the cart's scroll position across a redraw, then show the line that changed.
let cartScroll = null;
function beforeSwap(event) {
  const target = event.detail.target;
  if (target?.id === "cart") cartScroll = $(".cart__lines")?.scrollTop ?? 0;
  if (target?.id === "cart-lines" || target?.classList?.contains("cart-line")) {
    for (const line of document.querySelectorAll(".cart-line.is-changed")) line.classList.remove("is-changed");
  }
}

// Fetch the whole sale as the server has it now, in turn with the scans (not while it is rung up here).
function refreshSale() {
  inOrder(() =>
    offlineRegister.local ? undefined : htmx.ajax("GET", root.dataset.checkoutUrl, { source: root, swap: "none" }),
  );
}

// An answer is about to replace the tender or the cart: a focused field in them would be replaced too,
// and htmx would focus its successor (#amount) until afterSwap moves on to the scan field — keys typed
// in between (the next scan, straight after Pay) would land in the amount. Go to the scan field now.
function beforeResponseSwap() {
  if (document.activeElement?.closest?.("#tender, #cart")) focusScan();
}

// A row-only answer assumes this page shows the cart's other rows: if it does not (the cart
// changed in another window), fetch the whole sale.
function checkCartLines() {
  const expected = $("#cart-actions .cart__line-total")?.textContent;
  if (expected !== undefined && document.querySelectorAll(".cart-line").length !== Number(expected)) refreshSale();
}

// The cashier is in the product search or the customer finder (F2, F3): a redraw leaves them there.
function typingElsewhere() {
  return Boolean(document.activeElement?.closest?.("#search, #search-results, #customer .customer__find:not([hidden])"));
}

function afterLocalRender() {
  syncMethod();
  $(".cart-line.is-changed")?.scrollIntoView({ block: "nearest" });
  if (!typingElsewhere()) focusScan();
}

// After the server answered: back to scanning, unless the cashier is in the search.
let afterSwapPending = false;
function afterSwap() {
  if (afterSwapPending || offlineRegister.local) return;
  afterSwapPending = true;
  // Run after htmx has finished all swaps and its own focus restoring.
  setTimeout(() => {
    afterSwapPending = false;
    syncMethod();
    const lines = $(".cart__lines");
    if (lines && cartScroll !== null) lines.scrollTop = cartScroll;
    cartScroll = null;
    $(".cart-line.is-changed")?.scrollIntoView({ block: "nearest" });
    checkCartLines();
    if (focusApprovalModal()) return;
    if (!typingElsewhere()) focusScan();
  }, 0);
}

function init() {
  if (!root || !htmx) return;
  // Process swapped-in forms in the same task as the swap: a fast Enter must never reach a form
  // htmx has not wired up yet (it would post natively and leave the page).
  htmx.config.defaultSettleDelay = 0;
  // Touch screens: no on-screen keyboard popping up for the scan field (the scanner is a keyboard).
  if (window.matchMedia("(pointer: coarse)").matches) scanInput().setAttribute("inputmode", "none");

  $("#scan-form").addEventListener("submit", submitScan);
  // Keys typed while the server answers a change to the sale wait for that answer (type-ahead.js).
  startTypeAhead(root, { keyboardElsewhere: approvalModalOpen });
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("click", (event) => {
    const key = event.target.closest("[data-key]");
    if (key) return pressKey(key.dataset.key);
    const cash = event.target.closest("[data-cash]");
    if (cash) return quickCash(cash.dataset.cash);
    if (event.target.closest("[data-close-receipt]")) {
      closeReceipt();
      focusScan();
    }
    if (!event.target.closest(".entry__search")) $("#search-results")?.replaceChildren();
  });
  // Keypad and quick-cash keys must not take the focus: Enter would then press them again.
  document.addEventListener("mousedown", (event) => {
    if (event.target.closest("[data-key], [data-cash]")) event.preventDefault();
  });
  document.addEventListener("change", (event) => {
    if (event.target.name !== "method") return;
    const t = tender();
    syncMethod();
    if (t.amount.dataset.fresh === "1" || !t.amount.value) {
      t.amount.value = t.due;
      t.amount.dataset.fresh = "1";
    }
    t.amount.focus();
    t.amount.select();
  });
  document.addEventListener("input", (event) => {
    if (event.target.id === "amount") delete event.target.dataset.fresh;
  });
  // Keep the scan field focused whenever focus would otherwise fall to the page.
  document.addEventListener("focusout", () => {
    setTimeout(() => {
      if (!document.activeElement || document.activeElement === document.body) focusScan();
    }, 0);
  });

  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt.closest?.(".search-result")) {
      clearSearch();
      focusScan();
    }
  });
  document.body.addEventListener("htmx:beforeSwap", beforeResponseSwap);
  document.body.addEventListener("htmx:oobBeforeSwap", beforeSwap);
  document.body.addEventListener("htmx:oobAfterSwap", afterSwap);
  document.body.addEventListener("htmx:responseError", (event) => {
    showMessage(`The server refused that (${event.detail.xhr.status}). Reload the page if it keeps happening.`);
  });
  // The price, tax or name of a product in the sale changed (checkout-live.js): the server reprices.
  document.addEventListener("pos:sale-outdated", refreshSale);
  document.addEventListener("pos:approval-closed", focusScan);
  // The sale was drawn in the browser (offline-register.js): as after a server answer, but at once.
  document.addEventListener("pos:rendered", afterLocalRender);
  // No answer from the server (htmx:sendError, htmx:timeout) or its health ping: offline mode.
  htmx.config.timeout = REQUEST_TIMEOUT_MS;
  offlineRegister.start(root);

  syncMethod();
  focusScan();
  root.dataset.ready = "true";
}

init();
