// Review page: per-answer flags and evidence verdicts are saved in place (no reload of the
// whole page). Without this script every form still works by a normal post and redirect.
(function () {
  "use strict";
  function status(form, text, ok) {
    var el = form.querySelector(".inplace-status");
    if (el) { el.textContent = text; el.className = "inplace-status small " + (ok ? "ok" : "error"); }
  }
  function applyAnswer(form, data) {
    var row = form.closest("tr");
    row.dataset.reviewState = data.state;
    var mark = row.querySelector(".flag-mark");
    if (mark) {
      mark.textContent = "";
      if (data.state === "flagged") {
        mark.appendChild(document.createElement("br"));
        var s = document.createElement("strong"); s.className = "error"; s.textContent = "⚑ flagged";
        mark.appendChild(s);
        if (data.note) { var n = document.createElement("span"); n.className = "muted"; n.textContent = " " + data.note; mark.appendChild(n); }
      }
    }
  }
  function applyEvidence(form, data) {
    var cell = form.closest("tr").querySelector(".ev-status");
    if (cell) { cell.textContent = data.verification_label; }
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.inplace || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    status(form, "Saving…", true);
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (!res.ok) { status(form, res.data.error ? res.data.error.message : "Not saved.", false); return; }
      if (form.dataset.inplace === "answer") applyAnswer(form, res.data);
      if (form.dataset.inplace === "evidence") applyEvidence(form, res.data);
      status(form, res.data.message || "Saved.", true);
    }).catch(function () {
      form.submit(); // the network or the session failed: fall back to the normal post
    }).then(function () { if (button) button.disabled = false; });
  });
})();
