// kehu — small behaviours, no inline script (strict CSP).
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
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); }
});
