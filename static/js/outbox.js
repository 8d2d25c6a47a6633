// The register's outbox: sales rung up while the server was unreachable, kept in IndexedDB until
// the server has acknowledged each one. A sale is written here, with its offline receipt number,
// before its receipt is shown; it leaves only when the server answered 201 (booked) or 200 (booked
// before: a retry whose first answer was lost). A sale the server refuses (409, 400) moves to the
// "sync problems" list, which is kept and can be exported — nothing is ever dropped.
//
// Several tabs of one register share the database: receipt numbers come from one counter in a
// readwrite transaction, and a Web Lock lets only one tab drain at a time. The server's unique
// constraint on the sale id makes a second drain harmless anyway.

const VERSION = 1;
const QUEUE = "queue"; // sales waiting for the server, in the order they were rung up
const PROBLEMS = "problems"; // sales the server refused, with its answer
const META = "meta"; // the install id and the receipt counter

export const OFFLINE_SERIES_MARK = "-OFF-";

/** Open (creating on first use) the outbox of the register with this code. */
export async function openOutbox(registerCode) {
  if (!globalThis.indexedDB) throw new Error("IndexedDB is not available: offline sales cannot be kept");
  const opening = indexedDB.open(`retailpos-outbox-${registerCode}`, VERSION);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    db.createObjectStore(QUEUE, { keyPath: "position", autoIncrement: true });
    db.createObjectStore(PROBLEMS, { keyPath: "position" });
    db.createObjectStore(META);
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
    transaction.objectStore(QUEUE).add({ sale: stored, queued_at: new Date().toISOString(), attempts: 0 });
    await committed(transaction);
    return stored;
  }

  /** The queued sales, oldest first: `[{position, sale, queued_at, attempts, last_error?}]`. */
  pending() {
    return request(this.db.transaction(QUEUE).objectStore(QUEUE).getAll());
  }

  /** What the status bar shows: how many sales wait, since when the oldest, and why it is still here. */
  async status() {
    const store = this.db.transaction(QUEUE).objectStore(QUEUE);
    const [count, oldest] = await Promise.all([request(store.count()), request(store.openCursor())]);
    return {
      count,
      oldestQueuedAt: oldest ? oldest.value.queued_at : null,
      lastError: oldest?.value.last_error ?? null,
    };
  }

  /** How many sales the server refused (the sync problems). */
  problemCount() {
    return request(this.db.transaction(PROBLEMS).objectStore(PROBLEMS).count());
  }

  /** Sales the server refused, with its answer: `[{position, sale, status, answer, refused_at}]`. */
  problems() {
    return request(this.db.transaction(PROBLEMS).objectStore(PROBLEMS).getAll());
  }

  /** The sync problems as a JSON document, for a file the manager can keep or send to support. */
  async exportProblems() {
    const problems = await this.problems();
    return JSON.stringify({ register: this.registerCode, exported_at: new Date().toISOString(), problems }, null, 2);
  }

  /**
   * Send the queued sales in order with `send(sale)`, which resolves to `{status, body}` (an HTTP
   * answer) or rejects (no answer). Stops at the first sale without a definitive answer, to keep
   * the order; the caller retries later, with backoff. Only one tab of the register drains at a
   * time: in another it resolves at once with `{busy: true}`.
   *
   * Resolves to `{sent, refused, waiting, busy}`: acknowledged, moved to the problems, still queued.
   */
  async drain(send) {
    const run = async () => {
      let sent = 0;
      let refused = 0;
      for (const item of await this.pending()) {
        let answer;
        try {
          answer = await send(item.sale);
        } catch (error) {
          await this.#noteAttempt(item, String(error?.message ?? error));
          return { sent, refused, waiting: (await this.status()).count, busy: false };
        }
        const verdict = judge(answer.status);
        if (verdict === "acknowledged") {
          await this.#remove(item);
          sent += 1;
        } else if (verdict === "refused") {
          await this.#moveToProblems(item, answer);
          refused += 1;
        } else {
          await this.#noteAttempt(item, `HTTP ${answer.status}`);
          return { sent, refused, waiting: (await this.status()).count, busy: false };
        }
      }
      return { sent, refused, waiting: 0, busy: false };
    };
    if (!navigator.locks) return run(); // no Web Locks: the server's unique constraint still dedupes
    return navigator.locks.request(
      `retailpos-outbox-drain-${this.registerCode}`,
      { ifAvailable: true },
      async (lock) => (lock ? run() : { sent: 0, refused: 0, waiting: (await this.status()).count, busy: true }),
    );
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
      sale: item.sale,
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
