// The shift page: the running total of a count by denomination, and Esc back to the register.
// Money is added in minor units with BigInt (never floats), as the server does with Decimal.

function minorUnits(text, decimals) {
  const [whole, fraction = ""] = text.split(".");
  return BigInt(whole + fraction.padEnd(decimals, "0").slice(0, decimals));
}

function formatMinor(units, decimals) {
  if (!decimals) return units.toString();
  const digits = units.toString().padStart(decimals + 1, "0");
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

export function countTotal(counts) {
  // counts: [[denomination text, pieces text], ...] -> the total as text, e.g. "42.50"
  const decimals = Math.max(0, ...counts.map(([key]) => (key.split(".")[1] || "").length));
  let total = 0n;
  for (const [key, pieces] of counts) {
    const count = /^\d+$/.test(pieces.trim()) ? BigInt(pieces.trim()) : 0n;
    total += minorUnits(key, decimals) * count;
  }
  return formatMinor(total, decimals);
}

function updateTotal(fieldset) {
  const inputs = [...fieldset.querySelectorAll("input[data-denomination]")];
  const output = fieldset.querySelector("[data-count-total]");
  if (output) output.textContent = countTotal(inputs.map((input) => [input.dataset.denomination, input.value]));
}

function wire(root) {
  for (const fieldset of root.querySelectorAll(".denominations")) updateTotal(fieldset);
  root.querySelector("[autofocus]")?.focus();
}

if (typeof document !== "undefined") {
  document.addEventListener("input", (event) => {
    const fieldset = event.target.closest?.(".denominations");
    if (fieldset) updateTotal(fieldset);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") document.querySelector("[data-back]")?.click();
  });
  document.addEventListener("htmx:afterSwap", (event) => wire(event.target));
  wire(document);
}
