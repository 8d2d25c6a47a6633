// The checkout's service worker: keeps the register's shell (the checkout page, its CSS and
// JavaScript) so the page loads when the server or the network is down, also after a reload.
// Served at /pos/sw.js, so it controls every page under /pos/. Sales themselves never pass
// through here: the page keeps them in its IndexedDB outbox until the server acknowledges them.
//
// What it keeps: every checkout page it served, every static file fetched through it, and what a
// page asks it to keep ("cache-shell": the page and the files it loaded before this worker
// controlled it — offline-register.js asks on every load, so new modules are kept without a list
// here). A page served from the cache is marked data-page-source="cache": the sale in that copy is
// as old as the copy, and the register must not take it for the current one.

const SHELL_CACHE = "retailpos-shell-v2";
const PAGE_SOURCE_NETWORK = 'data-page-source="network"';
const PAGE_SOURCE_CACHE = 'data-page-source="cache"';
const NAVIGATION_TIMEOUT_MS = 4000; // a server that accepts but never answers counts as down

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("retailpos-shell-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/pos/")) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cachedThenRefreshed(event, request));
  }
  // Everything else (API reads, htmx fragments, websockets) goes to the network as usual.
});

// Pages: always the server's latest while it answers; the last good copy when it does not.
async function networkFirst(request) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS);
    // Only a page the cashier could use: not a redirect to the login, not an error page.
    if (response.ok && !response.redirected) await cache.put(pageKey(request), response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(pageKey(request));
    if (cached) return markedAsCached(cached);
    throw error;
  }
}

async function markedAsCached(response) {
  const html = (await response.text()).replace(PAGE_SOURCE_NETWORK, PAGE_SOURCE_CACHE);
  const headers = new Headers(response.headers);
  headers.delete("Content-Length"); // the body changed
  return new Response(html, { status: response.status, statusText: response.statusText, headers });
}

// A page asks to keep what it loaded: {type: "cache-shell", urls}; answers on the message's port
// with {cached: true} once all of it is kept, else {cached: false, missing: [urls]}.
self.addEventListener("message", (event) => {
  if (event.data?.type !== "cache-shell") return;
  event.waitUntil(
    keepShell(event.data.urls).then((missing) => event.ports[0]?.postMessage({ cached: !missing.length, missing })),
  );
});

async function keepShell(urls) {
  const cache = await caches.open(SHELL_CACHE);
  const missing = [];
  for (const text of urls) {
    const url = new URL(text, self.location.origin);
    if (url.origin !== self.location.origin) continue;
    const isPage = url.pathname.startsWith("/pos/");
    if (!isPage && !url.pathname.startsWith("/static/")) continue;
    const key = isPage ? url.origin + url.pathname : url.href;
    if (await cache.match(key)) continue;
    try {
      const response = await fetch(key, { credentials: "same-origin", cache: "no-cache" });
      // As for pages: only one the cashier could use (not the login it redirects to, not an error).
      if (response.ok && !response.redirected) await cache.put(key, response);
      else missing.push(key);
    } catch {
      missing.push(key);
    }
  }
  return missing;
}

// Static files: answer from the cache at once and refresh it in the background.
async function cachedThenRefreshed(event, request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request);
  const refreshed = fetch(request).then(async (response) => {
    if (response.ok) await cache.put(request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refreshed.catch(() => {}));
    return cached;
  }
  return refreshed;
}

// A page is kept by its path: the query string (e.g. a cache-buster) does not make a new copy.
function pageKey(request) {
  const url = new URL(request.url);
  return url.origin + url.pathname;
}

function withTimeout(promise, milliseconds) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), milliseconds);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
