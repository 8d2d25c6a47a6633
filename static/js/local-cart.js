// The sale a register rings up by itself while the server is away: lines, tenders, totals and the
// receipt, by the server's rules. Pure (no DOM, no storage), so Node tests it as it tests
// pricing.js (tests/js/local-cart.test.mjs). Amounts, quantities and rates are decimal strings,
// never floats; the totals come from pricing.js, so they are what the server books, to the cent.
// Messages are the server's (sales/services.py, sales/forms.py) where it has one.

import { decimal, priceCart, quantizeMoney, settle } from "./pricing.js";

export const MAX_QUANTITY = "99999";
export const PAYMENT_LABELS = Object.freeze({ cash: "Cash", card: "Card", mobile: "Mobile / QR", points: "Points" });
const BANKNOTES = ["5", "10", "20", "50", "100", "200", "500"];
const RECEIPT_DOCUMENT_VERSION = 1; // sales/receipts.py
const FOOTER = "Thank you for shopping with us!";

const { parse, format, add, subtract, compare } = decimal;
const ZERO = parse("0");
const isZero = (text) => compare(parse(text), ZERO) === 0;

/** What the cashier is told when an action is refused; nothing was changed. */
export class SaleRefused extends Error {}

/** A new sale id: a UUID v4, as the server's `id` field wants it. */
export function newSaleId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A number as typed at the till ("1,5", " 2 ") → its decimal string, or null when it is not one.
 * Like the server's LocalDecimalField: a decimal comma is a point.
 */
export function readDecimal(text, { places }) {
  const value = String(text ?? "")
    .trim()
    .replace(",", ".");
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(value);
  if (!match || (!match[2] && !match[3])) return null;
  const [, sign, whole, rawFraction = ""] = match;
  const fraction = rawFraction.replace(/0+$/, ""); // "1.500" is 1.5: the API takes at most `places` decimals
  if (fraction.length > places) return { tooPrecise: true };
  return `${sign === "-" ? "-" : ""}${whole.replace(/^0+(?=\d)/, "") || "0"}${fraction ? `.${fraction}` : ""}`;
}

// 13–19 digits, optionally grouped by spaces or dashes, passing Luhn: sales/card_numbers.py.
const CARD_CANDIDATE = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;

export function containsCardNumber(text) {
  for (const match of String(text).matchAll(CARD_CANDIDATE)) {
    const digits = match[0].replace(/[ -]/g, "");
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return true;
  }
  return false;
}

function luhnValid(digits) {
  let total = 0;
  [...digits].reverse().forEach((char, position) => {
    let digit = Number(char);
    if (position % 2 === 1) digit = digit > 4 ? digit * 2 - 9 : digit * 2;
    total += digit;
  });
  return total % 10 === 0;
}

/** "2.000" → "2", "19.00" → "19", "0.250" → "0.25": the server's `number` filter. */
export function plainNumber(text) {
  text = String(text);
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/** "1234.5" → "€1,234.50", "-1" → "−€1.00": the server's `money` filter. */
export function formatMoney(amount, currency, symbol) {
  const text = quantizeMoney(String(amount), currency);
  const negative = text.startsWith("-") && /[1-9]/.test(text);
  const [whole, fraction] = text.replace(/^-/, "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "−" : ""}${symbol}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

/**
 * The sale being rung up on this register. `store`: {currency, pricesIncludeTax}. `seededFrom`: the id
 * of the server's open cart this sale took over (then `id` is that id too), or null for a sale started
 * here. `dirty`: changed since it was taken over.
 */
export class LocalCart {
  constructor(
    { id = newSaleId(), seededFrom = null, lines = [], payments = [], dirty = false, customer = null },
    store,
  ) {
    this.id = id;
    this.seededFrom = seededFrom;
    this.lines = lines; // [{product: {id, sku, name, barcode, tax_code, tax_rate, on_hand}, quantity, discount_percent, unit_price}]
    this.payments = payments; // [{method, amount, reference}]
    this.dirty = dirty;
    this.customer = customer; // the loyalty customer's id: the sale earns their points when it syncs
    this.store = store;
  }

  static fromJSON(data, store) {
    return new LocalCart(data, store);
  }

  toJSON() {
    const { id, seededFrom, lines, payments, dirty, customer } = this;
    return { id, seededFrom, lines, payments, dirty, customer };
  }

  get currency() {
    return this.store.currency;
  }

  /** One more of `product` (a catalogue product): a new line at its price now, or more on its line. */
  add(product) {
    if (!product.active) throw new SaleRefused(`${product.name} is not for sale (inactive).`);
    const line = this.line(product.id);
    if (line) {
      const quantity = format(add(parse(line.quantity), parse("1")));
      checkQuantity(quantity);
      line.quantity = quantity;
      if (product.on_hand != null) line.product.on_hand = product.on_hand;
    } else {
      const { id, sku, name, barcode = null, tax_code, tax_rate, on_hand = null } = product;
      const snapshot = { id: Number(id), sku, name, barcode, tax_code, tax_rate, on_hand };
      // The price the customer is charged is the one shown now: the receipt and the server get it.
      this.lines.push({ product: snapshot, quantity: "1", discount_percent: "0", unit_price: product.price });
    }
    this.dirty = true;
    return this.line(product.id);
  }

  line(productId) {
    return this.lines.find((line) => line.product.id === Number(productId)) ?? null;
  }

  #existingLine(productId) {
    const line = this.line(productId);
    if (!line) throw new SaleRefused("That line is no longer in the cart.");
    return line;
  }

  setQuantity(productId, typed) {
    const quantity = readDecimal(typed, { places: 3 });
    if (quantity === null) throw new SaleRefused("Enter a quantity.");
    if (quantity.tooPrecise) throw new SaleRefused("Ensure that there are no more than 3 decimal places.");
    checkQuantity(quantity);
    this.#existingLine(productId).quantity = quantity;
    this.dirty = true;
  }

  setDiscount(productId, typed) {
    const percent = readDecimal(typed, { places: 2 });
    if (percent === null) throw new SaleRefused("Enter a discount in percent.");
    if (percent.tooPrecise) throw new SaleRefused("Ensure that there are no more than 2 decimal places.");
    if (compare(parse(percent), ZERO) < 0 || compare(parse(percent), parse("100")) > 0) {
      throw new SaleRefused(`Discount must be between 0 and 100 %, got ${percent}.`);
    }
    this.#existingLine(productId).discount_percent = percent;
    this.dirty = true;
  }

  remove(productId) {
    const line = this.#existingLine(productId);
    this.lines.splice(this.lines.indexOf(line), 1);
    this.dirty = true;
  }

  /**
   * Take a tender: only cash can be more than is due (change); card, mobile and points pay at most
   * what is due. Points only as `{method: "points", offlineRedemptionChecked: true}`: the register has
   * checked them against the store's offline cap and the cached balance (loyalty.js).
   */
  addPayment({ method, amount: typed, reference = "", offlineRedemptionChecked = false }) {
    if (method === "points" && !offlineRedemptionChecked) {
      // The balance is locked on the server while it is spent: offline only within the store's cap.
      throw new SaleRefused("Points cannot be redeemed while the register is offline. Take another tender.");
    }
    if (!Object.hasOwn(PAYMENT_LABELS, method)) throw new SaleRefused(`Unknown payment method '${method}'.`);
    const amount = readDecimal(typed, { places: 3 });
    if (amount === null || amount.tooPrecise) throw new SaleRefused("Enter an amount.");
    if (compare(parse(amount), ZERO) <= 0) throw new SaleRefused("Amount must be greater than zero.");
    if (!sameValue(amount, this.currency)) {
      throw new SaleRefused(`${amount} has more decimals than ${this.currency} allows.`);
    }
    reference = String(reference).trim();
    if (containsCardNumber(reference)) {
      throw new SaleRefused(
        "That looks like a card number. Enter the terminal's approval or transaction reference " +
          "instead: card numbers are never stored.",
      );
    }
    if (!this.lines.length) throw new SaleRefused("Nothing to pay yet: scan an item first.");
    if (method !== "cash") {
      const due = parse(this.totals.total);
      const nonCash = this.payments
        .filter((p) => p.method !== "cash")
        .reduce((sum, p) => add(sum, parse(p.amount)), ZERO);
      if (compare(add(nonCash, parse(amount)), due) > 0) {
        throw new SaleRefused(
          `${PAYMENT_LABELS[method]} can pay at most the ${quantizeMoney(format(subtract(due, nonCash)), this.currency)} ` +
            `${this.currency} due; only cash can be given back as change.`,
        );
      }
    }
    this.payments.push({ method, amount: quantizeMoney(amount, this.currency), reference });
    this.dirty = true;
  }

  removePayment(index) {
    if (!this.payments[index]) throw new SaleRefused("That payment is no longer in the sale.");
    this.payments.splice(index, 1);
    this.dirty = true;
  }

  /** pricing.js totals: {lines, subtotal, discount_total, taxes, tax_total, total}. */
  get totals() {
    return priceCart({
      lines: this.lines.map((line) => ({
        quantity: line.quantity,
        unit_price: line.unit_price,
        tax_code: line.product.tax_code,
        tax_rate: line.product.tax_rate,
        discount_percent: line.discount_percent,
      })),
      currency: this.currency,
      pricesIncludeTax: this.store.pricesIncludeTax,
    });
  }

  /** {paid, remaining, change, non_cash_excess} */
  get settlement() {
    return settle(this.totals.total, this.payments);
  }

  get isPaid() {
    return this.lines.length > 0 && isZero(this.settlement.remaining);
  }

  get itemCount() {
    return format(this.lines.reduce((sum, line) => add(sum, parse(line.quantity)), ZERO));
  }

  /** The banknotes a customer is likely to hand over for what is due (sales/selectors.py). */
  get quickCash() {
    const remaining = parse(this.settlement.remaining);
    return BANKNOTES.filter((note) => compare(parse(note), remaining) > 0).slice(0, 4);
  }

  /** Why this sale cannot be completed yet, or null. */
  get notCompletable() {
    if (!this.lines.length) return "A sale needs at least one line.";
    const { remaining } = this.settlement;
    if (!isZero(remaining)) {
      const money = (amount) => `${quantizeMoney(amount, this.currency)} ${this.currency}`;
      return `Underpaid: ${money(remaining)} still due of ${money(this.totals.total)}.`;
    }
    return null;
  }

  /** The body of POST /api/v1/sales/ (the outbox adds offline_receipt_number): the prices charged. */
  salePayload({ register, createdAt }) {
    const payload = {
      id: this.id,
      register,
      lines: this.lines.map((line) => ({
        sku: line.product.sku,
        quantity: line.quantity,
        discount_percent: line.discount_percent,
        unit_price: line.unit_price,
      })),
      payments: this.payments.map(({ method, amount, reference }) => ({ method, amount, reference })),
      created_at: createdAt,
    };
    if (this.customer) payload.customer = this.customer;
    return payload;
  }
}

function checkQuantity(quantity) {
  if (compare(parse(quantity), ZERO) <= 0)
    throw new SaleRefused(`Quantity must be greater than zero, got ${quantity}.`);
  if (compare(parse(quantity), parse(MAX_QUANTITY)) > 0) {
    throw new SaleRefused(`Quantity must be at most ${MAX_QUANTITY}, got ${quantity}.`);
  }
}

// "4.50" in EUR is fine, "4.5" too: only digits beyond the currency's minor unit are refused.
function sameValue(amount, currency) {
  return compare(parse(quantizeMoney(amount, currency)), parse(amount)) === 0;
}

/**
 * The receipt of a sale just put in the outbox, as the versioned document the server makes
 * (sales/receipts.py) — what the print agent renders, and what the page shows.
 */
export function saleReceipt({ cart, stored, store, register, cashier }) {
  const totals = cart.totals;
  const settlement = cart.settlement;
  const money = (amount) => quantizeMoney(amount, cart.currency);
  return {
    version: RECEIPT_DOCUMENT_VERSION,
    copy: false,
    sale_id: stored.id,
    receipt_number: stored.offline_receipt_number,
    offline: true,
    store: { code: store.code, name: store.name, address: store.address ?? "" },
    register: { code: register.code, name: register.name },
    cashier,
    created_at: stored.created_at,
    currency: cart.currency,
    prices_include_tax: store.pricesIncludeTax,
    lines: cart.lines.map((line, index) => {
      const priced = totals.lines[index];
      return {
        name: line.product.name,
        sku: line.product.sku,
        quantity: plainNumber(priced.quantity),
        unit_price: money(priced.unit_price),
        discount_percent: plainNumber(priced.discount_percent),
        discount_amount: money(priced.discount_amount),
        amount: money(priced.amount),
        tax_code: priced.tax_code,
      };
    }),
    subtotal: money(totals.subtotal),
    discount_total: money(totals.discount_total),
    taxes: totals.taxes.map((tax) => ({
      code: tax.code,
      rate: plainNumber(tax.rate),
      net: money(tax.net),
      tax: money(tax.tax),
    })),
    tax_total: money(totals.tax_total),
    total: money(totals.total),
    payments: cart.payments.map((p) => ({
      method: p.method,
      label: PAYMENT_LABELS[p.method],
      amount: money(p.amount),
      reference: p.reference,
    })),
    paid_total: money(settlement.paid),
    change: money(settlement.change),
    qr: stored.id,
    footer: FOOTER,
    open_drawer: cart.payments.some((p) => p.method === "cash"),
  };
}

/**
 * The sale as the customer display shows it (`display.updated`, the shape of sales/broadcasts.py):
 * the open sale, or with `receipt` (a completed sale's receipt document) what was paid and the change.
 */
export function customerDisplayEvent(cart, { register, symbol, receipt = null }) {
  if (receipt) {
    return {
      type: "display.updated",
      register,
      state: "paid",
      currency_symbol: symbol,
      lines: [],
      item_count: "0",
      total: receipt.total,
      paid: receipt.paid_total,
      remaining: quantizeMoney("0", receipt.currency),
      change: receipt.change,
      receipt_number: receipt.receipt_number,
    };
  }
  const totals = cart.totals;
  const settlement = cart.settlement;
  return {
    type: "display.updated",
    register,
    state: cart.lines.length ? "open" : "idle",
    currency_symbol: symbol,
    lines: cart.lines.map((line, index) => ({
      name: line.product.name,
      quantity: plainNumber(line.quantity),
      amount: totals.lines[index].amount,
    })),
    item_count: plainNumber(cart.itemCount),
    total: totals.total,
    paid: quantizeMoney(settlement.paid, cart.currency),
    remaining: quantizeMoney(settlement.remaining, cart.currency),
    change: quantizeMoney(settlement.change, cart.currency),
  };
}
