// The register's offline copy of the loyalty customers, in IndexedDB: what GET /api/v1/customers/
// gives (id, name, phone, card_number, points_balance), and the cursor to ask what changed since.
// The checkout page brings it up to date on load and whenever it catches up with the server; offline,
// a scanned loyalty card, a phone number or a name finds its customer here and the cached balance is
// shown (as of the cursor). A customer added offline is kept here too (`pending: true`, no card
// number yet) until the outbox has synced it (outbox.js).

import { customerMatches, normalisePhone } from "./loyalty.js";

export { looksLikeCardNumber } from "./loyalty.js";

const VERSION = 2;
const CUSTOMERS = "customers";
const META = "meta";
const SEARCH_LIMIT = 10;

/** Open (creating on first use) the customer copy called `name`. */
export async function openCustomerStore(name) {
  if (!globalThis.indexedDB) throw new Error("IndexedDB is not available");
  const opening = indexedDB.open(name, VERSION);
  opening.onupgradeneeded = (event) => {
    const db = opening.result;
    if (event.oldVersion < 1) {
      const customers = db.createObjectStore(CUSTOMERS, { keyPath: "id" });
      customers.createIndex("card_number", "card_number", { unique: true });
      db.createObjectStore(META);
    }
    if (event.oldVersion < 2) {
      // Phones are stored normalised (server and loyalty.js alike): a phone typed offline is looked up as is.
      opening.transaction.objectStore(CUSTOMERS).createIndex("phone", "phone");
    }
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

  /** The customer with this phone (normalised here), or null. */
  async findByPhone(phone) {
    const normalised = normalisePhone(phone);
    if (!normalised) return null;
    return (await this.#read(CUSTOMERS, (store) => store.index("phone").get(normalised))) ?? null;
  }

  get(id) {
    return this.#read(CUSTOMERS, (store) => store.get(id)).then((found) => found ?? null);
  }

  /**
   * Customers matching what the cashier typed, as the server's search (loyalty/selectors.py):
   * card number exactly, name anywhere, phone by its subscriber digits; by name, at most `limit`.
   */
  search(query, { limit = SEARCH_LIMIT } = {}) {
    const found = [];
    const transaction = this.db.transaction(CUSTOMERS, "readonly");
    const cursor = transaction.objectStore(CUSTOMERS).openCursor();
    return new Promise((resolve, reject) => {
      cursor.onsuccess = () => {
        const current = cursor.result;
        // A few more than shown, so the ones shown are the first by name among many.
        if (!current || found.length >= limit * 5) {
          found.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
          resolve(found.slice(0, limit));
          return;
        }
        if (customerMatches(current.value, query)) found.push(current.value);
        current.continue();
      };
      cursor.onerror = () => reject(cursor.error);
    });
  }

  /** Keep a customer added offline (or as the server answered for one): usable at once. */
  put(customer) {
    return this.#write(CUSTOMERS, (store) => store.put(customer));
  }

  remove(id) {
    return this.#write(CUSTOMERS, (store) => store.delete(id));
  }

  /** A customer added offline turned out to be `existing` on the server (same phone): keep that one only. */
  replace(offlineId, existing) {
    return this.#write(CUSTOMERS, (store) => {
      store.delete(offlineId);
      store.put(existing);
    });
  }

  /** Points redeemed offline on this register: the copy's balance follows until the server's comes back. */
  lowerBalance(id, points) {
    return this.#write(CUSTOMERS, (store) => {
      const reading = store.get(id);
      reading.onsuccess = () => {
        if (reading.result) store.put({ ...reading.result, points_balance: reading.result.points_balance - points });
      };
    });
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
