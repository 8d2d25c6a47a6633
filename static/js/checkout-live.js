// What the checkout page shows from live updates: on hand and stock badges of the cart's lines and
// the search results, a notice when the price of a product in the cart changes, and whether the
// page is live. The feed (websocket, reconnecting, catching up) is live.js; the offline catalogue
// it keeps is catalog-store.js. When the sale needs repricing this module asks checkout.js for it
// with a `pos:sale-outdated` event: the server owns the sale.

import { openCatalogStore } from "./catalog-store.js";
import { startLiveUpdates } from "./live.js";

const root = document.getElementById("pos");

const STATUS_TEXT = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", off: "Not live" };
// As the sales `stock` template tag draws it; the threshold comes from the server (data-low-stock).
const BADGES = { out: "Out of stock", low: "Low stock", in: "" };

/** "48.000" → "48", "0.250" → "0.25": a quantity as the server's `number` filter writes it. */
export function plainNumber(text) {
  text = String(text);
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/** "1234.50" → "€1,234.50": an amount the server sent, written as its `money` filter does. */
export function formatMoney(amount, symbol = root.dataset.currencySymbol) {
  const negative = amount.startsWith("-");
  const [whole, fraction] = amount.replace(/^-/, "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "−" : ""}${symbol}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

function availability(onHand) {
  if (onHand <= 0) return "out";
  return onHand <= Number(root.dataset.lowStock) ? "low" : "in";
}

function showOnHand(element, onHand) {
  const level = availability(Number(onHand));
  const needed = element.dataset.needed;
  const short = needed !== "" && Number(onHand) < Number(needed);
  element.className = `stock stock--${level}${short ? " stock--short" : ""}`;
  element.querySelector(".stock__qty").textContent = plainNumber(onHand);
  element.querySelector(".stock__badge").textContent = BADGES[level];
}

function byProduct(selector, attribute) {
  const elements = new Map();
  for (const element of document.querySelectorAll(selector)) {
    const id = element.getAttribute(attribute);
    elements.set(id, [...(elements.get(id) ?? []), element]);
  }
  return elements;
}

// --- Products changed: redraw what shows them --------------------------------------------------
function showProducts(products) {
  // One pass over the page per batch, however many products it has (a delta can have thousands).
  const stock = byProduct("[data-stock-of]", "data-stock-of");
  // Lines of a sale rung up in the browser (data-offline) are charged at the price they were scanned at.
  const cartLines = byProduct(".cart-line[data-product]:not([data-offline])", "data-product");
  const results = byProduct(".search-result[data-product]", "data-product");
  let saleOutdated = false;
  for (const product of products) {
    const id = String(product.id);
    if (product.on_hand != null) for (const element of stock.get(id) ?? []) showOnHand(element, product.on_hand);
    for (const line of cartLines.get(id) ?? []) if (lineChanged(line, product)) saleOutdated = true;
    if (product.price !== undefined) {
      for (const result of results.get(id) ?? []) {
        result.querySelector(".search-result__price").textContent = formatMoney(product.price);
      }
    }
  }
  // The server prices the cart from the catalogue every time: fetch the sale as it is now.
  if (saleOutdated) document.dispatchEvent(new CustomEvent("pos:sale-outdated"));
}

// Whether a pushed change of a cart line's product changes the sale (price, tax, name).
function lineChanged(line, product) {
  const name = line.querySelector(".cart-line__name");
  let changed = false;
  if (product.price !== undefined && product.price !== line.dataset.price) {
    showPriceNotice(product.id, product.name ?? name.textContent, line.dataset.price, product.price);
    line.dataset.price = product.price; // the same change coming again is no news
    changed = true;
  }
  if (product.tax_rate !== undefined && plainNumber(product.tax_rate) !== line.dataset.taxRate) {
    line.dataset.taxRate = plainNumber(product.tax_rate);
    changed = true;
  }
  if (product.name !== undefined && product.name !== name.textContent) {
    name.textContent = product.name;
    changed = true;
  }
  return changed;
}

// --- Notices ------------------------------------------------------------------------------------
function showPriceNotice(productId, name, oldPrice, newPrice) {
  const notices = document.getElementById("live-notices");
  const notice = document.createElement("p");
  notice.className = "live-notice";
  notice.dataset.product = productId;
  const text = document.createElement("span");
  text.className = "live-notice__text";
  text.textContent = `Price of ${name} changed from ${formatMoney(oldPrice)} to ${formatMoney(newPrice)}; this sale charges the new price.`;
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.className = "icon-button icon-button--small";
  dismiss.dataset.dismissNotice = "";
  dismiss.setAttribute("aria-label", "Dismiss");
  dismiss.textContent = "×";
  notice.append(text, dismiss);
  notices.querySelector(`.live-notice[data-product="${productId}"]`)?.remove();
  notices.append(notice);
}

// A notice stays while its product is in the sale: gone with the line, or with the sale.
function dropStaleNotices() {
  for (const notice of document.querySelectorAll("#live-notices .live-notice")) {
    if (!document.querySelector(`.cart-line[data-product="${notice.dataset.product}"]`)) notice.remove();
  }
}

// The server redrew the sale at another price than the page showed: the change was not pushed while
// the page listened (e.g. it was selling offline, or caught up only now). Say so all the same.
let pricesBeforeSwap = null;

function rememberPricesShown() {
  pricesBeforeSwap = new Map();
  for (const line of document.querySelectorAll(".cart-line[data-product]")) {
    pricesBeforeSwap.set(line.dataset.product, {
      price: line.dataset.price,
      name: line.querySelector(".cart-line__name")?.textContent,
    });
  }
}

function noticeRepricedLines() {
  if (!pricesBeforeSwap) return;
  for (const line of document.querySelectorAll(".cart-line[data-product]:not([data-offline])")) {
    const before = pricesBeforeSwap.get(line.dataset.product);
    if (before && line.dataset.price && before.price !== line.dataset.price) {
      showPriceNotice(line.dataset.product, before.name, before.price, line.dataset.price);
      before.price = line.dataset.price;
    }
  }
}

function showStatus(state) {
  const status = document.getElementById("live-status");
  status.hidden = false;
  status.dataset.state = state;
  status.textContent = STATUS_TEXT[state];
}

async function init() {
  if (!root) return;
  root.addEventListener("live:products", (event) => showProducts(event.detail.products));
  root.addEventListener("live:status", (event) => showStatus(event.detail.state));
  document.body.addEventListener("htmx:beforeSwap", rememberPricesShown);
  document.body.addEventListener("htmx:oobAfterSwap", () => {
    dropStaleNotices();
    noticeRepricedLines();
  });
  document.addEventListener("click", (event) => {
    event.target.closest("[data-dismiss-notice]")?.closest(".live-notice")?.remove();
  });

  // One catalogue per store: it holds the store's prices and stock, whichever register shows them.
  const catalog = await openCatalogStore(`retailpos-catalog-store-${root.dataset.store}`).catch((error) => {
    console.warn("Live updates: no offline catalogue", error);
    return null;
  });
  startLiveUpdates({
    socketUrl: root.dataset.wsUrl || null,
    catalogUrl: root.dataset.catalogUrl,
    cursor: root.dataset.catalogCursor,
    catalog,
    target: root,
  });
}

init();
