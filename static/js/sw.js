// The checkout's service worker: keeps the register's shell (the checkout page, its CSS and
// JavaScript) so the page loads when the server or the network is down, also after a reload.
// Served at /pos/sw.js, so it controls every page under /pos/. Sales themselves never pass
// through here: the page keeps them in its IndexedDB outbox until the server acknowledges them.

const SHELL_CACHE = "retailpos-shell-v1";
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
    if (cached) return cached;
    throw error;
  }
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
