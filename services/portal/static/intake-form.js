// The window's intake form: the materials still missing for the chosen items, kept up to date
// as boxes are ticked, and the identity number and phone checked while typed by the server's
// own validators (/ui/check/...), so the page and the API never disagree. Without this script
// the form still works: the server checks everything on submission.
"use strict";
(() => {
  const form = document.getElementById("intake-form");
  const data = document.getElementById("catalogue");
  if (!form || !data) { return; }
  const catalogue = JSON.parse(data.textContent);
  const text = catalogue.text;
  const missingList = document.getElementById("missing");

  const ticked = (name) =>
    Array.from(form.querySelectorAll(`input[name="${name}"]:checked`), (box) => box.value);

  function missing() {
    const brought = new Set(ticked("materials"));
    const needs = new Map();
    for (const code of ticked("items")) {
      const item = catalogue.items[code];
      for (const material of (item ? item.required : [])) {
        const known = catalogue.materials[material];
        if (brought.has(material) || !known || known.verifiable) { continue; }
        if (!needs.has(material)) { needs.set(material, []); }
        needs.get(material).push(item.name);
      }
    }
    return needs;
  }

  function showMissing() {
    const needs = missing();
    const lines = [];
    for (const [code, items] of needs) {
      const line = document.createElement("li");
      line.className = "missing";
      line.textContent = catalogue.materials[code].name
        + text.missing_for.replace("{items}", items.join("、"));
      lines.push(line);
    }
    if (!lines.length) {
      const line = document.createElement("li");
      line.textContent = ticked("items").length ? text.none_missing : text.choose_items;
      lines.push(line);
    }
    missingList.replaceChildren(...lines);
  }

  function mark(input, ok, reason) {
    const message = document.getElementById(`err-${input.name}`);
    if (ok === null) {
      input.removeAttribute("aria-invalid");
      message.textContent = "";
      message.className = "field-error";
      return;
    }
    input.setAttribute("aria-invalid", ok ? "false" : "true");
    message.textContent = ok ? text.looks_valid : reason;
    message.className = ok ? "field-ok" : "field-error";
  }

  function checker(input) {
    let timer = 0;
    let asked = 0;
    return () => {
      window.clearTimeout(timer);
      const value = input.value.trim();
      if (!value) { mark(input, null, ""); return; }
      timer = window.setTimeout(async () => {
        const mine = ++asked;
        try {
          const answer = await fetch(`${input.dataset.check}?value=${encodeURIComponent(value)}`,
            { headers: { Accept: "application/json" }, credentials: "same-origin" });
          if (!answer.ok) { return; }
          const result = await answer.json();
          // An older answer arriving after a newer question is dropped.
          if (mine === asked) { mark(input, result.ok, result.reason); }
        } catch (error) {
          // Offline or signed out: the server checks the field on submission anyway.
        }
      }, 400);
    };
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "items" || event.target.name === "materials") { showMissing(); }
  });
  for (const input of form.querySelectorAll("input[data-check]")) {
    const check = checker(input);
    input.addEventListener("input", check);
    if (input.value.trim() && input.getAttribute("aria-invalid") !== "true") { check(); }
  }
  showMissing();
})();
