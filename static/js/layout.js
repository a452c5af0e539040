// Page chrome: on narrow screens the main navigation folds behind a "Menu" button. Without this
// script the navigation simply wraps onto several lines.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // After a refused form, keyboard and screen-reader focus go to the summary of what to fix.
  var summary = document.getElementById("error-summary") || document.getElementById("evidence-error-summary");
  if (summary) summary.focus();
  var bar = document.querySelector(".topbar"), toggle = document.querySelector(".menu-toggle");
  if (!bar || !toggle) return;
  toggle.addEventListener("click", function () {
    var open = bar.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
