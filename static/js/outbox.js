// The register's outbox: sales rung up while the server was unreachable, kept in IndexedDB until
// the server has acknowledged each one. A sale is written here, with its offline receipt number,
// before its receipt is shown; it leaves only when the server answered 201 (booked) or 200 (booked
// before: a retry whose first answer was lost). A sale the server refuses (409, 400) moves to the
// "sync problems" list, which is kept and can be exported — nothing is ever dropped.
//
// A customer added at the counter while offline waits in the same queue, before the sales that
// name them (they are queued when added, so always earlier), and is sent to POST /api/v1/customers/
// under the register's id for them. A phone already on the server answers 409 naming its owner:
// the customer added here is resolved to that one — the queued sales that name it are rewritten
// to the owner, in the same transaction, before any of them is sent, and later sales of this
// register too (the aliases kept in meta) — and it is listed with the sync problems, for the
// cashier and the manager to see. Nothing is duplicated, no sale loses its customer.
//
// Several tabs of one register share the database: receipt numbers come from one counter in a
// readwrite transaction, and a Web Lock lets only one tab drain at a time. The server's unique
// constraint on the sale id makes a second drain harmless anyway.

const VERSION = 2;
const QUEUE = "queue"; // sales waiting for the server, in the order they were rung up
const PROBLEMS = "problems"; // sales the server refused, with its answer
const META = "meta"; // the install id, the receipt counter, the customers resolved to others
const ALIASES = "customer_aliases"; // {offline customer id: the server's customer id}
const CUSTOMERS = "customers"; // the queue's index of new customers

export const OFFLINE_SERIES_MARK = "-OFF-";

/** Open (creating on first use) the outbox of the register with this code. */
export async function openOutbox(registerCode) {
  if (!globalThis.indexedDB) throw new Error("IndexedDB is not available: offline sales cannot be kept");
  const opening = indexedDB.open(`retailpos-outbox-${registerCode}`, VERSION);
  opening.onupgradeneeded = (event) => {
    const db = opening.result;
    if (event.oldVersion < 1) {
      db.createObjectStore(QUEUE, { keyPath: "position", autoIncrement: true });
      db.createObjectStore(PROBLEMS, { keyPath: "position" });
      db.createObjectStore(META);
    }
    // New customers among the queued sales, counted without reading the queue.
    if (event.oldVersion < 2) opening.transaction.objectStore(QUEUE).createIndex(CUSTOMERS, "customer.id");
  };
  const db = await request(opening);
  db.onversionchange = () => db.close();
  // Ask the browser not to evict this storage under pressure (granted for installed or
  // engaged sites); the answer is shown in the status, not required.
  const persisted = (await navigator.storage?.persist?.().catch(() => false)) ?? false;
  return new Outbox(registerCode, db, persisted);
}

export class Outbox {
  constructor(registerCode, db, persisted) {
    this.registerCode = registerCode;
    this.db = db;
    this.persisted = persisted;
  }

  close() {
    this.db.close();
  }

  /**
   * Keep a sale (the API payload without its receipt number) until the server has it. Resolves,
   * once the write is on disk, to the stored sale with its `offline_receipt_number`: the number
   * comes from this register's own series (`<code>-OFF-<install id>-<6 digits>`), taken in the same
   * transaction, so no two sales of this browser share one and no server number can collide.
   */
  async add(sale) {
    const transaction = this.db.transaction([QUEUE, META], "readwrite", { durability: "strict" });
    const meta = transaction.objectStore(META);
    let installId = await request(meta.get("install_id"));
    if (!installId) {
      installId = randomHex(8);
      meta.put(installId, "install_id");
    }
    const number = ((await request(meta.get("receipt_counter"))) ?? 0) + 1;
    meta.put(number, "receipt_counter");
    const stored = {
      ...sale,
      offline_receipt_number: `${this.registerCode}${OFFLINE_SERIES_MARK}${installId}-${String(number).padStart(6, "0")}`,
    };
    const item = { sale: stored, queued_at: new Date().toISOString(), attempts: 0 };
    // A customer added here and since resolved to the server's owner of their phone: the sale is theirs.
    const resolvedTo = stored.customer && ((await request(meta.get(ALIASES))) ?? {})[stored.customer];
    if (resolvedTo) {
      item.customer_resolved_from = stored.customer;
      stored.customer = resolvedTo;
    }
    transaction.objectStore(QUEUE).add(item);
    await committed(transaction);
    return stored;
  }

  /**
   * Keep a customer added offline (`{id, name, phone, email, marketing_consent}`, the body of
   * POST /api/v1/customers/) until the server has them; queued before any sale that names them.
   */
  async addCustomer(customer) {
    const transaction = this.db.transaction(QUEUE, "readwrite", { durability: "strict" });
    transaction.objectStore(QUEUE).add({ customer, queued_at: new Date().toISOString(), attempts: 0 });
    await committed(transaction);
    return customer;
  }

  /** The server's id for a customer added here, once it answered with another (same phone); else the id. */
  async resolvedCustomer(customerId) {
    const aliases = (await request(this.db.transaction(META).objectStore(META).get(ALIASES))) ?? {};
    return aliases[customerId] ?? customerId;
  }

  /** The queue, oldest first: `[{position, sale | customer, queued_at, attempts, last_error?}]`. */
  pending() {
    return request(this.db.transaction(QUEUE).objectStore(QUEUE).getAll());
  }

  /** What the status bar shows: how many wait (new customers among them), since when the oldest, and why. */
  async status() {
    const store = this.db.transaction(QUEUE).objectStore(QUEUE);
    const [count, customers, oldest] = await Promise.all([
      request(store.count()),
      request(store.index(CUSTOMERS).count()),
      request(store.openCursor()),
    ]);
    return {
      count,
      customers,
      oldestQueuedAt: oldest ? oldest.value.queued_at : null,
      lastError: oldest?.value.last_error ?? null,
    };
  }

  /** How many sales the server refused (the sync problems). */
  problemCount() {
    return request(this.db.transaction(PROBLEMS).objectStore(PROBLEMS).count());
  }

  /** What the server refused, with its answer: `[{position, sale | customer, status, answer, refused_at, resolved_to?}]`. */
  problems() {
    return request(this.db.transaction(PROBLEMS).objectStore(PROBLEMS).getAll());
  }

  /** The sync problems as a JSON document, for a file the manager can keep or send to support. */
  async exportProblems() {
    const problems = await this.problems();
    return JSON.stringify({ register: this.registerCode, exported_at: new Date().toISOString(), problems }, null, 2);
  }

  /**
   * Send the queue in order: sales with `send(sale)`, new customers with `sendCustomer(customer)`;
   * each resolves to `{status, body}` (an HTTP answer) or rejects (no answer). Stops at the first
   * item without a definitive answer, to keep the order (a customer before the sales that name
   * them); the caller retries later, with backoff. Only one tab of the register drains at a time:
   * in another it resolves at once with `{busy: true}`.
   *
   * Resolves to `{sent, refused, waiting, busy, customers, resolved, refusedCustomers}`:
   * acknowledged, moved to the problems, still queued; `customers`: the server's answers for the
   * customers synced; `resolved`: `[{customer, existing}]`, customers added here whose phone the
   * server had; `refusedCustomers`: customers it refused otherwise (their sales book without them).
   */
  async drain(send, sendCustomer = null) {
    const run = async () => {
      const result = { sent: 0, refused: 0, waiting: 0, busy: false };
      Object.assign(result, { customers: [], resolved: [], refusedCustomers: [] });
      for (let item of await this.pending()) {
        // A customer resolved above rewrote the queued sales naming them: send them as they now are.
        if (result.resolved.length) item = await this.#get(item.position);
        if (!item) continue;
        let answer;
        try {
          if (item.customer && !sendCustomer) throw new Error("no way to send customers given");
          answer = await (item.customer ? sendCustomer(item.customer) : send(item.sale));
        } catch (error) {
          await this.#noteAttempt(item, String(error?.message ?? error));
          return { ...result, waiting: (await this.status()).count };
        }
        const verdict = judge(answer.status);
        const existing = item.customer && answer.status === 409 ? answer.body?.existing_customer : null;
        if (verdict === "acknowledged") {
          await this.#remove(item);
          result.sent += 1;
          if (item.customer && answer.body) result.customers.push(answer.body);
        } else if (existing) {
          await this.#resolveCustomer(item, answer, existing);
          result.refused += 1;
          result.resolved.push({ customer: item.customer, existing });
        } else if (verdict === "refused") {
          await this.#moveToProblems(item, answer);
          result.refused += 1;
          if (item.customer) result.refusedCustomers.push(item.customer);
        } else {
          await this.#noteAttempt(item, `HTTP ${answer.status}`);
          return { ...result, waiting: (await this.status()).count };
        }
      }
      return result;
    };
    if (!navigator.locks) return run(); // no Web Locks: the server's unique constraints still dedupe
    return navigator.locks.request(
      `retailpos-outbox-drain-${this.registerCode}`,
      { ifAvailable: true },
      async (lock) =>
        lock
          ? run()
          : {
              ...{ sent: 0, refused: 0, busy: true, customers: [], resolved: [], refusedCustomers: [] },
              waiting: (await this.status()).count,
            },
    );
  }

  // The phone's owner on the server takes the place of the customer added here, in one transaction:
  // the queued sales naming them are theirs before any is sent, and later ones too (the alias).
  async #resolveCustomer(item, answer, existing) {
    const transaction = this.db.transaction([QUEUE, PROBLEMS, META], "readwrite", { durability: "strict" });
    const offlineId = item.customer.id;
    const meta = transaction.objectStore(META);
    const aliases = (await request(meta.get(ALIASES))) ?? {};
    meta.put({ ...aliases, [offlineId]: existing.id }, ALIASES);
    const queue = transaction.objectStore(QUEUE);
    for (const queued of await request(queue.getAll())) {
      if (queued.sale?.customer === offlineId) {
        queue.put({ ...queued, sale: { ...queued.sale, customer: existing.id }, customer_resolved_from: offlineId });
      }
    }
    transaction.objectStore(PROBLEMS).put({
      position: item.position,
      customer: item.customer,
      queued_at: item.queued_at,
      status: answer.status,
      answer: answer.body,
      resolved_to: existing,
      refused_at: new Date().toISOString(),
    });
    queue.delete(item.position);
    await committed(transaction);
  }

  #get(position) {
    return request(this.db.transaction(QUEUE).objectStore(QUEUE).get(position));
  }

  async #remove(item) {
    const transaction = this.db.transaction(QUEUE, "readwrite", { durability: "strict" });
    transaction.objectStore(QUEUE).delete(item.position);
    await committed(transaction);
  }

  async #moveToProblems(item, answer) {
    const transaction = this.db.transaction([QUEUE, PROBLEMS], "readwrite", { durability: "strict" });
    transaction.objectStore(PROBLEMS).put({
      position: item.position,
      ...(item.customer ? { customer: item.customer } : { sale: item.sale }),
      queued_at: item.queued_at,
      status: answer.status,
      answer: answer.body,
      refused_at: new Date().toISOString(),
    });
    transaction.objectStore(QUEUE).delete(item.position);
    await committed(transaction);
  }

  async #noteAttempt(item, error) {
    const transaction = this.db.transaction(QUEUE, "readwrite");
    const store = transaction.objectStore(QUEUE);
    const current = await request(store.get(item.position));
    if (current) store.put({ ...current, attempts: current.attempts + 1, last_error: error });
    await committed(transaction);
  }
}

/**
 * What an HTTP answer to a queued sale means for it. 201/200: the server has it (200: booked before,
 * e.g. a retry after a lost answer). 400/409/422: it will never take it as sent — a problem for a
 * person. Anything else (login expired, server error, overload) may pass later: keep it queued.
 */
export function judge(status) {
  if (status === 200 || status === 201) return "acknowledged";
  if (status === 400 || status === 409 || status === 422) return "refused";
  return "retry";
}

function randomHex(length) {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("").slice(0, length);
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("transaction aborted"));
  });
}
