// The Return mode: receipt → lines → Refund, by keyboard. Enter finds the receipt; the first line's
// quantity then has the focus; Ctrl+Enter refunds; Esc goes back to the receipt field; F6 back to the sale.
const root = document.getElementById("returns");
const receipt = () => document.getElementById("receipt");

function focusReceipt() {
  receipt()?.focus();
  receipt()?.select();
}

function onKeydown(event) {
  if (event.key === "F6") {
    event.preventDefault();
    window.location.assign(root.dataset.checkoutUrl);
  } else if (event.key === "Escape") {
    event.preventDefault();
    focusReceipt();
  } else if (event.ctrlKey && event.key === "Enter") {
    event.preventDefault();
    const form = document.getElementById("refund-form");
    if (!form) return;
    // Never a native post of a form htmx has not wired up yet (it would leave the page).
    window.htmx?.process(form);
    form.requestSubmit();
  }
}

// Focus once htmx has settled the new lines (their form wired up), so the first key lands on a live form.
function afterSettle(event) {
  if (event.detail.target?.id !== "return-sale") return;
  const firstQuantity = document.querySelector("#refund-form .return-line__quantity:not([disabled])");
  if (firstQuantity) firstQuantity.focus();
  else focusReceipt();
}

if (root) {
  document.addEventListener("keydown", onKeydown);
  if (window.htmx) window.htmx.config.defaultSettleDelay = 0;
  document.body.addEventListener("htmx:afterSettle", afterSettle);
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
  root.dataset.ready = "true";
}
