// Evidence upload forms (assessment and certificate library): sent with fetch so that a refused
// upload keeps the chosen file and every other field, with each error shown beside its field.
// Certificate-only details are hidden for kinds that are not certificates. Without this script
// the forms post normally and the page comes back with the errors beside the fields.
(function () {
  "use strict";
  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".js-error"), function (n) { n.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll(".has-error"), function (n) { n.classList.remove("has-error"); });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (n) { n.removeAttribute("aria-invalid"); n.removeAttribute("aria-describedby"); });
  }
  function showErrors(form, prefix, body) {
    var fields = (body.error && body.error.fields) || {};
    var summary = document.createElement("div");
    summary.className = "flash flash-error js-error"; summary.setAttribute("role", "alert"); summary.tabIndex = -1;
    summary.id = prefix + "-error-summary";
    var strong = document.createElement("strong"); strong.textContent = body.error ? body.error.message : "The file was not uploaded.";
    var ul = document.createElement("ul");
    summary.appendChild(strong); summary.appendChild(ul);
    Object.keys(fields).forEach(function (name) {
      var input = document.getElementById(prefix + "-" + name);
      var li = document.createElement("li"), a = document.createElement("a");
      var label = input && input.labels && input.labels[0] ? input.labels[0].textContent.trim() : name;
      a.href = "#" + prefix + "-" + name; a.textContent = label;
      li.appendChild(a); li.appendChild(document.createTextNode(": " + fields[name])); ul.appendChild(li);
      if (!input) return;
      var wrap = input.closest(".field") || input.parentNode;
      wrap.classList.add("has-error");
      var p = document.createElement("p"); p.className = "error js-error"; p.id = input.id + "-err"; p.textContent = fields[name];
      wrap.appendChild(p);
      input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", p.id);
    });
    form.insertBefore(summary, form.firstChild);
    summary.focus();
  }
  function toggleCertificate(form) {
    var kind = form.querySelector("select[name$='-kind']"), box = form.querySelector(".cert-details");
    if (!kind || !box) return;
    var certs = (box.dataset.certificateKinds || "").split(" ");
    box.hidden = kind.value !== "" && certs.indexOf(kind.value) < 0;
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-upload-prefix]"), function (form) {
    var prefix = form.dataset.uploadPrefix;
    var kind = form.querySelector("select[name$='-kind']");
    if (kind) { kind.addEventListener("change", function () { toggleCertificate(form); }); toggleCertificate(form); }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(form);
      var button = form.querySelector("button[type=submit]"); if (button) button.disabled = true;
      fetch(form.action || window.location.href, {
        method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual",
        headers: { "Accept": "application/json" }
      }).then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        if (type.indexOf("json") < 0) { form.submit(); return null; } // session gone: let the browser handle it
        return r.json().then(function (body) { return { status: r.status, body: body }; });
      }).then(function (res) {
        if (!res) return;
        if (res.status === 201 && res.body.redirect) {
          var u = new URL(res.body.redirect, window.location.href);
          if (u.pathname + u.search === window.location.pathname + window.location.search) { window.location.hash = u.hash; window.location.reload(); }
          else window.location.assign(u.href);
          return;
        }
        if (button) button.disabled = false;
        showErrors(form, prefix, res.body);
      }).catch(function () {
        if (button) button.disabled = false;
        showErrors(form, prefix, { error: { message: "Not uploaded: no connection. Your choices are kept; try again.", fields: {} } });
      });
    });
  });
})();
