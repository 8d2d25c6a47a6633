// A register's live feed: the websocket /ws/registers/<code>/ for what changes now, the catalogue
// endpoint for what the websocket missed. Pushes can be dropped (a restart, a network blip, a
// message lost between processes), so on every (re)connect the feed first asks for the changes
// since its cursor. While the server is away it reconnects with exponential backoff and jitter.
//
// It keeps the offline catalogue (catalog-store.js) current and tells the page, as events on
// `target`:
//   live:status    {state: "connecting" | "live" | "reconnecting" | "off" (no websocket here)}
//   live:caught-up {cursor}: the page and the offline catalogue have every change up to the cursor
//   live:products  {products: [{id, on_hand?, sku?, barcode?, name?, price?, tax_code?, tax_rate?, active?}]}
//                  a stock push carries only id and on_hand, a pushed product change no on_hand.

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 30_000;
const SNAPSHOT_PAGE_SIZE = 5000;

/** Wait before reconnect attempt `attempt` (0, 1, …): 0.5 s doubling up to 30 s, half of it random. */
export function reconnectDelay(attempt, random = Math.random) {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** attempt);
  // Random in [ceiling/2, ceiling]: registers cut off together do not all come back at once.
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * Start the feed. `socketUrl`: the websocket path, or null where the server has none (the catalogue
 * is then brought up to date once). `cursor`: the catalogue cursor the page was rendered at.
 * `catalog`: a CatalogStore, or null (the page is kept current all the same).
 */
export function startLiveUpdates({ socketUrl, catalogUrl, cursor, catalog = null, target = document }) {
  let pageCursor = cursor;
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let stopped = false;
  let queue = Promise.resolve();

  const emit = (type, detail) => target.dispatchEvent(new CustomEvent(type, { detail }));
  const showStatus = (state) => emit("live:status", { state });

  // Catching up and storing run one at a time, in arrival order: a push that arrives while the
  // changes are being fetched is applied again after them, so an older answer never wins.
  function inTurn(task) {
    queue = queue.then(task).catch((error) => console.warn("Live updates:", error));
    return queue;
  }

  function received(message) {
    if (message.type === "catalog.changed") {
      inTurn(catchUp);
      return;
    }
    let products;
    if (message.type === "stock.updated") {
      products = message.levels.map((level) => ({ id: level.product, on_hand: level.on_hand }));
    } else if (message.type === "catalog.updated") {
      products = message.products;
    } else {
      return;
    }
    emit("live:products", { products }); // shown at once, not behind a long first load
    inTurn(async () => {
      emit("live:products", { products });
      await toCatalog((store) =>
        message.type === "stock.updated" ? store.putStockLevels(message.levels) : store.bulkPut(message.products),
      );
    });
  }

  // A catalogue that cannot be written (storage full, IndexedDB broken) is given up, not the page.
  async function toCatalog(write) {
    if (!catalog) return undefined;
    try {
      return await write(catalog);
    } catch (error) {
      console.warn("Live updates: offline catalogue given up", error);
      catalog = null;
      return undefined;
    }
  }

  // The changes since what the page and the stored catalogue know; a fresh catalogue then loads
  // every product. Several tabs of one store share the catalogue: one of them writes at a time.
  async function catchUp() {
    await exclusively(async () => {
      const storedCursor = await toCatalog((store) => store.getCursor());
      const since = earliest(pageCursor, storedCursor);
      if (since) {
        const next = await fetchPages(withParams(catalogUrl, { since }), async (products) => {
          emit("live:products", { products });
          if (storedCursor) await toCatalog((store) => store.bulkPut(products));
        });
        pageCursor = next;
        if (storedCursor) await toCatalog((store) => store.setCursor(next));
      }
      if (catalog && !storedCursor) await loadSnapshot();
    });
    emit("live:caught-up", { cursor: pageCursor });
  }

  async function loadSnapshot() {
    await toCatalog((store) => store.clear());
    const pages = withParams(catalogUrl, { limit: SNAPSHOT_PAGE_SIZE });
    const next = await fetchPages(pages, async (products) => {
      await toCatalog((store) => store.bulkPut(products, { merge: false }));
      return catalog !== null; // given up: no need for the other pages
    });
    // Only now: an interrupted load starts again from scratch.
    if (next) await toCatalog((store) => store.setCursor(next));
  }

  function exclusively(task) {
    if (!catalog || !navigator.locks) return task();
    return navigator.locks.request(`catalog-sync:${catalog.name}`, task);
  }

  function connect() {
    retryTimer = null;
    showStatus(attempt === 0 ? "connecting" : "reconnecting");
    const url = new URL(socketUrl, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(url);
    socket.onopen = () => {
      attempt = 0;
      showStatus("live");
      inTurn(catchUp);
    };
    socket.onmessage = (event) => {
      try {
        received(JSON.parse(event.data));
      } catch (error) {
        console.warn("Live updates: unreadable message", error);
      }
    };
    // A refused handshake (logged out, register deactivated) looks the same as a server that is
    // away: both retry, at most every 30 s; the page's next request leads to the login anyway.
    socket.onclose = () => {
      socket = null;
      if (stopped) return;
      showStatus("reconnecting");
      retryTimer = setTimeout(connect, reconnectDelay(attempt++));
    };
  }

  // The network is back: no need to sit out the rest of a long backoff.
  function onOnline() {
    if (retryTimer === null) return;
    clearTimeout(retryTimer);
    attempt = 0;
    connect();
  }

  if (socketUrl) {
    window.addEventListener("online", onOnline);
    connect();
  } else {
    showStatus("off");
    inTurn(catchUp);
  }

  return {
    stop() {
      stopped = true;
      window.removeEventListener("online", onOnline);
      clearTimeout(retryTimer);
      socket?.close();
    },
  };
}

// Follow `next` to the last page; the cursor to keep, or null when `eachPage` said stop.
async function fetchPages(url, eachPage) {
  let cursor = null;
  while (url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) throw new Error(`catalogue answered ${response.status}`);
    const page = await response.json();
    if ((await eachPage(page.products)) === false) return null;
    cursor = page.cursor;
    url = page.next;
  }
  return cursor;
}

function withParams(url, params) {
  const full = new URL(url, window.location.href);
  for (const [name, value] of Object.entries(params)) full.searchParams.set(name, value);
  return full;
}

// Cursors are ISO times; compare them as times (the text may or may not carry microseconds).
function earliest(...cursors) {
  const known = cursors.filter(Boolean);
  if (!known.length) return null;
  return known.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
}
