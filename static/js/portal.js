// Vendor questionnaire: autosave per answer, show_if, N/A reasons, conflicts, and a local copy of
// anything that could not be saved (for example when the session expired) so no typing is lost.
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  if (!form) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var urlTemplate = form.dataset.autosaveUrl;
  var storeKey = "va-drafts-" + form.dataset.assessment;
  var showIf = JSON.parse(document.getElementById("show-if").textContent || "{}");
  var timers = {};

  function drafts() { try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; } }
  function keepDraft(key, payload) { var d = drafts(); d[key] = payload; localStorage.setItem(storeKey, JSON.stringify(d)); }
  function dropDraft(key) { var d = drafts(); delete d[key]; localStorage.setItem(storeKey, JSON.stringify(d)); }

  function box(key) { return document.getElementById("q-" + key); }
  function valueOf(key) {
    var el = box(key), type = el.dataset.type;
    if (type === "multi_choice") {
      return Array.prototype.map.call(el.querySelectorAll('input[name="q__' + key + '"]:checked'), function (i) { return i.value; });
    }
    if (type === "yes_no" || type === "yes_no_partial" || type === "single_choice") {
      var c = el.querySelector('input[name="q__' + key + '"]:checked');
      return c ? c.value : null;
    }
    var input = el.querySelector('[name="q__' + key + '"]');
    if (!input || input.value.trim() === "") return null;
    if (type === "number") { var n = Number(input.value.replace(",", ".")); return isNaN(n) ? input.value : n; }
    return input.value;
  }
  function payloadOf(key) {
    var el = box(key);
    var na = el.querySelector('[name="na__' + key + '"]');
    var reason = el.querySelector('[name="na_reason__' + key + '"]');
    var comment = el.querySelector('[name="comment__' + key + '"]');
    return {
      value: valueOf(key), na: !!(na && na.checked), na_reason: reason ? reason.value : "",
      comment: comment ? comment.value : "", lock_version: Number(el.querySelector(".lock").value)
    };
  }
  function setState(key, text, cls) {
    var s = box(key).querySelector(".save-state");
    s.textContent = text; s.className = "save-state " + (cls || "");
  }
  function applyValue(key, answer) {
    var el = box(key);
    el.querySelector(".lock").value = answer.lock_version;
    var inputs = el.querySelectorAll('[name="q__' + key + '"]');
    Array.prototype.forEach.call(inputs, function (i) {
      if (i.type === "radio") i.checked = answer.value === i.value;
      else if (i.type === "checkbox") i.checked = Array.isArray(answer.value) && answer.value.indexOf(i.value) >= 0;
      else i.value = answer.value == null ? "" : answer.value;
    });
  }
  function showConflict(key, current, mine) {
    var el = box(key), old = el.querySelector(".conflict");
    if (old) old.remove();
    var div = document.createElement("div");
    div.className = "conflict"; div.setAttribute("role", "alert");
    var who = current && current.answered_by ? current.answered_by : "someone else";
    div.innerHTML = "<strong>" + who + " changed this answer after you opened the page.</strong><br>" +
      "Saved version: <code class='theirs'></code><br>Your version: <code class='mine'></code><br>";
    div.querySelector(".theirs").textContent = JSON.stringify(current ? current.value : null);
    div.querySelector(".mine").textContent = JSON.stringify(mine.value);
    var keep = document.createElement("button"); keep.type = "button"; keep.className = "btn small"; keep.textContent = "Keep my version";
    var take = document.createElement("button"); take.type = "button"; take.className = "btn small secondary"; take.textContent = "Use the saved version";
    keep.onclick = function () { el.querySelector(".lock").value = current ? current.lock_version : 0; div.remove(); save(key); };
    take.onclick = function () { applyValue(key, current); div.remove(); dropDraft(key); setState(key, "Using the saved version.", "saved"); evaluateShowIf(); };
    div.appendChild(keep); div.appendChild(document.createTextNode(" ")); div.appendChild(take);
    el.appendChild(div);
  }
  function updateProgress(p, missing) {
    var bar = document.getElementById("progress-bar"), txt = document.getElementById("progress-text");
    if (bar) bar.style.width = p.percent + "%";
    if (txt) txt.textContent = p.answered_required + " of " + p.required + " required answered (" + p.percent + "%)";
    var boxEl = document.getElementById("missing-box");
    if (boxEl && missing) {
      boxEl.innerHTML = "";
      if (missing.length === 0) { var p0 = document.createElement("p"); p0.id = "missing-none"; p0.textContent = "All required questions are answered."; boxEl.appendChild(p0); return; }
      var p1 = document.createElement("p"); p1.innerHTML = "<strong></strong>";
      p1.firstChild.textContent = missing.length + " required question" + (missing.length === 1 ? " still needs" : "s still need") + " an answer:";
      var ul = document.createElement("ul"); ul.className = "missing-list"; ul.id = "missing-list";
      missing.forEach(function (k) { var li = document.createElement("li"), a = document.createElement("a"); a.href = "#q-" + k; a.textContent = k; li.appendChild(a); ul.appendChild(li); });
      boxEl.appendChild(p1); boxEl.appendChild(ul);
    }
  }
  function save(key) {
    var payload = payloadOf(key);
    if (payload.na && !payload.na_reason.trim()) { setState(key, "Say why it does not apply, then it saves.", "error"); return; }
    keepDraft(key, payload);
    setState(key, "Saving…");
    fetch(urlTemplate.replace("__KEY__", encodeURIComponent(key)), {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (r) {
      if (r.type === "opaqueredirect" || r.status === 401 || r.status === 302) {
        setState(key, "Your session has expired. Sign in again in another tab; this answer is kept in your browser and saves when you return.", "error");
        return null;
      }
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    }).then(function (res) {
      if (!res) return;
      if (res.status === 200) {
        dropDraft(key);
        box(key).querySelector(".lock").value = res.body.answer.lock_version;
        var t = new Date(); setState(key, "Saved " + t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), "saved");
        updateProgress(res.body.progress, res.body.missing);
        applyVisible(res.body.visible);
      } else if (res.status === 409 && res.body.error.current !== undefined) {
        setState(key, "Not saved: this answer changed elsewhere.", "error");
        showConflict(key, res.body.error.current, payload);
      } else {
        setState(key, "Not saved: " + res.body.error.message, "error");
      }
    }).catch(function () { setState(key, "Not saved (no connection). Kept in your browser; it will retry on the next change.", "error"); });
  }
  function applyVisible(list) {
    var visible = {}; list.forEach(function (k) { visible[k] = true; });
    Array.prototype.forEach.call(form.querySelectorAll(".question"), function (el) { el.hidden = !visible[el.dataset.key]; });
  }
  function evaluateShowIf() {
    // Client-side mirror of the server's rule: every condition holds and the parent is visible.
    var questions = form.querySelectorAll(".question"), visible = {};
    Array.prototype.forEach.call(questions, function (el) {
      var key = el.dataset.key, conds = showIf[key], ok = true;
      (conds || []).forEach(function (c) {
        if (!visible[c.question]) { ok = false; return; }
        var v = valueOf(c.question);
        var vals = Array.isArray(v) ? v : (v == null ? [] : [v]);
        if (!vals.some(function (x) { return c["in"].indexOf(x) >= 0; })) ok = false;
      });
      visible[key] = ok; el.hidden = !ok;
    });
  }
  form.addEventListener("change", function (ev) {
    var q = ev.target.closest(".question"); if (!q) return;
    if (ev.target.classList.contains("na-toggle")) q.querySelector(".na-reason").hidden = !ev.target.checked;
    evaluateShowIf();
    if (ev.target.type === "text" || ev.target.tagName === "TEXTAREA") return; // handled by input
    save(q.dataset.key);
  });
  form.addEventListener("input", function (ev) {
    var q = ev.target.closest(".question"); if (!q) return;
    if (ev.target.type !== "text" && ev.target.tagName !== "TEXTAREA") return;
    var key = q.dataset.key;
    keepDraft(key, payloadOf(key));
    setState(key, "Editing…");
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { save(key); }, 700);
  });
  // Restore anything typed but never saved (an expired session, a lost connection).
  var pending = drafts();
  Object.keys(pending).forEach(function (key) {
    if (!box(key)) return;
    var d = pending[key];
    applyValue(key, { value: d.value, lock_version: d.lock_version });
    var na = box(key).querySelector('[name="na__' + key + '"]');
    if (na) { na.checked = d.na; box(key).querySelector(".na-reason").hidden = !d.na; box(key).querySelector('[name="na_reason__' + key + '"]').value = d.na_reason || ""; }
    var c = box(key).querySelector('[name="comment__' + key + '"]'); if (c) c.value = d.comment || "";
    setState(key, "Restored your unsaved answer; saving…");
    save(key);
  });
  evaluateShowIf();
  document.getElementById("autosave-note") && (document.getElementById("autosave-note").textContent = "Answers save automatically as you go.");
})();
