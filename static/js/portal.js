// Vendor questionnaire: autosave per answer, show_if, N/A reasons, conflicts, carried-forward
// confirmation, clarification threads, and a local copy of anything that could not be saved (for
// example when the session expired) so no typing is lost. Without this script the form still
// works: the "Save answers" button posts every answer and the buttons inside it post too.
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  if (!form) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var urlTemplate = form.dataset.autosaveUrl;
  var storeKey = "va-drafts-" + form.dataset.assessment;
  var showIf = JSON.parse(document.getElementById("show-if").textContent || "{}");
  // Questions on other pages: their visibility is what the server last said.
  var serverVisible = {};
  JSON.parse(document.getElementById("server-visible").textContent || "[]").forEach(function (k) { serverVisible[k] = true; });
  var section = form.dataset.section;
  // Words come from the page (the portal's language); {name} marks are filled in by t().
  var words = JSON.parse(document.getElementById("portal-messages").textContent || "{}");
  function t(key, vars) {
    return (words[key] || key).replace(/\{(\w+)\}/g, function (_, k) { return vars && vars[k] !== undefined ? vars[k] : ""; });
  }
  function esc(text) { var d = document.createElement("div"); d.textContent = text; return d.innerHTML; }
  var timers = {};

  function drafts() { try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; } }
  function keepDraft(key, payload) { var d = drafts(); d[key] = payload; localStorage.setItem(storeKey, JSON.stringify(d)); }
  function dropDraft(key) { var d = drafts(); delete d[key]; localStorage.setItem(storeKey, JSON.stringify(d)); }

  function box(key) { return document.getElementById("q-" + key); }
  // The input kind of a question comes from the type registry (data-widget), not type names.
  function valueOf(key) {
    var el = box(key), widget = el.dataset.widget;
    if (widget === "checkbox") {
      return Array.prototype.map.call(el.querySelectorAll('input[name="q__' + key + '"]:checked'), function (i) { return i.value; });
    }
    if (widget === "radio") {
      var c = el.querySelector('input[name="q__' + key + '"]:checked');
      return c ? c.value : null;
    }
    var input = el.querySelector('[name="q__' + key + '"]');
    if (!input || input.value.trim() === "") return null;
    if (widget === "number") { var n = Number(input.value.replace(",", ".")); return isNaN(n) ? input.value : n; }
    return input.value;
  }
  // A value as the vendor reads it: option labels instead of stored codes.
  function describe(key, value) {
    if (value == null || (Array.isArray(value) && value.length === 0)) return t("no_answer");
    var vals = Array.isArray(value) ? value : [value];
    return vals.map(function (v) {
      var input = box(key).querySelector('input[name="q__' + key + '"][value="' + String(v).replace(/"/g, '\\"') + '"]');
      return input && input.parentNode ? input.parentNode.textContent.trim() : String(v);
    }).join(", ");
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
  function setState(key, text, cls, html) {
    var s = box(key).querySelector(".save-state");
    if (html) s.innerHTML = html; else s.textContent = text;
    s.className = "save-state " + (cls || "");
  }
  function signInLink() {
    var next = window.location.pathname;
    return "/login?next=" + encodeURIComponent(next);
  }
  function expired(key) {
    setState(key, "", "error",
      esc(t("expired_before")) + " <a href='" + signInLink() + "'>" + esc(t("sign_in_again")) + "</a> " + esc(t("expired_after")));
    var banner = document.getElementById("session-banner");
    if (banner) banner.hidden = false;
  }
  function clearCarried(key) {
    var el = box(key);
    Array.prototype.forEach.call(el.querySelectorAll(".cf-chip, .cf-note"), function (n) { n.remove(); });
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
    var na = el.querySelector('[name="na__' + key + '"]');
    if (na && answer.na !== undefined) {
      na.checked = !!answer.na; el.querySelector(".na-reason").hidden = !answer.na;
      el.querySelector('[name="na_reason__' + key + '"]').value = answer.na_reason || "";
    }
  }
  function hasValue(v) { return v !== null && !(Array.isArray(v) && v.length === 0); }
  function clearValue(key) {
    Array.prototype.forEach.call(box(key).querySelectorAll('[name="q__' + key + '"]'), function (i) {
      if (i.type === "radio" || i.type === "checkbox") i.checked = false; else i.value = "";
    });
  }
  function showConflict(key, current, mine) {
    var el = box(key), old = el.querySelector(".conflict");
    if (old) old.remove();
    var div = document.createElement("div");
    div.className = "conflict"; div.setAttribute("role", "alert"); div.tabIndex = -1;
    var who = current && current.answered_by ? current.answered_by : t("someone_else");
    div.innerHTML = "<strong class='who'></strong><br>" +
      esc(t("saved_version")) + " <code class='theirs'></code><br>" + esc(t("your_version")) + " <code class='mine'></code><br>" +
      "<span class='small'>" + esc(t("nothing_overwritten")) + "</span><br>";
    div.querySelector(".who").textContent = t("changed_by", { who: who });
    var theirs = current ? (current.na ? t("not_applicable", { reason: current.na_reason }) : describe(key, current.value)) : t("no_answer");
    div.querySelector(".theirs").textContent = theirs;
    div.querySelector(".mine").textContent = mine.na ? t("not_applicable", { reason: mine.na_reason }) : describe(key, mine.value);
    var keep = document.createElement("button"); keep.type = "button"; keep.className = "btn small"; keep.textContent = t("keep_mine");
    var take = document.createElement("button"); take.type = "button"; take.className = "btn small secondary"; take.textContent = t("use_saved");
    keep.onclick = function () { el.querySelector(".lock").value = current ? current.lock_version : 0; div.remove(); save(key); };
    take.onclick = function () { applyValue(key, current || { value: null, lock_version: 0 }); div.remove(); dropDraft(key); setState(key, t("using_saved"), "saved"); evaluateShowIf(); };
    div.appendChild(keep); div.appendChild(document.createTextNode(" ")); div.appendChild(take);
    el.insertBefore(div, el.querySelector(".thread"));
    div.focus();
  }
  function updateProgress(p, items, sections) {
    var bar = document.getElementById("progress-bar"), txt = document.getElementById("progress-text");
    if (bar) { bar.style.width = p.percent + "%"; bar.parentNode.setAttribute("aria-valuenow", p.percent); }
    if (txt) txt.textContent = t("progress", { done: p.answered_required, total: p.required, percent: p.percent });
    Object.keys(sections || {}).forEach(function (s) {
      // The section list is on the page twice (side bar and phone drawer): update both.
      Array.prototype.forEach.call(document.querySelectorAll('.count[data-section="' + s + '"]'), function (c) {
        c.textContent = sections[s][0] + "/" + sections[s][1]; c.classList.toggle("done", sections[s][0] === sections[s][1]);
      });
    });
    if (items) { renderSummary(items); renderMissingList(items); }
  }
  function link(item) {
    var a = document.createElement("a");
    a.href = item.url; a.dataset.key = item.key;
    a.textContent = item.number + ". " + (item.text.length > 90 ? item.text.slice(0, 87) + "…" : item.text);
    return a;
  }
  // The sticky summary under the questions: how much is missing, here and in all, and a link on.
  function renderSummary(items) {
    var el = document.getElementById("missing-summary"); if (!el) return;
    var here = items.filter(function (m) { return m.section === section; });
    el.innerHTML = "";
    var strong = document.createElement("strong"); strong.id = "missing-count";
    strong.textContent = items.length ? t("still_missing", { n: items.length }) : t("nothing_missing");
    el.appendChild(strong);
    if (items.length && section !== "review") {
      var span = document.createElement("span"); span.id = "missing-here"; span.textContent = t("on_this_page", { n: here.length });
      el.appendChild(document.createTextNode(" · ")); el.appendChild(span);
    }
    var next = (here.length ? here : items)[0];
    var a = next ? link(next) : document.createElement("a");
    if (next) a.textContent = t("next") + " " + next.number + ". " + (next.text.length > 40 ? next.text.slice(0, 37) + "…" : next.text);
    else { a.href = form.action.split("?")[0] + "?s=review#submit"; a.textContent = t("review_submit"); }
    a.id = "next-missing";
    el.appendChild(document.createTextNode(" · ")); el.appendChild(a);
  }
  function renderMissingList(items) {
    var boxEl = document.getElementById("missing-box"); if (!boxEl) return;
    boxEl.innerHTML = "";
    if (items.length === 0) { var p0 = document.createElement("p"); p0.id = "missing-none"; p0.textContent = t("all_answered"); boxEl.appendChild(p0); return; }
    var p1 = document.createElement("p"); p1.innerHTML = "<strong></strong>";
    p1.firstChild.textContent = t(items.length === 1 ? "needs_one" : "needs_many", { n: items.length });
    var ul = document.createElement("ul"); ul.className = "missing-list"; ul.id = "missing-list";
    items.forEach(function (m) { var li = document.createElement("li"); li.appendChild(link(m)); ul.appendChild(li); });
    boxEl.appendChild(p1); boxEl.appendChild(ul);
  }
  function post(url, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      // A redirect to the sign-in page, or an HTML CSRF error: the session is gone.
      if (r.type === "opaqueredirect" || r.status === 401 || r.status === 302 || type.indexOf("json") < 0) return { expired: true };
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    });
  }
  function afterSave(res) {
    updateProgress(res.body.progress, res.body.missing_items, res.body.sections);
    applyVisible(res.body.visible);
  }
  function save(key) {
    var payload = payloadOf(key);
    keepDraft(key, payload);
    if (payload.na && !payload.na_reason.trim()) { setState(key, t("say_why"), "error"); return; }
    setState(key, t("saving"));
    post(urlTemplate.replace("__KEY__", encodeURIComponent(key)), payload).then(function (res) {
      if (res.expired) { expired(key); return; }
      if (res.status === 200) {
        dropDraft(key);
        box(key).querySelector(".lock").value = res.body.answer.lock_version;
        var now = new Date(); setState(key, t("saved_at", { time: now.toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit" }) }), "saved");
        clearCarried(key);
        afterSave(res);
      } else if (res.status === 409 && res.body.error.current !== undefined) {
        setState(key, t("changed_elsewhere"), "error");
        showConflict(key, res.body.error.current, payload);
      } else {
        setState(key, t("not_saved", { reason: res.body.error.message }), "error");
      }
    }).catch(function () { setState(key, t("offline"), "error"); });
  }
  function confirmOne(key) {
    post(form.dataset.confirmUrl, { keys: [key] }).then(function (res) {
      if (res.expired) { expired(key); return; }
      if (res.status === 200) { clearCarried(key); setState(key, t("confirmed"), "saved"); afterSave(res); }
      else setState(key, t("not_confirmed", { reason: res.body.error.message }), "error");
    });
  }
  function postMessage(key) {
    var el = box(key), text = el.querySelector('[name="thread__' + key + '"]');
    if (!text.value.trim()) { text.focus(); return; }
    post(form.dataset.commentUrl, { question_key: key, body: text.value }).then(function (res) {
      if (res.expired) { expired(key); return; }
      if (res.status === 201) {
        var li = document.createElement("li"); li.className = "msg msg-vendor";
        var meta = document.createElement("span"); meta.className = "small muted"; meta.textContent = res.body.comment.author + " · " + t("just_now");
        li.appendChild(meta); li.appendChild(document.createElement("br")); li.appendChild(document.createTextNode(res.body.comment.body));
        document.getElementById("thread-" + key).appendChild(li);
        text.value = "";
      } else setState(key, t("not_sent", { reason: res.body.error.message }), "error");
    });
  }
  function applyVisible(list) {
    var visible = {}; list.forEach(function (k) { visible[k] = true; });
    serverVisible = visible;
    Array.prototype.forEach.call(form.querySelectorAll(".question"), function (el) { el.hidden = !visible[el.dataset.key]; });
  }
  function evaluateShowIf() {
    // Client-side mirror of the server's rule: every condition holds and the parent is visible.
    var questions = form.querySelectorAll(".question"), visible = {};
    Array.prototype.forEach.call(questions, function (el) {
      var key = el.dataset.key, conds = showIf[key], ok = true;
      (conds || []).forEach(function (c) {
        if (!box(c.question)) { if (!serverVisible[key]) ok = false; return; } // parent on another page
        if (!visible[c.question]) { ok = false; return; }
        var v = valueOf(c.question);
        var vals = Array.isArray(v) ? v : (v == null ? [] : [v]);
        if (!vals.some(function (x) { return c["in"].indexOf(x) >= 0; })) ok = false;
      });
      visible[key] = ok; el.hidden = !ok;
    });
  }
  function isTyping(t) { return t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && (t.type === "text" || t.type === "date")); }
  form.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[name=confirm_key], button[name=post_comment]");
    if (!btn) return;
    ev.preventDefault();
    if (btn.name === "confirm_key") confirmOne(btn.value); else postMessage(btn.value);
  });
  form.addEventListener("change", function (ev) {
    var q = ev.target.closest(".question"); if (!q) return;
    if ((ev.target.name || "").indexOf("thread__") === 0) return;
    if (ev.target.classList.contains("na-toggle")) {
      var reason = q.querySelector(".na-reason"); reason.hidden = !ev.target.checked;
      // N/A and an answer exclude each other: ticking N/A clears the chosen option or text.
      if (ev.target.checked) { clearValue(q.dataset.key); reason.querySelector("input").focus(); }
    } else if ((ev.target.name || "").indexOf("q__") === 0 && hasValue(valueOf(q.dataset.key))) {
      var naBox = q.querySelector(".na-toggle");
      if (naBox && naBox.checked) { naBox.checked = false; q.querySelector(".na-reason").hidden = true; }
    }
    // "None of these" excludes the other choices and they exclude it (the server refuses both).
    if (ev.target.type === "checkbox" && ev.target.checked && (ev.target.name || "").indexOf("q__") === 0) {
      var exclusive = ev.target.dataset.exclusive === "1";
      Array.prototype.forEach.call(q.querySelectorAll('input[name="' + ev.target.name + '"]:checked'), function (other) {
        if (other !== ev.target && (exclusive || other.dataset.exclusive === "1")) other.checked = false;
      });
    }
    evaluateShowIf();
    if (isTyping(ev.target) && ev.target.type !== "date") return; // handled by input
    save(q.dataset.key);
  });
  form.addEventListener("input", function (ev) {
    var q = ev.target.closest(".question"); if (!q) return;
    if (!isTyping(ev.target) || ev.target.type === "date") return;
    if ((ev.target.name || "").indexOf("thread__") === 0) return;
    var key = q.dataset.key;
    keepDraft(key, payloadOf(key));
    setState(key, t("editing"));
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { save(key); }, 700);
  });
  // Without this script every N/A reason field stays visible; with it, only for ticked N/A boxes.
  Array.prototype.forEach.call(form.querySelectorAll(".na-toggle"), function (t) {
    t.closest(".question").querySelector(".na-reason").hidden = !t.checked;
  });
  // Restore anything typed but never saved (an expired session, a lost connection).
  var pending = drafts();
  Object.keys(pending).forEach(function (key) {
    if (!box(key)) return;
    var d = pending[key];
    applyValue(key, d);
    var c = box(key).querySelector('[name="comment__' + key + '"]'); if (c) c.value = d.comment || "";
    setState(key, t("restored"));
    save(key);
  });
  evaluateShowIf();
  var summary = document.getElementById("error-summary") || document.getElementById("evidence-error-summary");
  if (summary) summary.focus();
  var note = document.getElementById("autosave-note");
  if (note) note.textContent = t("autosave_note");
})();
