// kehu — small behaviours, no inline script (strict CSP).
(function () {
  "use strict";

  // Numbers in charts as the server writes them on the page (12,345 and 1,234.5 in both languages,
  // kehu/formats/zh_Hans/formats.py): ECharts groups a value axis but not labels and tooltips.
  // The page scripts (home.js, segmentation.js, insights.js) load after this one.
  const lang = document.documentElement.lang === "zh-hans" ? "zh-CN" : (document.documentElement.lang || "en");
  const numberFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 2, useGrouping: true });
  window.kehuNumber = function (value) {
    return typeof value === "number" && isFinite(value) ? numberFormat.format(value) : value;
  };

  // Bulk bar of the customer list: "3 selected" as checkboxes change.
  function updateSelectedCount() {
    const hint = document.querySelector("[data-selected-count]");
    if (!hint) { return; }
    const n = document.querySelectorAll("#bulk-form input[name=ids]:checked").length;
    hint.textContent = n ? hint.dataset.some.replace("%(count)s", String(n)) : hint.dataset.none;
    hint.classList.toggle("active", n > 0);
  }

  document.addEventListener("click", function (event) {
    // Hide the header search results when clicking elsewhere.
    const box = document.getElementById("search-results");
    if (box && !event.target.closest(".globalsearch")) { box.innerHTML = ""; }
    // "Select all" checkbox for bulk actions.
    const all = event.target.closest("[data-select-all]");
    if (all) {
      document.querySelectorAll(all.dataset.selectAll).forEach(function (cb) { cb.checked = all.checked; });
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("#bulk-form input[type=checkbox]")) { updateSelectedCount(); }
    if (event.target.matches("[data-kind-select]")) { showKind(event.target.closest("form")); }
  });

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); }
  });

  // Header search: Escape closes the dropdown.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.id === "global-search") {
      const box = document.getElementById("search-results");
      if (box) { box.innerHTML = ""; }
    }
  });

  // Customer form: show the person or the organisation part for the chosen type. A part holding
  // an error stays visible so that the message is never hidden.
  function showKind(form) {
    if (!form) { return; }
    const select = form.querySelector("[data-kind-select]");
    if (!select) { return; }
    form.querySelectorAll("fieldset[data-kind]").forEach(function (fs) {
      fs.hidden = fs.dataset.kind !== select.value && !fs.querySelector(".has-error");
    });
    // Labels that depend on the type (a person's mobile, an organisation's landline).
    form.querySelectorAll("[data-kind-labels]").forEach(function (input) {
      const text = JSON.parse(input.dataset.kindLabels)[select.value];
      const label = input.id ? form.querySelector('label[for="' + input.id + '"]') : null;
      if (label && text) { label.textContent = text; }
    });
  }

  // On a narrow screen the main menu scrolls sideways: bring the current page's item into view.
  function showCurrentMenuItem() {
    const current = document.querySelector(".mainnav [aria-current=page]");
    if (!current) { return; }
    const nav = current.parentElement;
    const right = current.getBoundingClientRect().right - nav.getBoundingClientRect().right;
    if (right > 0) { nav.scrollLeft += right + 16; }
  }

  function init() {
    document.querySelectorAll("form[data-kind-form]").forEach(showKind);
    showCurrentMenuItem();
    updateSelectedCount();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
