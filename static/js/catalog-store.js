// The register's offline catalogue in IndexedDB: every product of its store as the catalogue
// endpoint (GET /api/v1/registers/<code>/catalog/) gives it, and the cursor to ask it what changed
// since. live.js fills it (first load, deltas, websocket pushes); whatever must work without the
// server (offline scanning and search) reads it.
//
// A product: {id, sku, barcode, name, price, tax_code, tax_rate, active, on_hand}. Amounts, rates
// and quantities stay the strings the server sent (never floats); on_hand is null until known.
// Sized for 100k products: writes go in chunks of one transaction each, and a scan finds its product
// through an index (barcode, upper-cased SKU). Search matches substrings, which no index serves:
// it scans a compact copy of the searched fields in memory (~10 ms for 100k, where reading 100k
// records from IndexedDB takes seconds), read once on the first search (~15 MB for 100k) and kept
// current by this store's writes and, through a BroadcastChannel, those of other tabs.

const VERSION = 1;
const PRODUCTS = "products";
const META = "meta";
const WRITE_CHUNK = 2000; // products per transaction: big enough to be fast, small enough not to stall
const REREAD_LIMIT = 5000; // another tab changed more than this: read the search fields again on demand

/** Open (creating on first use) the catalogue called `name`, e.g. one per store. */
export async function openCatalogStore(name) {
  if (!globalThis.indexedDB) throw new Error("IndexedDB is not available");
  const opening = indexedDB.open(name, VERSION);
  opening.onupgradeneeded = (event) => {
    const db = opening.result;
    if (event.oldVersion < 1) {
      const products = db.createObjectStore(PRODUCTS, { keyPath: "id" });
      products.createIndex("barcode", "barcode"); // products without a barcode are left out
      products.createIndex("sku_upper", "sku_upper");
      db.createObjectStore(META);
    }
  };
  const db = await done(opening);
  // Another tab upgrading the schema waits for this one to let go.
  db.onversionchange = () => db.close();
  return new CatalogStore(name, db);
}

export class CatalogStore {
  #searchable = null; // id → the searched fields of every product, once a search needed them
  #loading = null; // the first search reading them
  #writtenWhileLoading = null;
  #generation = 0; // counts clears: fields read before one are thrown away
  #channel;

  constructor(name, db) {
    this.name = name;
    this.db = db;
    this.#channel = new BroadcastChannel(`catalog-store:${name}`);
    this.#channel.onmessage = (event) => this.#changedElsewhere(event.data.ids).catch(() => this.#forgetSearchable());
  }

  close() {
    this.#channel.close();
    this.db.close();
  }

  /**
   * Store products. Each one's fields replace the stored ones; fields it lacks are kept (a pushed
   * `catalog.updated` product has no on_hand). `merge: false` skips reading what is stored: for
   * filling an empty catalogue.
   */
  async bulkPut(products, { merge = true } = {}) {
    for (let start = 0; start < products.length; start += WRITE_CHUNK) {
      const chunk = products.slice(start, start + WRITE_CHUNK);
      const written = [];
      await this.#write((store) => {
        for (const product of chunk) {
          if (!merge) {
            written.push(toRecord({ on_hand: null, ...product }));
            store.put(written.at(-1));
            continue;
          }
          store.get(Number(product.id)).onsuccess = (event) => {
            written.push(toRecord({ on_hand: null, ...event.target.result, ...product }));
            store.put(written.at(-1));
          };
        }
      });
      this.#remember(written);
      this.#channel.postMessage({ ids: written.map((record) => record.id) });
    }
  }

  /** New balances from `stock.updated` ({product, on_hand}); products not stored are skipped. */
  async putStockLevels(levels) {
    for (let start = 0; start < levels.length; start += WRITE_CHUNK) {
      const chunk = levels.slice(start, start + WRITE_CHUNK);
      await this.#write((store) => {
        for (const level of chunk) {
          store.get(Number(level.product)).onsuccess = (event) => {
            const stored = event.target.result;
            if (stored) store.put({ ...stored, on_hand: level.on_hand });
          };
        }
      });
    }
  }

  /** The product with this id, active or not, or null. */
  async get(id) {
    const record = await done(this.#read(PRODUCTS).get(Number(id)));
    return record ? toProduct(record) : null;
  }

  /** Active products with exactly this barcode (by name, then id). */
  async findByBarcode(barcode) {
    return activeInOrder(await done(this.#read(PRODUCTS).index("barcode").getAll(String(barcode))));
  }

  /** Active products with this SKU in any case (by name, then id). */
  async findBySku(sku) {
    return activeInOrder(await done(this.#read(PRODUCTS).index("sku_upper").getAll(String(sku).toUpperCase())));
  }

  /** What a scan of `code` adds, as the server decides: barcode or SKU matches, first by name, then id. */
  async findByCode(code) {
    code = String(code).trim();
    if (!code) return null;
    const products = this.#read(PRODUCTS);
    const [byBarcode, bySku] = await Promise.all([
      done(products.index("barcode").getAll(code)),
      done(products.index("sku_upper").getAll(code.toUpperCase())),
    ]);
    return activeInOrder([...byBarcode, ...bySku])[0] ?? null;
  }

  /**
   * Active products whose name contains `query` (any case) or whose SKU or barcode starts with it,
   * ordered by name then id, at most `limit`: the server's search.
   */
  async search(query, { limit = 20 } = {}) {
    query = String(query).trim();
    if (!query) return [];
    const needle = query.toLowerCase();
    const skuPrefix = query.toUpperCase();
    const matches = [];
    for (const entry of (await this.#searchableFields()).values()) {
      if (!entry.active) continue;
      if (entry.name_lower.includes(needle) || entry.sku_upper.startsWith(skuPrefix) || entry.barcode?.startsWith(query)) {
        matches.push(entry);
      }
    }
    matches.sort(byNameThenId);
    const products = this.#read(PRODUCTS);
    const records = await Promise.all(matches.slice(0, limit).map((entry) => done(products.get(entry.id))));
    return records.filter(Boolean).map(toProduct);
  }

  async count() {
    return done(this.#read(PRODUCTS).count());
  }

  /** The cursor the stored products are current as of (null: nothing loaded yet). */
  async getCursor() {
    return (await done(this.#read(META).get("cursor"))) ?? null;
  }

  async setCursor(cursor) {
    const transaction = this.db.transaction(META, "readwrite");
    transaction.objectStore(META).put(cursor, "cursor");
    await committed(transaction);
  }

  /** Forget every product and the cursor (the next load starts from a full snapshot). */
  async clear() {
    const transaction = this.db.transaction([PRODUCTS, META], "readwrite");
    transaction.objectStore(PRODUCTS).clear();
    transaction.objectStore(META).delete("cursor");
    await committed(transaction);
    this.#forgetSearchable();
    this.#channel.postMessage({ ids: null });
  }

  async #searchableFields() {
    while (!this.#searchable) {
      this.#loading ??= this.#loadSearchable();
      await this.#loading;
    }
    return this.#searchable;
  }

  async #loadSearchable() {
    const generation = this.#generation;
    this.#writtenWhileLoading = [];
    try {
      const records = await done(this.#read(PRODUCTS).getAll());
      if (generation !== this.#generation) return; // cleared meanwhile: read again
      const fields = new Map(records.map((record) => [record.id, searchFields(record)]));
      // Written after that read began: the read may or may not have seen them.
      for (const record of this.#writtenWhileLoading) fields.set(record.id, searchFields(record));
      this.#searchable = fields;
    } finally {
      this.#writtenWhileLoading = null;
      this.#loading = null;
    }
  }

  #remember(records) {
    for (const record of records) {
      this.#writtenWhileLoading?.push(record);
      this.#searchable?.set(record.id, searchFields(record));
    }
  }

  #forgetSearchable() {
    this.#generation += 1;
    this.#searchable = null;
  }

  // Another tab wrote these products (null: it cleared them all).
  async #changedElsewhere(ids) {
    if (!this.#searchable && !this.#loading) return;
    if (ids === null || ids.length > REREAD_LIMIT) {
      this.#forgetSearchable();
      return;
    }
    const products = this.#read(PRODUCTS);
    const records = await Promise.all(ids.map((id) => done(products.get(id))));
    this.#remember(records.filter(Boolean));
  }

  #read(storeName) {
    return this.db.transaction(storeName, "readonly").objectStore(storeName);
  }

  // Product writes may be lost in a power cut (relaxed durability: much faster for 100k); the
  // cursor is written with default durability after them, so it never runs ahead of the products.
  async #write(fill) {
    const transaction = this.db.transaction(PRODUCTS, "readwrite", { durability: "relaxed" });
    fill(transaction.objectStore(PRODUCTS));
    await committed(transaction);
  }
}

function toRecord(product) {
  const record = { ...product, id: Number(product.id) };
  record.sku_upper = String(record.sku ?? "").toUpperCase();
  record.name_lower = String(record.name ?? "").toLowerCase();
  if (record.barcode == null || record.barcode === "") delete record.barcode; // keeps it out of the index
  return record;
}

function toProduct(record) {
  const { sku_upper, name_lower, ...product } = record;
  return { barcode: null, ...product };
}

function searchFields(record) {
  const { id, name_lower, sku_upper, barcode, active } = record;
  return { id, name_lower, sku_upper, barcode, active };
}

function byNameThenId(a, b) {
  return a.name_lower < b.name_lower ? -1 : a.name_lower > b.name_lower ? 1 : a.id - b.id;
}

function activeInOrder(records) {
  const unique = new Map(records.filter((record) => record.active).map((record) => [record.id, record]));
  return [...unique.values()].sort(byNameThenId).map(toProduct);
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"));
  });
}
