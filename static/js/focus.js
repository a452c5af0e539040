// After a refused form, move keyboard and screen-reader focus to the summary of what to fix.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
