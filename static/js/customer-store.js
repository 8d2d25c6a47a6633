// The register's offline copy of the loyalty customers, in IndexedDB: what GET /api/v1/customers/
// gives (id, name, phone, card_number, points_balance), and the cursor to ask what changed since.
// The checkout page brings it up to date on load and whenever it catches up with the server; offline,
// a scanned loyalty card finds its customer here and the cached balance is shown (as of the cursor).

const VERSION = 1;
const CUSTOMERS = "customers";
const META = "meta";

/** Open (creating on first use) the customer copy called `name`. */
export async function openCustomerStore(name) {
  if (!globalThis.indexedDB) throw new Error("IndexedDB is not available");
  const opening = indexedDB.open(name, VERSION);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    const customers = db.createObjectStore(CUSTOMERS, { keyPath: "id" });
    customers.createIndex("card_number", "card_number", { unique: true });
    db.createObjectStore(META);
  };
  const db = await done(opening);
  db.onversionchange = () => db.close();
  return new CustomerStore(name, db);
}

export class CustomerStore {
  constructor(name, db) {
    this.name = name;
    this.db = db;
  }

  close() {
    this.db.close();
  }

  /** The customers changed since the stored cursor (all of them the first time); anonymised ones go. */
  async sync(url) {
    const run = async () => {
      const since = await this.#read(META, (store) => store.get("cursor"));
      let next = since ? withParams(url, { since }) : url;
      let cursor = null;
      while (next) {
        const response = await fetch(next, { headers: { Accept: "application/json" }, cache: "no-store" });
        if (!response.ok) throw new Error(`customers answered ${response.status}`);
        const page = await response.json();
        await this.#write(CUSTOMERS, (store) => {
          for (const customer of page.customers) {
            if (customer.anonymised) store.delete(customer.id);
            else store.put(customer);
          }
        });
        cursor = page.cursor;
        next = page.next;
      }
      if (cursor) {
        await this.#write(META, (store) => {
          store.put(cursor, "cursor");
          store.put(new Date().toISOString(), "synced_at");
        });
      }
    };
    // Several tabs of one register share the copy: one of them writes at a time.
    return navigator.locks ? navigator.locks.request(`customer-sync:${this.name}`, run) : run();
  }

  /** The customer with this card number, or null. */
  findByCard(cardNumber) {
    return this.#read(CUSTOMERS, (store) => store.index("card_number").get(cardNumber)).then((found) => found ?? null);
  }

  /** When the copy was last brought up to date (ISO 8601), or null. */
  syncedAt() {
    return this.#read(META, (store) => store.get("synced_at")).then((value) => value ?? null);
  }

  #read(storeName, action) {
    const transaction = this.db.transaction(storeName, "readonly");
    return done(action(transaction.objectStore(storeName)));
  }

  #write(storeName, action) {
    const transaction = this.db.transaction(storeName, "readwrite");
    action(transaction.objectStore(storeName));
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new Error("aborted"));
    });
  }
}

// A loyalty card of ours: 10 digits starting with 8 and a GS1 check digit (loyalty/rules.py).
export function looksLikeCardNumber(code) {
  if (!/^8\d{9}$/.test(code)) return false;
  const digits = code.slice(0, -1);
  let total = 0;
  [...digits].reverse().forEach((digit, index) => {
    total += Number(digit) * (index % 2 === 0 ? 3 : 1);
  });
  return (10 - (total % 10)) % 10 === Number(code.at(-1));
}

function withParams(url, params) {
  const result = new URL(url, window.location.href);
  for (const [key, value] of Object.entries(params)) result.searchParams.set(key, value);
  return result.toString();
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
