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
    document.getElementById("refund-form")?.requestSubmit();
  }
}

function afterSwap(event) {
  if (event.detail.target?.id !== "return-sale") return;
  const firstQuantity = document.querySelector("#refund-form .return-line__quantity:not([disabled])");
  if (firstQuantity) firstQuantity.focus();
  else focusReceipt();
}

if (root) {
  document.addEventListener("keydown", onKeydown);
  document.body.addEventListener("htmx:afterSwap", afterSwap);
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
  root.dataset.ready = "true";
}
