// The register keeps selling when the server is away, and hands every sale to it exactly once.
//
// Two modes. "server" (normal): htmx posts every action and the server owns the open sale.
// "local": a request failed (htmx:sendError, htmx:timeout) or the health ping did, so this module
// takes over the sale on screen and rings it up in the browser — scans and search from the
// catalogue in IndexedDB (catalog-store.js), totals by the server's rules (local-cart.js on
// pricing.js), drawn with the server's ids and classes (offline-view.js), so checkout.js's keys work
// as before. A completed sale is written to the outbox (outbox.js) before its receipt is shown.
//
// The sale on screen keeps its id: a sale taken over from the server's open cart is sent with the
// cart's sale id. If that cart was booked after all (a Pay whose answer was lost), the server's
// unique constraint refuses the second booking (409, listed as a sync problem) instead of booking
// the goods twice; if the offline sale gets there first, paying the old cart returns it. Once the
// sale taken over is completed or cancelled here, the server's cart is cancelled when it answers.
//
// While the server is away the health endpoint is polled with backoff; when it answers, the
// outbox drains in order (one tab at a time: the outbox's Web Lock), and the page goes back to the
// server's cart unless a sale changed here is still open — that one is finished here.
//
// Loyalty offline: a customer is found in the register's copy (customer-store.js) by card, phone
// or name, or added here (F3: name and phone are enough) under an id made here; the new customer
// goes into the outbox before any sale that names them and is usable at once ("new, not yet
// synced"). Points are redeemed offline only when the store allows it, up to its cap per sale and
// the balance last synced (loyalty.js); the server books them when the sale syncs.

import { openCatalogStore } from "./catalog-store.js";
import { openCustomerStore } from "./customer-store.js";
import { showOnCustomerDisplay } from "./customer-display-channel.js";
import { LocalCart, SaleRefused, customerDisplayEvent, saleReceipt } from "./local-cart.js";
import {
  RedemptionRefused,
  looksLikeCardNumber,
  normalisePhone,
  offlineRedeemableNow,
  offlineRedemption,
  pointsValue,
  pointsWithin,
  wholePoints,
} from "./loyalty.js";
import * as view from "./offline-view.js";
import { openOutbox } from "./outbox.js";
import { agentSettings, printReceipt } from "./print-agent.js";
import { decimal } from "./pricing.js";

const HEALTH_TIMEOUT_MS = 5_000; // a server that accepts but does not answer counts as away
const SEND_TIMEOUT_MS = 20_000;
const ONLINE_PING_MS = 30_000;
const OFFLINE_PING = { first: 1_000, max: 15_000 };
const DRAIN_RETRY = { first: 1_000, max: 60_000 };
const BUSY_RETRY_MS = 3_000; // another tab is draining: look again, in case it goes away
const STATUS_TICK_MS = 15_000; // the age of the oldest queued sale moves on by itself
const SEARCH_DELAY_MS = 150;

/** Wait before retry `attempt` (0, 1, …): `first` doubling up to `max`, the upper half random. */
export function backoffDelay(attempt, { first, max }, random = Math.random) {
  const ceiling = Math.min(max, first * 2 ** attempt);
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * The one place an offline receipt goes to a printer: it is shown on the page (its Print button
 * prints it with the browser) and, when a print agent is paired with this register, printed on the
 * receipt printer through the agent's local endpoint (static/js/print-agent.js), the sale's id as
 * the job's id, so neither a retry nor the receipt job that comes once the sale syncs prints twice.
 * The sale is in the outbox already: a printer problem is said, never a reason to lose it.
 */
export async function printOfflineReceipt(receipt, page, { settings = agentSettings() } = {}) {
  view.renderReceipt(receipt, page);
  if (!settings) return null;
  try {
    return await printReceipt(receipt, { id: receipt.sale_id, settings });
  } catch (error) {
    view.showMessage(`Receipt not printed (${error.reason ?? "error"}): ${error.message} Use Print on the receipt.`);
    return null;
  }
}

class OfflineRegister {
  local = false;
  reachable = true;
  cart = null;
  outbox = null;
  catalog = null;
  customers = null; // the loyalty customers kept for offline lookup (customer-store.js)
  customer = null; // the local sale's customer as the copy has them (for the balance offline)
  #root = null;
  #page = null;
  #tasks = Promise.resolve();
  #opened = null;
  #pingTimer = null;
  #pingAttempt = 0;
  #pinging = null;
  #drainTimer = null;
  #drainAttempt = 0;
  #draining = false;
  #queue = { count: 0, oldestQueuedAt: null, lastError: null };
  #ready = new Set();
  #channel = null;
  #searchTimer = null;
  #customerSearchTimer = null;
  #shownCustomer = null; // what the customer row shows, to draw it again only when that changes

  /** Wire the page up; `root` is #pos with the register's settings as data attributes. */
  start(root) {
    this.#root = root;
    this.#page = readPage(root);
    const body = document.body;
    // Local mode: nothing goes to the server through htmx, and late answers must not redraw the sale.
    body.addEventListener("htmx:beforeRequest", (event) => this.local && event.preventDefault());
    body.addEventListener("htmx:beforeOnLoad", (event) => {
      if (!this.local) return;
      event.preventDefault();
      this.ping(); // it did answer: perhaps it is back
    });
    body.addEventListener("htmx:sendError", () => this.connectionLost());
    body.addEventListener("htmx:timeout", () => this.connectionLost());
    body.addEventListener("htmx:oobAfterSwap", () => this.#rememberServerSaleSoon());
    document.addEventListener("submit", (event) => this.#onSubmit(event), true);
    document.addEventListener("change", (event) => this.#onChange(event), true);
    document.addEventListener("input", (event) => this.#onSearchInput(event));
    document.addEventListener("click", (event) => this.#onClick(event));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") document.getElementById("sync-problems").hidden = true;
      if (event.key === "F10" && this.local && !document.querySelector("#tender-form input[value=points]")) {
        this.#explainNoPoints();
      }
      if (event.key === "Enter" && this.local && event.target.id === "customer-search") {
        event.preventDefault();
        document.querySelector("#customer-results .search-result[data-customer]")?.click();
      }
    });
    document.addEventListener("pos:receipt-closed", () => this.#returnToServerWhenIdle());
    document.addEventListener("pos:sale-outdated", () => this.#saleOutdated());
    window.addEventListener("online", () => this.ping());
    window.addEventListener("offline", () => this.ping());
    window.addEventListener("beforeunload", (event) => this.#beforeUnload(event));
    root.addEventListener("live:status", (event) => event.detail.state === "reconnecting" && this.ping());
    root.addEventListener("live:caught-up", () => {
      this.#checkCatalogue();
      this.#syncCustomers();
    });
    this.#channel = new BroadcastChannel(`retailpos-outbox:${this.#page.register}`);
    this.#channel.onmessage = () => this.updateStatus();
    setInterval(() => this.updateStatus(), STATUS_TICK_MS);

    this.#restore();
    this.#opened = this.#open();
    this.ping();
  }

  // --- Switching -------------------------------------------------------------------------------

  /** A request to the server got no answer. */
  connectionLost() {
    this.#setReachable(false);
  }

  /** Ask the health endpoint whether the server is there; resolves when known. */
  ping() {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = null;
    this.#pinging ??= checkHealth(this.#page.healthUrl).then((ok) => {
      this.#pinging = null;
      this.#setReachable(ok);
    });
    return this.#pinging;
  }

  #setReachable(ok) {
    const was = this.reachable;
    this.reachable = ok;
    clearTimeout(this.#pingTimer);
    if (ok) {
      this.#pingAttempt = 0;
      this.#pingTimer = setTimeout(() => this.ping(), ONLINE_PING_MS);
      if (!was) this.#backOnline();
    } else {
      this.#goLocal();
      this.#pingTimer = setTimeout(() => this.ping(), backoffDelay(this.#pingAttempt++, OFFLINE_PING));
    }
    this.updateStatus();
  }

  // Take over the sale on screen: what the server last drew of it, its id included.
  #goLocal() {
    if (this.local) return;
    this.local = true;
    const shown = readServerSale();
    this.cart = shown ? this.#takeOver(shown) : new LocalCart({}, this.#page.store);
    this.render({
      message:
        "No connection to the server: this register now sells by itself. Sales are kept here and sent when it is back.",
      kind: "notice",
    });
  }

  #takeOver(sale) {
    return new LocalCart(
      { id: sale.id, seededFrom: sale.id, lines: sale.lines, payments: sale.payments, customer: sale.customer },
      this.#page.store,
    );
  }

  async #backOnline() {
    await this.#opened;
    this.#syncCustomers();
    await this.#cancelServerSalesTakenOver();
    this.#drainSoon({ now: true });
    this.#returnToServerWhenIdle();
  }

  // A price, tax or name of a line changed (checkout-live.js redrew the line's data): a sale not
  // changed here is still the server's, so it takes the change as the server would; and a page that
  // hears from the server may have it back.
  #saleOutdated() {
    if (!this.local) return;
    if (!this.cart.dirty) {
      const shown = readServerSale();
      this.cart = new LocalCart({ ...shown, seededFrom: this.cart.seededFrom, id: this.cart.id }, this.#page.store);
      this.render({});
    }
    this.ping();
  }

  #returnToServerWhenIdle() {
    if (this.local && this.reachable && !this.cart.dirty && !receiptOpen()) this.#returnToServer();
  }

  /** Before a scan in local mode: back to the server if nothing here needs finishing; whether it is. */
  async returnToServerIfIdle() {
    if (!this.local) return true;
    if (!this.reachable || this.cart.dirty) return false;
    return this.#returnToServer();
  }

  #returnToServer() {
    return this.#run(async () => {
      if (!this.local || !this.reachable || this.cart.dirty) return !this.local;
      this.local = false;
      this.cart = null;
      sessionStorage.removeItem(this.#key("local-sale"));
      await this.#cancelServerSalesTakenOver();
      try {
        await window.htmx.ajax("GET", this.#page.checkoutUrl, { source: this.#root, swap: "none" });
      } catch {
        return false; // no answer after all: htmx:sendError has taken the sale over again
      }
      this.updateStatus();
      return !this.local;
    });
  }

  // A reload: a sale rung up here goes on; a page from the service worker's cache (the server is
  // away) starts from the sale this tab last showed, not from the copy's.
  #restore() {
    const fromCache = this.#page.pageSource === "cache";
    const stored = readJSON(sessionStorage, this.#key("local-sale"));
    if (stored && (fromCache || stored.dirty)) {
      this.local = true;
      this.reachable = !fromCache;
      this.cart = LocalCart.fromJSON(stored, this.#page.store);
      this.render({});
      return;
    }
    sessionStorage.removeItem(this.#key("local-sale"));
    if (fromCache) {
      this.local = true;
      this.reachable = false;
      const shown = readJSON(sessionStorage, this.#key("server-sale"));
      this.cart = shown ? this.#takeOver(shown) : new LocalCart({}, this.#page.store);
      this.render({
        message: "The server is not answering: this register sells by itself until it is back.",
        kind: "notice",
      });
    } else {
      this.#rememberServerSale();
    }
  }

  // --- Ringing up --------------------------------------------------------------------------------

  /** Scan `code` (barcode or SKU) into the local sale. */
  scan(code) {
    return this.#run(async () => {
      code = String(code).trim();
      if (!code) throw new SaleRefused("Scan a barcode or type a SKU.");
      if (looksLikeCardNumber(code)) return this.#attachCustomer(code);
      const catalog = await this.#catalogue();
      const product = catalog ? await catalog.findByCode(code) : null;
      closeReceipt();
      if (!product) {
        throw new SaleRefused(
          catalog
            ? `No product with barcode or SKU “${code}”.`
            : "The catalogue is not on this register yet, so nothing can be sold offline. Wait for the server.",
        );
      }
      const line = this.cart.add(product);
      this.render({ changedProduct: line.product.id });
    });
  }

  // A loyalty card scanned offline: the customer from the register's copy, with the balance as it was
  // then (points earned or spent elsewhere since are not known here). The sale earns when it syncs.
  async #attachCustomer(cardNumber) {
    const customer = this.customers ? await this.customers.findByCard(cardNumber) : null;
    if (!customer) throw new SaleRefused(`No customer with loyalty card ${cardNumber} on this register.`);
    await this.#attach(customer, `Customer ${customer.name} attached.`);
  }

  async #attach(customer, message) {
    closeReceipt();
    // Points tendered were the previous customer's.
    if (this.cart.customer !== customer.id) {
      this.cart.payments = this.cart.payments.filter((payment) => payment.method !== "points");
    }
    this.cart.customer = customer.id;
    this.cart.dirty = true;
    this.customer = customer;
    this.render({ message, kind: "notice" });
  }

  #attachFound(customerId) {
    return this.#run(async () => {
      const customer = this.customers ? await this.customers.get(customerId) : null;
      if (!customer) throw new SaleRefused("That customer is no longer on this register.");
      const search = document.getElementById("customer-search");
      if (search) search.value = "";
      view.renderCustomerResults("", []);
      await this.#attach(customer, `Customer ${customer.name} attached.`);
    });
  }

  /**
   * A customer added at the counter while offline: kept in the outbox (synced before the sales that
   * name them) and in the copy, attached to the sale at once. A phone the copy already has is that
   * customer's: attached instead, never added twice.
   */
  #addNewCustomer(form) {
    return this.#run(async () => {
      const { customer_id: id, name, phone, email, marketing_consent: consent } = form.elements;
      const typed = {
        id: id.value || crypto.randomUUID(),
        name: name.value.trim(),
        phone: normalisePhone(phone.value),
        email: email?.value.trim() ?? "",
        marketing_consent: Boolean(consent?.checked),
      };
      if (!typed.name) throw new SaleRefused("Enter the customer's name.");
      await this.#opened;
      if (!this.outbox || !this.customers) {
        throw new SaleRefused("This register cannot keep new customers offline; add them when the server is back.");
      }
      const known = typed.phone ? await this.customers.findByPhone(typed.phone) : null;
      if (known && known.id !== typed.id) {
        form.reset();
        id.value = "";
        await this.#attach(
          known,
          `Phone ${typed.phone} is already ${known.name}'s${known.card_number ? ` (card ${known.card_number})` : ""}: ` +
            `${known.name} attached, no new customer added.`,
        );
        return;
      }
      try {
        await this.outbox.addCustomer(typed);
      } catch (error) {
        throw new SaleRefused(`The new customer could not be kept on this register (${error?.message ?? error}).`);
      }
      const customer = { id: typed.id, name: typed.name, phone: typed.phone, email: typed.email, points_balance: 0, pending: true };
      await this.customers.put(customer);
      form.reset();
      id.value = "";
      this.#outboxChanged();
      await this.#attach(customer, `Customer ${customer.name} added on this register (synced when the server is back).`);
    });
  }

  // What the sale's customer may still redeem offline: null when the store allows none, or nothing is left.
  #pointsOffer() {
    const cap = this.#page.offlinePointsCap;
    const customer = this.customer;
    if (!cap || !customer || customer.id !== this.cart?.customer) return null;
    const points = Math.min(
      offlineRedeemableNow({ balance: customer.points_balance, cap, alreadyRedeemed: this.#pointsTendered() }),
      pointsWithin(this.cart.settlement.remaining, this.#page.pointValue),
    );
    if (points <= 0) return null;
    return { points, value: pointsValue(points, this.#page.pointValue, this.#page.currency) };
  }

  // F10 offline without a Points method: say why, rather than nothing.
  #explainNoPoints() {
    const customer = this.customer;
    if (!this.cart?.customer || customer?.id !== this.cart.customer) {
      view.showMessage("Attach the customer first: points pay only for their own sale.");
    } else if (!this.#page.offlinePointsCap) {
      view.showMessage("Points cannot be redeemed while the register is offline at this store. Take another tender.");
    } else if (customer.points_balance <= 0) {
      view.showMessage(`${customer.name} has no points to redeem (as last synced).`);
    } else {
      view.showMessage(
        `Offline at most ${this.#page.offlinePointsCap} points can be redeemed per sale; this sale has used them.`,
      );
    }
  }

  #pointsTendered(cart = this.cart) {
    return cart.payments
      .filter((payment) => payment.method === "points")
      .reduce((sum, payment) => sum + (wholePoints(payment.amount, this.#page.pointValue) ?? 0), 0);
  }

  #addPoints(amount) {
    const customer = this.customer;
    if (!this.cart.customer || customer?.id !== this.cart.customer) {
      throw new SaleRefused("Attach the customer first: points pay only for their own sale.");
    }
    try {
      offlineRedemption({
        amount,
        balance: customer.points_balance,
        cap: this.#page.offlinePointsCap,
        pointValue: this.#page.pointValue,
        currency: this.#page.currency,
        alreadyRedeemed: this.#pointsTendered(),
        name: customer.name,
      });
    } catch (error) {
      if (error instanceof RedemptionRefused) throw new SaleRefused(error.message);
      throw error;
    }
    this.cart.addPayment({ method: "points", amount, offlineRedemptionChecked: true });
  }

  // The local sale's customer on screen, drawn again only when what is known of them changed (a
  // reload, a sale taken over from the server, a sync); a customer first read from the copy may
  // bring the Points method, so the tender is redrawn then (never while the cashier types in it).
  async #showCartCustomer() {
    const id = this.cart?.customer;
    if (!id) {
      this.customer = null;
      this.#shownCustomer = null;
      view.clearCustomer();
      return;
    }
    let lookedUp = false;
    if (this.customer?.id !== id) {
      this.customer = this.customers ? await this.customers.get(id) : null;
      lookedUp = true;
      if (this.cart?.customer !== id) return; // changed meanwhile: that render shows it
    }
    const customer = this.customer;
    if (!customer) return; // not in the copy: the server's row, if any, stays
    const shown = JSON.stringify([customer.id, customer.card_number, customer.points_balance, customer.pending]);
    const row = document.querySelector("#customer .customer__attached");
    if (shown === this.#shownCustomer && row?.dataset.customer === id) return;
    this.#shownCustomer = shown;
    const syncedAt = this.customers ? await this.customers.syncedAt() : null;
    if (this.cart?.customer !== id) return;
    view.showCustomer(customer, { syncedAt, timeZone: this.#page.timeZone });
    if (lookedUp && this.#pointsOffer()) view.renderTender(this.cart, this.#page, { points: this.#pointsOffer() });
  }

  #onCustomerSearchInput(event) {
    clearTimeout(this.#customerSearchTimer);
    this.#customerSearchTimer = setTimeout(() => this.#searchCustomers(event.target.value), SEARCH_DELAY_MS);
  }

  async #searchCustomers(query) {
    query = query.trim();
    await this.#opened;
    const found = query && this.customers ? await this.customers.search(query) : [];
    if (!this.local || document.getElementById("customer-search")?.value.trim() !== query) return;
    view.renderCustomerResults(query, found);
  }

  #syncCustomers() {
    if (!this.customers || !this.#page.customersUrl) return;
    this.customers.sync(this.#page.customersUrl).catch((error) => console.warn("Offline register: customers", error));
  }

  #addProduct(productId) {
    return this.#run(async () => {
      const catalog = await this.#catalogue();
      const product = catalog ? await catalog.get(productId) : null;
      closeReceipt();
      if (!product) throw new SaleRefused("That product is no longer for sale.");
      const line = this.cart.add(product);
      this.render({ changedProduct: line.product.id });
    });
  }

  async #formAction(action, form) {
    const cart = this.cart;
    const product = form.dataset.product;
    if (action === "quantity") cart.setQuantity(product, form.elements.quantity.value);
    else if (action === "discount") cart.setDiscount(product, form.elements.discount_percent.value);
    else if (action === "remove") cart.remove(product);
    else if (action === "remove-payment") cart.removePayment(Number(form.dataset.index));
    else if (action === "detach-customer") {
      cart.customer = null;
      cart.payments = cart.payments.filter((payment) => payment.method !== "points");
      cart.dirty = true;
      this.customer = null;
    } else if (action === "tender") {
      const { method, amount, reference } = form.elements;
      if (method.value === "points") this.#addPoints(amount.value);
      else cart.addPayment({ method: method.value, amount: amount.value, reference: reference.value });
      // As on the server: the tender that covers the total completes the sale. Drawn first, so that
      // a sale that cannot be saved shows as paid, for Ctrl+Enter to try again.
      if (cart.isPaid) {
        this.render({});
        return this.#complete();
      }
    } else if (action === "complete") {
      return this.#complete();
    } else if (action === "cancel") {
      if (!window.confirm("Cancel this sale and empty the cart?")) return undefined;
      if (cart.seededFrom) rememberTakenOver(this.#page.register, cart.id);
      this.cart = new LocalCart({}, this.#page.store);
      this.render({ message: "Sale cancelled. Ready for the next customer.", kind: "notice" });
      this.#returnToServerWhenIdle();
      return undefined;
    }
    this.render({});
    return undefined;
  }

  // The outbox first, durably; only then the receipt.
  async #complete() {
    const cart = this.cart;
    const refusal = cart.notCompletable;
    if (refusal) throw new SaleRefused(refusal);
    const payload = cart.salePayload({ register: this.#page.register, createdAt: new Date().toISOString() });
    // From here on the server's cart of this sale must not be booked as well.
    if (cart.seededFrom) rememberTakenOver(this.#page.register, cart.id);
    let stored;
    try {
      await this.#opened;
      if (!this.outbox) throw new Error("the outbox could not be opened");
      stored = await this.outbox.add(payload);
    } catch (error) {
      throw new SaleRefused(
        `This sale could not be saved on this register (${error?.message ?? error}), so it is NOT complete. ` +
          "Do not hand over the goods; try again.",
      );
    }
    const { store, register, registerName, cashier } = this.#page;
    const redeemed = this.#pointsTendered(cart);
    const receipt = saleReceipt({ cart, stored, store, register: { code: register, name: registerName }, cashier });
    this.cart = new LocalCart({}, this.#page.store);
    this.render({});
    showOnCustomerDisplay(register, customerDisplayEvent(cart, { register, symbol: this.#page.symbol, receipt }));
    await printOfflineReceipt(receipt, this.#page);
    this.#lowerStock(cart);
    // The copy's balance follows, so this register cannot redeem the same points twice offline.
    if (redeemed && stored.customer) {
      this.customers?.lowerBalance(stored.customer, redeemed).catch((error) => console.warn("Offline register:", error));
    }
    this.#outboxChanged();
    if (this.reachable) this.#drainSoon({ now: true });
  }

  // The catalogue's on hand follows the sales rung up here, until the server's figures come back.
  async #lowerStock(cart) {
    try {
      const catalog = await this.#catalogue();
      const levels = [];
      for (const line of cart.lines) {
        const product = catalog && (await catalog.get(line.product.id));
        if (product?.on_hand == null) continue;
        const after = decimal.subtract(decimal.parse(product.on_hand), decimal.parse(line.quantity));
        levels.push({ product: product.id, on_hand: decimal.format(after) });
      }
      if (levels.length) await catalog.putStockLevels(levels);
    } catch (error) {
      console.warn("Offline register: on hand not lowered", error);
    }
  }

  /** Draw the local sale with the server's ids; checkout.js puts the focus back (pos:rendered). */
  render({ changedProduct = null, message = "", kind = "error" }) {
    const page = this.#page;
    view.renderCart(this.cart, page, { changedProduct });
    view.renderTotals(this.cart, page);
    view.renderTender(this.cart, page, { points: this.#pointsOffer() });
    this.#showCartCustomer();
    view.showMessage(message, kind);
    this.#showConnection();
    // The customer display of this browser follows the sale without the server (customer-display-channel.js).
    const display = customerDisplayEvent(this.cart, { register: page.register, symbol: page.symbol });
    showOnCustomerDisplay(page.register, display);
    sessionStorage.setItem(this.#key("local-sale"), JSON.stringify(this.cart));
    document.dispatchEvent(new CustomEvent("pos:rendered"));
  }

  // One local action at a time, in the order asked: scans queue behind each other as online.
  #run(task) {
    const run = this.#tasks.then(task).catch((error) => this.#refused(error));
    this.#tasks = run;
    return run;
  }

  #refused(error) {
    if (!(error instanceof SaleRefused)) console.warn("Offline register:", error);
    view.showMessage(error instanceof SaleRefused ? error.message : `Something went wrong on this register: ${error}`);
    document.dispatchEvent(new CustomEvent("pos:rendered"));
  }

  // --- Page events -----------------------------------------------------------------------------------

  #onSubmit(event) {
    const form = event.target;
    if (form.matches("form[data-logout]")) {
      this.#confirmLogout(event);
      return;
    }
    // The register's id for a new customer, online or offline: a retry, or the same form sent again
    // offline after the server did not answer, adds them once (the customer API's replay).
    if (form.id === "new-customer-form" && !form.elements.customer_id.value) {
      form.elements.customer_id.value = crypto.randomUUID();
    }
    if (!this.local) {
      // A form drawn here, submitted while the server's fragments are on their way: never natively.
      if (form.dataset.offlineForm) event.preventDefault();
      return;
    }
    if (!form.closest("#pos") || form.id === "scan-form") return;
    // Forms drawn by the server (htmx) or here: in local mode all of them are this module's.
    event.preventDefault();
    event.stopImmediatePropagation();
    if (form.id === "new-customer-form") this.#addNewCustomer(form);
    else if (form.matches("#customer .customer__attached form")) this.#run(() => this.#formAction("detach-customer", form));
    else if (form.dataset.offlineForm) this.#run(() => this.#formAction(form.dataset.offlineForm, form));
  }

  #onChange(event) {
    if (!this.local) return;
    const form = event.target.closest("form[data-offline-form=quantity], form[data-offline-form=discount]");
    if (form && event.target.matches(".stepper__input, .discount-input")) {
      this.#run(() => this.#formAction(form.dataset.offlineForm, form));
    }
  }

  #onSearchInput(event) {
    if (this.local && event.target.id === "customer-search") this.#onCustomerSearchInput(event);
    if (!this.local || event.target.id !== "search") return;
    clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => this.#search(event.target.value), SEARCH_DELAY_MS);
  }

  async #search(query) {
    query = query.trim();
    const catalog = await this.#catalogue();
    const products = query && catalog ? await catalog.search(query, { limit: 20 }) : [];
    if (!this.local || document.getElementById("search").value.trim() !== query) return; // typed on meanwhile
    view.renderSearchResults(query, products, this.#page);
  }

  #onClick(event) {
    const target = event.target;
    const result = target.closest(".search-result[data-product]"); // drawn here or by the server
    if (result && this.local) {
      const search = document.getElementById("search");
      search.value = "";
      document.getElementById("search-results").replaceChildren();
      document.getElementById("scan").focus();
      this.#addProduct(result.dataset.product);
      return;
    }
    const found = target.closest("#customer-results .search-result[data-customer]");
    if (found && this.local) {
      this.#attachFound(found.dataset.customer);
      return;
    }
    if (target.closest("#receipt[data-offline] [data-print-receipt]")) {
      // Only the receipt paper goes to the printer (pos.css, print media).
      document.body.classList.add("print-offline-receipt");
      window.print();
      document.body.classList.remove("print-offline-receipt");
      return;
    }
    if (target.closest("#sync-problems-button")) this.#showProblems();
    else if (target.closest("[data-close-problems]")) document.getElementById("sync-problems").hidden = true;
    else if (target.closest("[data-export-problems]"))
      this.#exportProblems(target.closest("[data-export-problems]").dataset.exportProblems);
  }

  #beforeUnload(event) {
    const unfinished = this.local && this.cart?.dirty && this.cart.lines.length;
    if (this.#queue.count || unfinished) {
      event.preventDefault();
      event.returnValue = ""; // older Chromium asks only with this set
    }
  }

  #confirmLogout(event) {
    const { count } = this.#queue;
    if (!count) return;
    const sales = count === 1 ? "1 sale rung up offline is" : `${count} sales rung up offline are`;
    const question =
      `${sales} not on the server yet. They stay on this register and are sent once it is online ` +
      "with someone logged in. Log out anyway?";
    if (!window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }

  // --- Outbox: status, draining, problems ------------------------------------------------------

  async #open() {
    const { register, store } = this.#page;
    // Customers are the chain's, not a store's: one copy per browser.
    openCustomerStore("retailpos-customers")
      .then((customers) => {
        this.customers = customers;
        this.#syncCustomers();
      })
      .catch((error) => console.warn("Offline register: no customer copy", error));
    try {
      this.outbox = await openOutbox(register);
      this.#markReady("outbox");
    } catch (error) {
      console.warn("Offline register: no outbox, offline sales impossible", error);
      view.showMessage(`This browser cannot keep offline sales (${error.message}).`);
    }
    try {
      this.catalog = await openCatalogStore(`retailpos-catalog-store-${store.id}`);
      if (await this.catalog.getCursor()) this.#markReady("catalog");
    } catch (error) {
      console.warn("Offline register: no offline catalogue", error);
    }
    this.#keepShell();
    await this.updateStatus();
    if (this.reachable) {
      this.#drainSoon({ now: true });
      await this.#cancelServerSalesTakenOver(); // e.g. left over from a tab closed before the server was back
    }
  }

  async #catalogue() {
    await this.#opened;
    return this.catalog;
  }

  async #checkCatalogue() {
    await this.#opened;
    if (this.catalog && (await this.catalog.getCursor())) this.#markReady("catalog");
  }

  #markReady(part) {
    this.#ready.add(part);
    if (["outbox", "catalog", "shell"].every((name) => this.#ready.has(name))) {
      this.#root.dataset.offlineReady = "true";
      document.getElementById("connection").title =
        "Ready to sell offline: the catalogue and this page are kept on the register.";
    }
  }

  /** Redraw the header's status from the outbox (shared by the register's tabs). */
  async updateStatus() {
    let problems = 0;
    if (this.outbox) {
      try {
        [this.#queue, problems] = await Promise.all([this.outbox.status(), this.outbox.problemCount()]);
      } catch (error) {
        console.warn("Offline register: outbox status unreadable", error);
      }
    }
    this.#showConnection();
    view.renderStatus({
      queue: this.#queue,
      problems,
      warnHours: this.#page.warnHours,
      persisted: this.outbox?.persisted,
      lastError: this.#queue.lastError,
    });
  }

  #showConnection() {
    view.renderConnection({ reachable: this.reachable, finishing: this.local && this.cart?.dirty });
  }

  #outboxChanged() {
    this.updateStatus();
    this.#channel.postMessage("changed");
  }

  #drainSoon({ now = false, delay = 0 } = {}) {
    if (this.#drainTimer !== null) {
      if (!now) return; // a retry is already planned; keep its backoff
      clearTimeout(this.#drainTimer);
    }
    this.#drainTimer = setTimeout(() => this.#drain(), now ? 0 : delay);
  }

  async #drain() {
    this.#drainTimer = null;
    if (this.#draining || !this.reachable || !this.outbox) return;
    this.#draining = true;
    let result;
    try {
      result = await this.outbox.drain(
        (sale) => postJson(this.#page.salesUrl, sale),
        (customer) => postJson(this.#page.customersUrl, customer),
      );
    } catch (error) {
      console.warn("Offline register: draining failed", error);
      result = { sent: 0, refused: 0, waiting: this.#queue.count || 1, busy: false };
    } finally {
      this.#draining = false;
    }
    await this.#customersSynced(result);
    if (result.sent || result.refused) this.#outboxChanged();
    else this.updateStatus();
    if (!result.waiting) {
      this.#drainAttempt = 0;
    } else if (result.busy) {
      this.#drainSoon({ delay: BUSY_RETRY_MS });
    } else {
      this.#drainSoon({ delay: backoffDelay(this.#drainAttempt++, DRAIN_RETRY) });
      this.ping(); // no answer may mean the server is away again
    }
  }

  // New customers the server now has: the copy gets its answer (card number, "synced"); one whose phone
  // it had is replaced by that customer, and the cashier is told.
  async #customersSynced({ customers = [], resolved = [], refusedCustomers = [] }) {
    if (!this.customers) return;
    try {
      for (const customer of customers) await this.customers.put(customer);
      for (const { customer, existing } of resolved) await this.customers.replace(customer.id, existing);
      // Refused (listed with the sync problems): no longer offered as "not yet synced".
      for (const customer of refusedCustomers) await this.customers.remove(customer.id);
    } catch (error) {
      console.warn("Offline register: customer copy not updated", error);
    }
    for (const { customer, existing } of resolved) {
      if (this.cart?.customer === customer.id) {
        this.cart.customer = existing.id;
        this.customer = existing;
      }
      view.showMessage(view.customerResolvedText(customer, existing), "notice");
    }
    const shown = [...customers, ...resolved.map((item) => item.existing)].find((c) => c.id === this.cart?.customer);
    if (this.local && shown) {
      this.customer = shown;
      this.#showCartCustomer();
    }
  }

  // The server's open cart of a sale completed or cancelled here: cancelled, so it cannot be paid
  // again. The server refuses the cancel once the cart has moved on to another sale: harmless.
  async #cancelServerSalesTakenOver() {
    const register = this.#page.register;
    for (const saleId of readTakenOver(register)) {
      try {
        const response = await fetch(this.#page.cancelUrl, {
          method: "POST",
          headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
          body: new URLSearchParams({ sale_id: saleId }),
          credentials: "same-origin",
          cache: "no-store",
        });
        if (!response.ok) return; // e.g. logged out: try again next time
        forgetTakenOver(register, saleId);
        // This page still shows that cart (a tab that stayed with the server): show the next sale.
        if (!this.local && document.getElementById("cart")?.dataset.saleId === saleId) {
          window.htmx.ajax("GET", this.#page.checkoutUrl, { source: this.#root, swap: "none" }).catch(() => {});
        }
      } catch {
        return;
      }
    }
  }

  async #showProblems() {
    const problems = this.outbox ? await this.outbox.problems() : [];
    view.renderProblems(problems, this.#page);
    document.getElementById("sync-problems").hidden = false;
  }

  async #exportProblems(format) {
    if (!this.outbox) return;
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const name = `sync-problems-${this.#page.register}-${stamp}`;
    if (format === "csv") download(`${name}.csv`, view.problemsCsv(await this.outbox.problems()), "text/csv");
    else download(`${name}.json`, await this.outbox.exportProblems(), "application/json");
  }

  // --- The page kept for offline use ---------------------------------------------------------------

  // The service worker keeps what this page loaded (the page, CSS, htmx, the modules), so it also
  // opens with the server away. Asked on every load: it fetches only what it does not have yet.
  async #keepShell() {
    if (this.#page.pageSource === "cache") {
      this.#markReady("shell");
      return;
    }
    if (!navigator.serviceWorker) return;
    try {
      await navigator.serviceWorker.register(this.#page.swUrl);
      const { active } = await navigator.serviceWorker.ready;
      const urls = [
        window.location.pathname,
        ...performance
          .getEntriesByType("resource")
          .map((entry) => new URL(entry.name))
          .filter((url) => url.origin === window.location.origin && url.pathname.startsWith("/static/"))
          .map((url) => url.href),
      ];
      const answer = await askWorker(active, { type: "cache-shell", urls });
      if (answer?.cached) this.#markReady("shell");
      else console.warn("Offline register: not kept for offline use", answer?.missing);
    } catch (error) {
      console.warn("Offline register: no service worker", error);
    }
  }

  // --- The server's sale, remembered for a reload without the server --------------------------

  #rememberServerSaleSoon() {
    setTimeout(() => this.#rememberServerSale(), 0); // after all of a response's fragments are in
  }

  #rememberServerSale() {
    if (this.local) return;
    const shown = readServerSale();
    if (shown) sessionStorage.setItem(this.#key("server-sale"), JSON.stringify(shown));
  }

  #key(name) {
    return `retailpos-${name}:${this.#page.register}`;
  }
}

export const offlineRegister = new OfflineRegister();

// --- Helpers -------------------------------------------------------------------------------------------

function readPage(root) {
  const data = root.dataset;
  return {
    register: data.register,
    registerName: data.registerName,
    cashier: data.cashier,
    store: {
      id: data.store,
      code: data.storeCode,
      name: data.storeName,
      address: data.storeAddress ?? "",
      currency: data.currency,
      pricesIncludeTax: data.pricesIncludeTax === "true",
    },
    currency: data.currency,
    symbol: data.currencySymbol,
    pricesIncludeTax: data.pricesIncludeTax === "true",
    lowStock: Number(data.lowStock),
    timeZone: data.storeTimezone,
    offlinePointsCap: Number(data.offlinePointsCap || 0),
    pointValue: data.pointValue || "0.01",
    warnHours: Number(data.offlineWarnHours || 12),
    checkoutUrl: data.checkoutUrl,
    customersUrl: data.customersUrl,
    healthUrl: data.healthUrl,
    salesUrl: data.salesUrl,
    cancelUrl: data.cancelUrl,
    swUrl: data.swUrl,
    pageSource: data.pageSource,
  };
}

/** The sale as the server last drew it (data attributes of the cart and payment fragments). */
function readServerSale() {
  const cart = document.getElementById("cart");
  if (!cart?.dataset.saleId) return null;
  const lines = [...cart.querySelectorAll(".cart-line[data-product]")].map((row) => ({
    product: {
      id: Number(row.dataset.product),
      sku: row.dataset.sku,
      name: row.querySelector(".cart-line__name").textContent,
      barcode: null,
      tax_code: row.dataset.taxCode,
      tax_rate: row.dataset.taxRate,
      on_hand: row.querySelector(".stock__qty")?.textContent ?? null,
    },
    quantity: row.dataset.quantity,
    discount_percent: row.dataset.discount,
    unit_price: row.dataset.price,
  }));
  const payments = [...document.querySelectorAll("#totals .payments__item[data-method]")]
    // Points are spent only under the server's lock: offline the cashier takes another tender for them.
    .filter((item) => item.dataset.method !== "points")
    .map((item) => ({
      method: item.dataset.method,
      amount: item.dataset.amount,
      reference: item.dataset.reference ?? "",
    }));
  // The loyalty customer attached online stays on the sale: it earns their points when it syncs.
  const customer = document.querySelector("#customer [data-customer]")?.dataset.customer ?? null;
  return { id: cart.dataset.saleId, lines, payments, customer };
}

function receiptOpen() {
  return document.getElementById("receipt")?.hidden === false;
}

function closeReceipt() {
  const receipt = document.getElementById("receipt");
  if (receipt) receipt.hidden = true;
}

async function checkHealth(url) {
  try {
    const response = await fetchWithTimeout(
      url,
      { headers: { Accept: "application/json" }, cache: "no-store" },
      HEALTH_TIMEOUT_MS,
    );
    return response.ok && (await response.json()).status === "ok";
  } catch {
    return false;
  }
}

/** POST one queued sale or customer; `{status, body}`, or a rejection when no answer came (sent again later). */
async function postJson(url, payload) {
  const response = await fetchWithTimeout(
    url,
    {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(payload),
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual", // a redirect (to the login) is no acknowledgement
    },
    SEND_TIMEOUT_MS,
  );
  const json = (response.headers.get("Content-Type") ?? "").includes("json");
  const body = json ? await response.json().catch(() => null) : (await response.text()).slice(0, 500);
  return { status: response.status, body };
}

async function fetchWithTimeout(url, options, milliseconds) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), milliseconds);
  try {
    return await fetch(url, { ...options, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

// The cookie's token is current even when the page is an old copy from the service worker's cache.
function csrfToken() {
  const cookie = document.cookie.split("; ").find((pair) => pair.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  return JSON.parse(document.body.getAttribute("hx-headers") ?? "{}")["X-CSRFToken"] ?? "";
}

function askWorker(worker, message, milliseconds = 30_000) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), milliseconds);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.postMessage(message, [channel.port2]);
  });
}

// Server carts taken over by a sale completed or cancelled here: kept across reloads and shared
// by the register's tabs, until the server has cancelled them.
const takenOverKey = (register) => `retailpos-taken-over:${register}`;

function readTakenOver(register) {
  return readJSON(localStorage, takenOverKey(register)) ?? [];
}

function rememberTakenOver(register, saleId) {
  const ids = readTakenOver(register);
  if (!ids.includes(saleId)) localStorage.setItem(takenOverKey(register), JSON.stringify([...ids, saleId]));
}

function forgetTakenOver(register, saleId) {
  localStorage.setItem(takenOverKey(register), JSON.stringify(readTakenOver(register).filter((id) => id !== saleId)));
}

function readJSON(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
