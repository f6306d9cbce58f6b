// OneDoor screens: small progressive enhancement; every page works without it.
"use strict";
document.addEventListener("click", (event) => {
  const printer = event.target.closest("[data-print]");
  if (printer) { event.preventDefault(); window.print(); }
  const asker = event.target.closest("[data-confirm]");
  if (asker && !window.confirm(asker.dataset.confirm)) { event.preventDefault(); }
});
