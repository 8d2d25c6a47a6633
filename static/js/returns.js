// The Return mode: receipt → lines → Refund, by keyboard. Enter finds the receipt; the first line's
// quantity then has the focus; Ctrl+Enter refunds; Esc goes back to the receipt field; F6 back to the sale.
// Without a receipt (F7): Enter adds the product scanned or typed, Ctrl+Enter refunds in cash after the
// supervisor's PIN (the approval modal).
import { approvalModalOpen } from "./approval-modal.js";

const root = document.getElementById("returns");
const receipt = () => document.getElementById("receipt");
const noReceiptCode = () => document.getElementById("no-receipt-code");

function focusReceipt() {
  receipt()?.focus();
  receipt()?.select();
}

function submitRefund() {
  const withReceipt = document.getElementById("refund-form");
  const withoutReceipt = document.getElementById("no-receipt-form");
  const form = withReceipt || withoutReceipt;
  if (!form) return;
  // Never a native post of a form htmx has not wired up yet (it would leave the page).
  window.htmx?.process(form);
  if (withReceipt) form.requestSubmit();
  // A click, not requestSubmit(button): htmx takes the button's formaction from the button clicked.
  else document.getElementById("no-receipt-refund").click();
}

function onKeydown(event) {
  if (event.key === "F6") {
    event.preventDefault();
    window.location.assign(root.dataset.checkoutUrl);
  } else if (event.key === "F7") {
    event.preventDefault();
    document.getElementById("no-receipt-link")?.click();
  } else if (event.key === "Escape") {
    event.preventDefault();
    focusReceipt();
  } else if (event.ctrlKey && event.key === "Enter") {
    event.preventDefault();
    submitRefund();
  }
}

// The form's fields take the keys: the scan field of a return without receipt, else the first line's quantity.
function focusReturn() {
  if (approvalModalOpen()) return;
  if (noReceiptCode()) {
    noReceiptCode().focus();
    return;
  }
  const firstQuantity = document.querySelector("#refund-form .return-line__quantity:not([disabled])");
  if (firstQuantity) firstQuantity.focus();
  else focusReceipt();
}

// Focus once htmx has settled the new lines (their form wired up), so the first key lands on a live form.
function afterSettle(event) {
  if (event.detail.target?.id === "return-sale") focusReturn();
}

// The no-receipt form's answers come out of band (its post swaps nothing itself).
function afterOobSwap(event) {
  if (event.detail.target?.id === "return-sale" && noReceiptCode()) focusReturn();
}

if (root) {
  document.addEventListener("keydown", onKeydown);
  if (window.htmx) window.htmx.config.defaultSettleDelay = 0;
  document.body.addEventListener("htmx:afterSettle", afterSettle);
  document.body.addEventListener("htmx:oobAfterSwap", afterOobSwap);
  document.addEventListener("pos:approval-closed", () => noReceiptCode()?.focus());
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
  if (noReceiptCode()) noReceiptCode().focus();
  root.dataset.ready = "true";
}
