// The printable receipt page: a Print button, and printing straight away when opened with ?print=1.
document.querySelector("[data-print]")?.addEventListener("click", () => window.print());
if (new URLSearchParams(window.location.search).has("print")) {
  window.addEventListener("load", () => window.print(), { once: true });
}
