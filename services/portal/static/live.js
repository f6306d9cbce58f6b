// The application page kept live: the server sends "changed" (server-sent events) when a
// department acts; the page's parts section is fetched again and swapped in, and the change
// is announced politely to screen readers. Without JavaScript the page simply stays as loaded.
"use strict";
(() => {
  const parts = document.getElementById("parts");
  const status = document.getElementById("live-status");
  if (!parts || !parts.dataset.events || !window.EventSource) { return; }
  const source = new EventSource(parts.dataset.events);
  let fetching = null;
  source.addEventListener("changed", (event) => {
    let said = "";
    try { said = JSON.parse(event.data).announce || ""; } catch (_) { said = ""; }
    if (fetching) { fetching.abort(); }
    fetching = new AbortController();
    fetch(parts.dataset.part, { credentials: "same-origin", signal: fetching.signal,
                                headers: { "Accept": "text/html" } })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        parts.innerHTML = html;
        if (status && said) { status.className = "notice"; status.textContent = said; }
      })
      .catch(() => { /* the next change, or a reload, brings the page up to date */ });
  });
  window.addEventListener("pagehide", () => source.close());
})();
