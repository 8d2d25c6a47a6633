// What the checkout page shows of a sale rung up in the browser (offline-register.js): the same
// elements, ids and classes as the server's fragments (templates/sales/partials/), so checkout.js's
// keys, keypad and focus rules work unchanged. Forms carry `data-offline-form` instead of hx-post:
// offline-register.js handles their submits. Text always goes in as text, never as HTML.

import { PAYMENT_LABELS, formatMoney, plainNumber } from "./local-cart.js";
import { decimal, quantizeMoney } from "./pricing.js";

/** Element `tag` with attributes (`class`, `text`, `dataset`, anything else as is) and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name === "dataset") {
      for (const [key, item] of Object.entries(value))
        if (item !== null && item !== undefined) element.dataset[key] = item;
    } else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const kbd = (text) => h("kbd", { text });
const plural = (count) => (plainNumber(count) === "1" ? "" : "s");

/** Page settings the view needs: {currency, symbol, pricesIncludeTax, lowStock, timeZone}. */
function money(amount, page) {
  return formatMoney(amount, page.currency, page.symbol);
}

// --- Stock, as the `stock` template tag draws it (checkout-live.js redraws it from pushes) ----------
function stockBadge(productId, onHand, page, needed = null) {
  if (onHand === null || onHand === undefined) return h("span", { class: "stock stock--unknown" }, "On hand ?");
  const value = Number(onHand);
  const level = value <= 0 ? "out" : value <= page.lowStock ? "low" : "in";
  const short = needed !== null && value < Number(needed);
  return h(
    "span",
    {
      class: `stock stock--${level}${short ? " stock--short" : ""}`,
      dataset: { stockOf: productId, needed: needed === null ? "" : plainNumber(needed) },
    },
    "On hand ",
    h("span", { class: "stock__qty", text: plainNumber(onHand) }),
    " ",
    h("span", { class: "stock__badge", text: { out: "Out of stock", low: "Low stock", in: "" }[level] }),
  );
}

// --- Cart (partials/cart.html, cart-line.html, cart-actions.html) ---------------------------------
export function renderCart(cart, page, { changedProduct = null } = {}) {
  const element = document.getElementById("cart");
  element.dataset.saleId = cart.id;
  element.dataset.offline = "";
  const totals = cart.totals;
  let lines;
  if (cart.lines.length) {
    lines = h(
      "table",
      { class: "cart-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col", text: "Item" }),
          h("th", { scope: "col", class: "num", text: "Qty" }),
          h("th", { scope: "col", class: "num", text: "Price" }),
          h("th", { scope: "col", class: "num", text: "Disc. %" }),
          h("th", { scope: "col", class: "num", text: "Amount" }),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden", text: "Remove" })),
        ),
      ),
      h(
        "tbody",
        { id: "cart-lines" },
        cart.lines.map((line, index) =>
          cartLine(cart, line, totals.lines[index], page, line.product.id === changedProduct),
        ),
      ),
    );
  } else {
    lines = h(
      "div",
      { class: "cart__empty" },
      h("p", { class: "cart__empty-title", text: "Ready for the next customer" }),
      h("p", {}, "Scan an item or press ", kbd("F2"), " to search."),
    );
  }
  element.replaceChildren(h("div", { class: "cart__lines" }, lines), cartActions(cart));
}

function cartLine(cart, line, priced, page, changed) {
  const { product } = line;
  const step = (delta) => decimal.format(decimal.add(decimal.parse(priced.quantity), decimal.parse(delta)));
  const up = plainNumber(step("1"));
  const down = plainNumber(step("-1"));
  const quantityForm = (value, label, text, disabled = false) =>
    h(
      "form",
      { dataset: { offlineForm: "quantity", product: product.id } },
      h("input", { type: "hidden", name: "quantity", value }),
      h("button", { class: "stepper__btn", "aria-label": label, disabled }, text),
    );
  return h(
    "tr",
    {
      class: `cart-line${changed ? " is-changed" : ""}`,
      id: `cart-line-p${product.id}`,
      // data-offline: a sale changed here is charged as shown, so checkout-live.js leaves its prices
      // alone; until then the sale is the server's, and a price pushed meanwhile applies to it.
      dataset: {
        offline: cart.dirty ? "" : null,
        product: product.id,
        sku: product.sku,
        price: quantizeMoney(line.unit_price, page.currency),
        taxRate: plainNumber(product.tax_rate),
        taxCode: product.tax_code,
        quantity: plainNumber(priced.quantity),
        discount: plainNumber(priced.discount_percent),
      },
    },
    h(
      "td",
      { class: "cart-line__item" },
      h("span", { class: "cart-line__name", text: product.name }),
      h(
        "span",
        { class: "cart-line__meta" },
        `${product.sku} · `,
        stockBadge(product.id, product.on_hand, page, priced.quantity),
      ),
    ),
    h(
      "td",
      { class: "cart-line__qty" },
      h(
        "div",
        { class: "stepper" },
        quantityForm(down, `One less ${product.name}`, "−", down.startsWith("-") || !/[1-9]/.test(down)),
        h(
          "form",
          { dataset: { offlineForm: "quantity", product: product.id } },
          h("input", {
            class: "stepper__input",
            name: "quantity",
            value: plainNumber(priced.quantity),
            inputmode: "decimal",
            "aria-label": `Quantity of ${product.name}`,
            autocomplete: "off",
            size: 4,
          }),
        ),
        quantityForm(up, `One more ${product.name}`, "+"),
      ),
    ),
    h("td", { class: "num", text: money(priced.unit_price, page) }),
    h(
      "td",
      { class: "num" },
      h(
        "form",
        { dataset: { offlineForm: "discount", product: product.id } },
        h("input", {
          class: "discount-input",
          name: "discount_percent",
          value: plainNumber(priced.discount_percent),
          inputmode: "decimal",
          "aria-label": `Discount % on ${product.name}`,
          autocomplete: "off",
          size: 3,
        }),
      ),
    ),
    h(
      "td",
      { class: "num cart-line__amount" },
      money(priced.amount, page),
      Number(priced.discount_amount) !== 0 &&
        h("span", { class: "cart-line__saved", text: `−${money(priced.discount_amount, page)}` }),
    ),
    h(
      "td",
      { class: "cart-line__remove" },
      h(
        "form",
        { dataset: { offlineForm: "remove", product: product.id } },
        h("button", { class: "icon-button", "aria-label": `Remove ${product.name}`, title: "Remove" }, "×"),
      ),
    ),
  );
}

function cartActions(cart) {
  const count = cart.lines.length;
  const items = cart.itemCount;
  return h(
    "div",
    { id: "cart-actions", class: "cart__actions" },
    h("span", { class: "cart__line-total", hidden: true, text: String(count) }),
    h("span", {
      class: "cart__count",
      text: `${count} line${count === 1 ? "" : "s"} · ${plainNumber(items)} item${plural(items)}`,
    }),
    h(
      "form",
      { id: "cancel-form", dataset: { offlineForm: "cancel" } },
      h(
        "button",
        { class: "key key--danger", disabled: !count && !cart.payments.length },
        "Cancel sale ",
        kbd("Ctrl Del"),
      ),
    ),
    h(
      "form",
      { id: "complete-form", dataset: { offlineForm: "complete" } },
      h("button", { class: "key key--complete", disabled: !count }, "Complete ", kbd("Ctrl ↵")),
    ),
  );
}

// --- Totals (partials/totals.html) ---------------------------------------------------------------
export function renderTotals(cart, page) {
  const totals = cart.totals;
  const settlement = cart.settlement;
  const rows = [];
  if (Number(totals.discount_total) !== 0) {
    rows.push(row("Before discount", money(sumMoney(totals.subtotal, totals.discount_total, page), page)));
    rows.push(row("Discount", `−${money(totals.discount_total, page)}`, "totals__row--discount"));
  }
  if (!page.pricesIncludeTax) rows.push(row("Subtotal (net)", money(totals.subtotal, page)));
  for (const tax of totals.taxes) {
    rows.push(
      row(
        `${page.pricesIncludeTax ? "incl. " : ""}VAT ${plainNumber(tax.rate)} %`,
        money(tax.tax, page),
        "totals__row--tax",
      ),
    );
  }
  const element = h(
    "div",
    { id: "totals", class: "totals", dataset: { offline: "" } },
    h("dl", { class: "totals__rows" }, rows),
    h(
      "div",
      { class: "totals__total" },
      h("span", { class: "totals__total-label", text: "Total" }),
      h("output", {
        class: "totals__total-amount",
        id: "total-amount",
        dataset: { amount: quantizeMoney(totals.total, page.currency) },
        text: money(totals.total, page),
      }),
    ),
  );
  if (cart.payments.length) {
    element.append(
      h(
        "ul",
        { class: "payments" },
        cart.payments.map((payment, index) =>
          h(
            "li",
            {
              class: "payments__item",
              dataset: { method: payment.method, amount: payment.amount, reference: payment.reference },
            },
            h(
              "span",
              { class: "payments__method" },
              PAYMENT_LABELS[payment.method],
              payment.reference && " ",
              payment.reference && h("small", { text: payment.reference }),
            ),
            h("span", { class: "payments__amount", text: money(payment.amount, page) }),
            h(
              "form",
              { dataset: { offlineForm: "remove-payment", index } },
              h(
                "button",
                {
                  class: "icon-button icon-button--small",
                  "aria-label": `Remove ${PAYMENT_LABELS[payment.method]} payment of ${money(payment.amount, page)}`,
                },
                "×",
              ),
            ),
          ),
        ),
      ),
      h(
        "div",
        { class: "totals__row totals__row--paid" },
        h("span", { text: "Paid" }),
        h("span", { text: money(settlement.paid, page) }),
      ),
      h(
        "div",
        { class: "totals__row totals__row--due" },
        h("span", { text: "Remaining due" }),
        h("strong", { id: "remaining-due", text: money(settlement.remaining, page) }),
      ),
    );
  }
  document.getElementById("totals").replaceWith(element);
}

function row(label, value, modifier = "") {
  return h("div", { class: `totals__row ${modifier}`.trim() }, h("dt", { text: label }), h("dd", { text: value }));
}

function sumMoney(a, b, page) {
  // Both are amounts of the currency: adding their minor units exactly, as integers.
  const places = quantizeMoney("0", page.currency).split(".")[1]?.length ?? 0;
  const units = (text) => BigInt(quantizeMoney(text, page.currency).replace(".", ""));
  const total = (units(a) + units(b)).toString().padStart(places + 1, "0");
  return places ? `${total.slice(0, -places)}.${total.slice(-places)}` : total;
}

// --- Tender (partials/tender.html) ---------------------------------------------------------------
/**
 * `points`: what the sale's customer may still redeem offline (the store's cap, the balance as last
 * synced), `{points, value}`, or null: no Points method then.
 */
export function renderTender(cart, page, { points = null } = {}) {
  const due = quantizeMoney(cart.settlement.remaining, page.currency);
  const empty = !cart.lines.length;
  const method = (value, label, key, checked = false, extra = null, dataset = {}) =>
    h(
      "label",
      { class: "method" },
      h("input", { type: "radio", name: "method", value, checked, dataset }),
      h("span", {}, `${label} `, kbd(key), ...(extra ? [" ", extra] : [])),
    );
  const keypad = [..."789456123", "0", "00", "."].map((key) =>
    h("button", { type: "button", class: "keypad__key", dataset: { key }, tabindex: -1, text: key }),
  );
  const element = h(
    "div",
    { id: "tender", class: "tender", dataset: { offline: "" } },
    h("span", { class: "tender__due", hidden: true, text: due }),
    h(
      "form",
      { id: "tender-form", class: "tender__form", autocomplete: "off", dataset: { offlineForm: "tender" } },
      h(
        "fieldset",
        { class: "methods" },
        h("legend", { class: "visually-hidden", text: "Payment method" }),
        method("cash", "Cash", "F4", true),
        method("card", "Card", "F8"),
        method("mobile", "Mobile / QR", "F9"),
        ...(points
          ? [
              method(
                "points",
                "Points",
                "F10",
                false,
                h("small", { text: `${points.points} = ${money(points.value, page)}` }),
                { max: points.value },
              ),
            ]
          : []),
      ),
      h(
        "div",
        { class: "tender__fields" },
        h(
          "label",
          { class: "tender__field tender__field--amount" },
          h("span", {
            class: "tender__label",
            dataset: { cashLabel: "Amount given", otherLabel: "Amount" },
            text: "Amount given",
          }),
          h("input", {
            id: "amount",
            name: "amount",
            inputmode: "decimal",
            value: due,
            maxlength: 14,
            dataset: { fresh: "1" },
          }),
        ),
        h(
          "label",
          { class: "tender__field tender__field--reference", hidden: true },
          h("span", { class: "tender__label", text: "Reference" }),
          h("input", { id: "reference", name: "reference", maxlength: 100, placeholder: "Terminal / transaction no." }),
        ),
      ),
      h(
        "div",
        { class: "tender__pad" },
        h(
          "div",
          { class: "keypad", role: "group", "aria-label": "Keypad" },
          keypad,
          h("button", {
            type: "button",
            class: "keypad__key keypad__key--muted",
            dataset: { key: "clear" },
            tabindex: -1,
            text: "C",
          }),
          h("button", {
            type: "button",
            class: "keypad__key keypad__key--muted",
            dataset: { key: "back" },
            tabindex: -1,
            "aria-label": "Backspace",
            text: "⌫",
          }),
        ),
        h(
          "div",
          { class: "quick-cash", role: "group", "aria-label": "Quick cash" },
          h(
            "button",
            {
              type: "button",
              class: "quick-cash__key quick-cash__key--exact",
              dataset: { cash: due },
              tabindex: -1,
              disabled: empty,
            },
            "Exact",
            h("small", { text: money(due, page) }),
          ),
          cart.quickCash.map((note) =>
            h("button", {
              type: "button",
              class: "quick-cash__key",
              dataset: { cash: quantizeMoney(note, page.currency) },
              tabindex: -1,
              disabled: empty,
              text: money(note, page).replace(/\.0+$/, ""),
            }),
          ),
        ),
      ),
      h("button", { type: "submit", class: "key key--pay", disabled: empty }, "Pay ", kbd("↵")),
    ),
  );
  document.getElementById("tender").replaceWith(element);
}

// --- Receipt (partials/receipt.html, receipt-paper.html), from the receipt document -------------
export function renderReceipt(receipt, page) {
  const paperMoney = (amount) => formatMoney(amount, receipt.currency, page.symbol);
  const created = formatTime(receipt.created_at, page.timeZone);
  const paper = h(
    "article",
    { id: "receipt-paper", class: "paper" },
    h(
      "header",
      { class: "paper__head" },
      h("h1", { class: "paper__store", text: receipt.store.name }),
      receipt.store.address && h("p", { class: "paper__address", text: receipt.store.address }),
      h(
        "p",
        { class: "paper__meta" },
        "Receipt ",
        h("strong", { dataset: { receiptNumber: "" }, text: receipt.receipt_number }),
        h("br"),
        `${created} · ${receipt.register.name} · ${receipt.cashier}`,
      ),
    ),
    h(
      "table",
      { class: "paper__lines" },
      h(
        "tbody",
        {},
        receipt.lines.map((line) =>
          h(
            "tr",
            {},
            h(
              "td",
              { class: "paper__item" },
              line.name,
              h("br"),
              h("small", {
                text: `${line.quantity} × ${paperMoney(line.unit_price)}${Number(line.discount_amount) !== 0 ? ` · −${line.discount_percent} %` : ""}`,
              }),
            ),
            h("td", { class: "num", text: paperMoney(line.amount) }),
          ),
        ),
      ),
    ),
    h(
      "table",
      { class: "paper__totals" },
      h(
        "tbody",
        {},
        Number(receipt.discount_total) !== 0 && paperRow("Discount", `−${paperMoney(receipt.discount_total)}`),
        !receipt.prices_include_tax && paperRow("Subtotal", paperMoney(receipt.subtotal)),
        !receipt.prices_include_tax && receipt.taxes.map((tax) => paperRow(`VAT ${tax.rate} %`, paperMoney(tax.tax))),
        paperRow("TOTAL", paperMoney(receipt.total), "paper__total"),
        receipt.payments.map((payment) =>
          paperRow(payment.label + (payment.reference ? ` ${payment.reference}` : ""), paperMoney(payment.amount)),
        ),
        paperRow("CHANGE", paperMoney(receipt.change), "paper__change"),
      ),
    ),
    h(
      "table",
      { class: "paper__taxes" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { text: "VAT" }),
          h("th", { class: "num", text: "Net" }),
          h("th", { class: "num", text: "Tax" }),
          h("th", { class: "num", text: "Gross" }),
        ),
      ),
      h(
        "tbody",
        {},
        receipt.taxes.map((tax) =>
          h(
            "tr",
            {},
            h("td", { text: `${receipt.prices_include_tax ? "incl. " : ""}${tax.rate} %` }),
            h("td", { class: "num", text: paperMoney(tax.net) }),
            h("td", { class: "num", text: paperMoney(tax.tax) }),
            h("td", { class: "num", text: paperMoney(sumMoney(tax.net, tax.tax, page)) }),
          ),
        ),
      ),
    ),
    h("p", { class: "paper__offline", text: "Rung up offline" }),
    h("p", { class: "paper__thanks", text: "Thank you for your purchase!" }),
  );
  const element = h(
    "div",
    {
      id: "receipt",
      class: "receipt-panel",
      role: "dialog",
      "aria-labelledby": "receipt-title",
      dataset: { offline: "" },
    },
    h(
      "div",
      { class: "receipt-panel__head" },
      h("h2", { id: "receipt-title", text: "Sale complete" }),
      h(
        "p",
        { class: "receipt-panel__number" },
        "Receipt ",
        h("strong", { dataset: { receiptNumber: "" }, text: receipt.receipt_number }),
      ),
    ),
    h("p", {
      class: "receipt-panel__queued",
      text: "Rung up offline: kept on this register and sent when the server is back.",
    }),
    h(
      "div",
      { class: "receipt-panel__change" },
      h("span", { text: "Change due" }),
      h("strong", { class: "receipt-panel__change-amount", id: "change-due", text: paperMoney(receipt.change) }),
    ),
    paper,
    h(
      "div",
      { class: "receipt-panel__actions" },
      h("button", { type: "button", class: "key", dataset: { printReceipt: "" }, text: "Print receipt" }),
      h("button", { type: "button", class: "key", dataset: { closeReceipt: "" } }, "New sale ", kbd("Esc")),
    ),
    h("p", { class: "receipt-panel__hint", text: "Scan the next item to start a new sale." }),
  );
  document.getElementById("receipt").replaceWith(element);
}

function paperRow(label, value, rowClass = null) {
  return h("tr", { class: rowClass }, h("td", { text: label }), h("td", { class: "num", text: value }));
}

/** "2026-11-21T10:00:00.000Z" → "2026-11-21 11:00" in the store's time zone. */
export function formatTime(iso, timeZone) {
  const options = {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  };
  let parts;
  try {
    parts = new Intl.DateTimeFormat("en-CA", { ...options, timeZone }).formatToParts(new Date(iso));
  } catch {
    parts = new Intl.DateTimeFormat("en-CA", options).formatToParts(new Date(iso)); // unknown zone: the register's
  }
  const part = Object.fromEntries(parts.map(({ type, value }) => [type, value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
}

// --- Search results (partials/search-results.html) -----------------------------------------------
export function renderSearchResults(query, products, page) {
  const element = h(
    "div",
    {
      id: "search-results",
      class: "search-results",
      role: "listbox",
      "aria-label": "Search results",
      dataset: { offline: "" },
    },
    query &&
      (products.length
        ? products.map((product) =>
            h(
              "button",
              {
                type: "button",
                class: "search-result",
                role: "option",
                dataset: { product: product.id, offlineAdd: "" },
              },
              h("span", { class: "search-result__name", text: product.name }),
              h("span", {
                class: "search-result__meta",
                text: product.barcode ? `${product.sku} · ${product.barcode}` : product.sku,
              }),
              h("span", { class: "search-result__price", text: money(product.price, page) }),
              h("span", { class: "search-result__stock" }, stockBadge(product.id, product.on_hand, page)),
            ),
          )
        : h("p", { class: "search-results__empty", text: `No products match “${query}”.` })),
  );
  document.getElementById("search-results").replaceWith(element);
}

// --- Message (partials/message.html) -------------------------------------------------------------
export function showMessage(text, kind = "error") {
  const element = document.getElementById("message");
  element.textContent = text ?? "";
  element.className = text ? `message message--${kind}` : "message";
}

// --- Status: connection, queue, sync problems ----------------------------------------------------

/**
 * What the header says about the outbox: `{count, oldestQueuedAt}` (outbox.status()) at `now` →
 * `{text, state}`, state "empty", "queued" or "overdue" (the oldest waits `warnHours` or longer).
 */
export function describeQueue({ count, customers = 0, oldestQueuedAt }, { now = Date.now(), warnHours = 12 } = {}) {
  if (!count) return { text: "No sales queued", state: "empty", age: null };
  const age = Math.max(0, now - Date.parse(oldestQueuedAt));
  const overdue = age >= warnHours * 3_600_000;
  const sales = count - customers;
  const what = [
    sales ? `${sales} sale${sales === 1 ? "" : "s"}` : "",
    customers ? `${customers} new customer${customers === 1 ? "" : "s"}` : "",
  ]
    .filter(Boolean)
    .join(" and ");
  const text = `${what} queued · oldest ${formatAge(age)}`;
  return {
    text: overdue ? `${text} — not sent for over ${plainNumber(String(warnHours))} h: get the register online` : text,
    state: overdue ? "overdue" : "queued",
    age,
  };
}

/** 42_000 → "<1 min", 300_000 → "5 min", 7_500_000 → "2 h 5 min", 97_200_000 → "1 d 3 h". */
export function formatAge(milliseconds) {
  const minutes = Math.floor(milliseconds / 60_000);
  if (minutes < 1) return "<1 min";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Online or not; `finishing`: a sale changed in the browser is still open (it is finished there). */
export function renderConnection({ reachable, finishing }) {
  const connection = document.getElementById("connection");
  connection.dataset.state = reachable ? "online" : "offline";
  connection.textContent = reachable
    ? finishing
      ? "Online · finishing this sale here"
      : "Online"
    : "Offline — selling from this register";
}

export function renderStatus({ queue, problems, warnHours, persisted, lastError }) {
  const described = describeQueue(queue, { warnHours });
  const status = document.getElementById("outbox-status");
  status.hidden = false;
  status.dataset.state = described.state;
  status.dataset.count = String(queue.count);
  status.textContent = described.text;
  status.title = [
    queue.count ? "Sales rung up (and customers added) offline, kept on this register until the server has them." : "",
    persisted === false ? "The browser has not granted persistent storage: do not clear this site's data." : "",
    queue.count && lastError ? `Last attempt: ${lastError}` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const button = document.getElementById("sync-problems-button");
  button.hidden = !problems;
  button.dataset.count = String(problems);
  button.textContent = `Sync problems (${problems})`;
}

/** The list of sales and new customers the server refused (outbox problems), with what it answered. */
export function renderProblems(problems, page) {
  const list = document.getElementById("sync-problems-list");
  list.replaceChildren(
    ...problems.map((problem) => {
      if (problem.customer) return customerProblem(problem, page);
      const paid = problem.sale.payments.reduce((sum, payment) => sumMoney(sum, payment.amount, page), "0");
      return h(
        "li",
        { class: "sync-problem", dataset: { saleId: problem.sale.id } },
        h("strong", { class: "sync-problem__number", text: problem.sale.offline_receipt_number ?? problem.sale.id }),
        h(
          "span",
          { class: "sync-problem__meta" },
          `rung up ${formatTime(problem.sale.created_at, page.timeZone)} · ${problem.sale.lines.length} line${problem.sale.lines.length === 1 ? "" : "s"} · paid ${money(paid, page)} · refused ${formatTime(problem.refused_at, page.timeZone)} (HTTP ${problem.status})`,
        ),
        h("span", { class: "sync-problem__answer", text: answerText(problem.answer) }),
      );
    }),
  );
}

// A customer added offline that the server refused, or resolved to the owner of their phone.
function customerProblem(problem, page) {
  const { customer, resolved_to: existing } = problem;
  return h(
    "li",
    { class: "sync-problem", dataset: { customerId: customer.id } },
    h("strong", { class: "sync-problem__number", text: `New customer ${customer.name}` }),
    h(
      "span",
      { class: "sync-problem__meta" },
      `${customer.phone || "no phone"} · added offline ${formatTime(problem.queued_at, page.timeZone)} · ` +
        `answered ${formatTime(problem.refused_at, page.timeZone)} (HTTP ${problem.status})`,
    ),
    h("span", {
      class: "sync-problem__answer",
      text: existing ? customerResolvedText(customer, existing) : answerText(problem.answer),
    }),
  );
}

/** What the cashier is told when a customer added offline had the phone of one on the server. */
export function customerResolvedText(customer, existing) {
  return (
    `Phone ${existing.phone} was already ${existing.name}'s (card ${existing.card_number}): ` +
    `not added again; the sales for ${customer.name} are booked for ${existing.name}.`
  );
}

/** A DRF error body ({"lines": {"0": {"sku": ["…"]}}}) as one line of text. */
export function answerText(answer) {
  if (answer === null || answer === undefined) return "";
  if (typeof answer === "string") return answer.slice(0, 300);
  const messages = [];
  const walk = (value, path) => {
    if (Array.isArray(value)) value.forEach((item) => walk(item, path));
    else if (value && typeof value === "object")
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
    else messages.push(path.length ? `${path.join(".")}: ${value}` : String(value));
  };
  walk(answer, []);
  return messages.join("; ");
}

/** The sync problems as CSV (one row per refused sale) for a spreadsheet. */
export function problemsCsv(problems) {
  const header = [
    "offline_receipt_number",
    "sale_id",
    "register",
    "created_at",
    "queued_at",
    "refused_at",
    "status",
    "answer",
    "lines",
    "payments",
    "customer",
  ];
  const cell = (value) => {
    const text = String(value ?? "");
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const rows = problems.map((problem) => (problem.customer ? customerProblemRow(problem) : saleProblemRow(problem)));
  return [header, ...rows].map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}

function customerProblemRow(problem) {
  const { customer, resolved_to: existing } = problem;
  return [
    "",
    "",
    "",
    "",
    problem.queued_at,
    problem.refused_at,
    problem.status,
    existing ? customerResolvedText(customer, existing) : answerText(problem.answer),
    "",
    "",
    `new: ${customer.name} ${customer.phone} (${customer.id})${existing ? ` → ${existing.id}` : ""}`,
  ];
}

function saleProblemRow(problem) {
  return [
    problem.sale.offline_receipt_number,
    problem.sale.id,
    problem.sale.register,
    problem.sale.created_at,
    problem.queued_at,
    problem.refused_at,
    problem.status,
    answerText(problem.answer),
    problem.sale.lines
      .map((line) => `${line.quantity} × ${line.sku} @ ${line.unit_price} −${line.discount_percent}%`)
      .join(" | "),
    problem.sale.payments
      .map((payment) => `${payment.method} ${payment.amount}${payment.reference ? ` (${payment.reference})` : ""}`)
      .join(" | "),
    problem.sale.customer ?? "",
  ];
}


/**
 * The sale's loyalty customer as the offline register knows them: name, card, balance as of the
 * copy; a customer added here and not yet synced says so. The finder (F3) hides meanwhile.
 */
export function showCustomer(customer, { syncedAt = null, timeZone } = {}) {
  const box = document.getElementById("customer");
  if (!box) return;
  const row = document.createElement("div");
  row.className = "customer__attached";
  row.dataset.customer = customer.id;
  if (customer.pending) row.dataset.pending = "";
  const name = Object.assign(document.createElement("span"), { className: "customer__name", textContent: customer.name });
  const meta = Object.assign(document.createElement("span"), {
    className: "customer__meta",
    textContent: customer.card_number ? `Card …${customer.card_number.slice(-4)}` : "New, not yet synced",
  });
  const asOf = syncedAt && !customer.pending
    ? ` (as of ${new Date(syncedAt).toLocaleString(undefined, { timeZone, dateStyle: "short", timeStyle: "short" })})`
    : "";
  const points = Object.assign(document.createElement("span"), {
    className: "customer__points",
    textContent: `${customer.points_balance} points${asOf}`,
  });
  points.dataset.pointsBalance = customer.points_balance;
  const remove = h(
    "form",
    { dataset: { offlineForm: "detach-customer" } },
    h("button", { class: "icon-button icon-button--small", "aria-label": "Remove the customer from the sale", text: "×" }),
  );
  row.append(name, meta, points, remove);
  box.querySelector(".customer__attached")?.remove();
  box.prepend(row);
  const find = box.querySelector(".customer__find");
  if (find) {
    find.hidden = true;
    find.open = false;
  }
}

/** No customer on the sale rung up here (a new sale after one with a customer): the finder is back. */
export function clearCustomer() {
  document.querySelector("#customer .customer__attached")?.remove();
  const find = document.querySelector("#customer .customer__find");
  if (find) find.hidden = false;
}

/** Customers found in the register's copy, drawn as the server draws them (customer-results.html). */
export function renderCustomerResults(query, customers) {
  const list = document.getElementById("customer-results");
  if (!list) return;
  if (!query) {
    list.replaceChildren();
    return;
  }
  if (!customers.length) {
    list.replaceChildren(h("p", { class: "search-results__empty", text: `No customer matches “${query}” on this register.` }));
    return;
  }
  list.replaceChildren(
    ...customers.map((customer) =>
      h(
        "button",
        { type: "button", class: "search-result", role: "option", dataset: { customer: customer.id } },
        h("span", { class: "search-result__name", text: customer.name }),
        h("span", {
          class: "search-result__meta",
          text: `${customer.phone} · ${customer.card_number ? `card ${customer.card_number}` : "new, not yet synced"}`,
        }),
      ),
    ),
  );
}
