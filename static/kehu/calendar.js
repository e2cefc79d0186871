// kehu — drag and drop in the calendar's week view (work/templates/work/calendar/week.html).
// An entry is dragged onto another day: the script posts the day to the entry's move URL with the
// page's CSRF token (the body's hx-headers). The server answers 204 (moved: the calendar reloads
// through htmx), 409 with the conflicts as text (the user may confirm: posted again with
// save_anyway=1), or 400/403/404 with the reason, which is shown. No inline script (CSP).
(function () {
  "use strict";

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function reload() {
    const here = window.location.pathname + window.location.search;
    if (window.htmx) { window.htmx.ajax("GET", here, { target: "#calendar", swap: "outerHTML" }); }
    else { window.location.reload(); }
  }

  function move(url, day, saveAnyway) {
    const body = new URLSearchParams({ day: day });
    if (saveAnyway) { body.set("save_anyway", "1"); }
    fetch(url, { method: "POST", body: body, credentials: "same-origin",
                 headers: { "X-CSRFToken": csrfToken() } })
      .then(function (response) {
        if (response.status === 204) { reload(); return null; }
        return response.text().then(function (text) {
          const calendar = document.getElementById("calendar");
          const ask = calendar ? calendar.dataset.saveAnyway : "";
          if (response.status === 409 && !saveAnyway && ask && window.confirm(text + "\n\n" + ask)) {
            move(url, day, true);
          } else if (response.status !== 409 || saveAnyway || !ask) {
            window.alert(text);
          }
        });
      });
  }

  document.addEventListener("dragstart", function (event) {
    const entry = event.target.closest && event.target.closest("[data-move-url]");
    if (entry) { event.dataTransfer.setData("text/plain", entry.dataset.moveUrl); }
  });
  document.addEventListener("dragover", function (event) {
    if (event.target.closest && event.target.closest("[data-drop-day]")) { event.preventDefault(); }
  });
  document.addEventListener("drop", function (event) {
    const day = event.target.closest && event.target.closest("[data-drop-day]");
    const url = event.dataTransfer.getData("text/plain");
    if (day && url && url.indexOf("/move/") > 0) { event.preventDefault(); move(url, day.dataset.dropDay, false); }
  });
})();
