// jakcheck web app: optional enhancements only. Every page works without this script.
(function () {
  "use strict";
  function each(selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); }

  // Print buttons: the summary (the default print), the full report, or the checklist alone.
  each(".js-print", function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var what = button.getAttribute("data-print");
      if (what === "checklist") { document.body.classList.add("print-checklist"); }
      var opened = [];
      if (what === "all") {
        document.body.classList.add("print-all");
        // The full report prints the evidence too: open every closed section for the print, close them after.
        each("details:not([open])", function (d) { d.open = true; opened.push(d); });
      }
      window.print();
      opened.forEach(function (d) { d.open = false; });
    });
  });
  window.addEventListener("afterprint", function () {
    document.body.classList.remove("print-checklist");
    document.body.classList.remove("print-all");
  });

  // Upload and paste as tabs (without this script both are simply shown one after the other).
  each("[data-tabs]", function (box) {
    var list = box.querySelector("[role=tablist]");
    var tabs = Array.prototype.slice.call(box.querySelectorAll("[role=tab]"));
    function show(tab, focus) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      });
      if (focus) { tab.focus(); }
    }
    list.hidden = false;
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { show(tab, false); });
      tab.addEventListener("keydown", function (e) {
        var next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
        if (next !== null) { e.preventDefault(); show(tabs[(next + tabs.length) % tabs.length], true); }
      });
    });
    show(tabs[0], false);
  });

  // Lab units follow the region (SI in the EU) until the user picks a unit.
  each(".assess-form input[name=region]", function (radio) {
    radio.addEventListener("change", function () {
      var key = radio.value === "EU" ? "eu" : "us";
      each(".lab-table select[data-eu]", function (sel) {
        if (!sel.hasAttribute("data-touched")) { sel.value = sel.getAttribute("data-" + key); }
      });
    });
  });
  each(".lab-table select[data-eu]", function (sel) {
    sel.addEventListener("change", function () { sel.setAttribute("data-touched", ""); });
  });
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // The short form checks itself before it is sent: every problem at once, each beside its question and in a list
  // at the top; nothing typed is touched. The server checks again and has the last word (this mirrors its rules).
  var form = document.getElementById("assess-form");
  if (form && form.querySelector("#age")) { shortFormChecks(form); }

  function shortFormChecks(form) {
    function el(id) { return document.getElementById(id); }
    function quoted(text) { return "'" + text + "'"; }
    function numberProblem(input) {
      var text = input.value.trim();
      if (!text) { return null; }
      if (input.validity.patternMismatch) { return "not a number: " + quoted(text); }
      return isFinite(Number(text.replace(/,/g, "."))) ? null : "must be a finite number";
    }
    // [field id, the question as the form shows it, what is wrong]: in the order of the form, as the server lists it.
    function problems() {
      var out = [];
      function add(id, message) { out.push([id, el(id).getAttribute("data-label"), message]); }
      if (!el("diagnosis").value) { add("diagnosis", "choose the diagnosis the JAK inhibitor would treat"); }
      var age = el("age");
      if (age.validity.badInput) {
        add("age", "must be a whole number of years from 0 to 130");
      } else if (!age.value.trim()) {
        add("age", "is required (whole years)");
      } else if (!/^[0-9]+$/.test(age.value.trim()) || !age.validity.valid) {
        add("age", "must be a whole number of years from 0 to 130, not " + quoted(age.value.trim()));
      }
      each(".lab-table input[id^=lab_]", function (input) {
        var message = numberProblem(input);
        if (message) { add(input.id, message); }
      });
      var dose = el("glucocorticoid_dose");
      if (dose.value.trim()) {
        var message = numberProblem(dose);
        if (message) { add("glucocorticoid_dose", message); }
        var marked = form.querySelectorAll("input[name=current][data-glucocorticoid]");
        var ticked = Array.prototype.some.call(marked, function (box) {
          return form.querySelector("input[name=current][value='" + box.value + "']:checked") !== null;
        });
        if (marked.length && !ticked) { add("glucocorticoid_dose", "given, but no glucocorticoid is ticked"); }
      }
      if (form.querySelector("input[name=cv_none]:checked") && form.querySelector("input[name=cv]:checked")) {
        add("cv", "'none of these' is ticked together with a condition");
      }
      return out;
    }
    var checked = ["diagnosis", "age", "glucocorticoid_dose", "cv"];
    each(".lab-table input[id^=lab_]", function (input) { checked.push(input.id); });
    // The controls a field's message describes (the tick boxes of a group, or the one box).
    function controls(id) {
      var node = el(id);
      return node.tagName === "FIELDSET" ? Array.prototype.slice.call(node.querySelectorAll("input")) : [node];
    }
    function describe(control, errorId, on) {
      var ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
        return x && x !== errorId;
      });
      if (on) { ids.push(errorId); }
      if (ids.length) { control.setAttribute("aria-describedby", ids.join(" ")); }
      else { control.removeAttribute("aria-describedby"); }
      if (on) { control.setAttribute("aria-invalid", "true"); } else { control.removeAttribute("aria-invalid"); }
    }
    function showBeside(id, messages) {
      var errorId = id + "-error";
      var old = el(errorId);
      if (old) { old.parentNode.removeChild(old); }
      controls(id).forEach(function (c) { describe(c, errorId, messages.length > 0); });
      if (!messages.length) { return; }
      var p = document.createElement("p");
      p.className = "field-error";
      p.id = errorId;
      p.textContent = messages.join("; ");
      var node = el(id);
      if (node.tagName === "FIELDSET") { node.appendChild(p); } else { node.insertAdjacentElement("afterend", p); }
    }
    // Problems only the server can see (an unknown medicine name, say) stay listed until the form is sent again.
    var serverOnly = [];
    each("#error-summary li[data-field]", function (li) {
      if (checked.indexOf(li.getAttribute("data-field")) < 0) { serverOnly.push(li.cloneNode(true)); }
    });
    function showSummary(list, focus) {
      var box = el("error-summary");
      var total = list.length + serverOnly.length;
      if (!total) { if (box) { box.parentNode.removeChild(box); } return; }
      if (!box) {
        box = document.createElement("div");
        box.className = "error-summary";
        box.id = "error-summary";
        box.setAttribute("role", "alert");
        box.setAttribute("aria-labelledby", "error-summary-h");
        box.tabIndex = -1;
        form.parentNode.insertBefore(box, form);
      }
      box.textContent = "";
      var h = document.createElement("h2");
      h.id = "error-summary-h";
      h.textContent = total + " answer" + (total === 1 ? "" : "s") + " to correct";
      var note = document.createElement("p");
      note.textContent = "Nothing was assessed. Everything you typed is still in the form.";
      var ul = document.createElement("ul");
      list.forEach(function (problem) {
        var li = document.createElement("li");
        li.setAttribute("data-field", problem[0]);
        var a = document.createElement("a");
        a.href = "#" + problem[0];
        a.textContent = problem[1] + ": " + problem[2];
        li.appendChild(a);
        ul.appendChild(li);
      });
      serverOnly.forEach(function (li) { ul.appendChild(li); });
      box.appendChild(h);
      box.appendChild(note);
      box.appendChild(ul);
      if (focus) { box.focus(); }
    }
    function show(focus) {
      var list = problems();
      checked.forEach(function (id) {
        showBeside(id, list.filter(function (p) { return p[0] === id; }).map(function (p) { return p[2]; }));
      });
      showSummary(list, focus);
      return list.length;
    }
    var tried = Boolean(el("error-summary"));
    form.addEventListener("submit", function (e) {
      var by = e.submitter;
      if (!by || by.value !== "form") { return; }  // a record to upload or paste: the short form is not used
      tried = true;
      if (problems().length) { show(true); e.preventDefault(); }
    });
    // A message shown while a pointer is pressed would move the page under it and lose the click (a radio button
    // below a changed box, say): it is shown once the pointer is released.
    var pressed = false;
    var pending = [];
    function released() {
      pressed = false;
      pending.splice(0).forEach(function (run) { window.setTimeout(run, 0); });
    }
    document.addEventListener("pointerdown", function () { pressed = true; }, true);
    document.addEventListener("pointerup", released, true);
    document.addEventListener("pointercancel", released, true);
    // Inline: a changed answer is checked at once, beside its question; once the form was sent, every answer and
    // the list at the top follow each change.
    form.addEventListener("change", function (e) {
      if (pressed) { pending.push(function () { recheck(e); }); } else { recheck(e); }
    });
    function recheck(e) {
      var target = e.target;
      var id = target.name === "cv" || target.name === "cv_none" ? "cv"
        : target.name === "current" ? "glucocorticoid_dose" : target.id;
      if (checked.indexOf(id) < 0) {  // a problem only the server sees: it is re-checked when the form is sent
        var before = serverOnly.length;
        serverOnly = serverOnly.filter(function (li) { return li.getAttribute("data-field") !== id; });
        if (serverOnly.length === before) { return; }
        var old = el(id + "-error");
        if (old) { old.parentNode.removeChild(old); }
        describe(target, id + "-error", false);
      }
      if (tried) { show(false); return; }
      if (checked.indexOf(id) >= 0) {
        showBeside(id, problems().filter(function (p) { return p[0] === id; }).map(function (p) { return p[2]; }));
      }
    }
  }

  // A link to a finding or a source inside a closed section opens that section first.
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var el = id && document.getElementById(id);
    for (var node = el; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) { node.open = true; }
    }
    if (el) { el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", reveal);
  if (window.location.hash) { reveal(); }

  // Checklist progress: "3 of 7 steps done".
  var boxes = document.querySelectorAll(".checklist input[type=checkbox]");
  var progress = document.querySelector(".checklist-progress");
  function update() {
    if (!progress || boxes.length === 0) { return; }
    var done = 0;
    Array.prototype.forEach.call(boxes, function (b) { if (b.checked) { done += 1; } });
    progress.hidden = false;
    progress.textContent = done + " of " + boxes.length + " steps done";
  }
  Array.prototype.forEach.call(boxes, function (b) { b.addEventListener("change", update); });
  update();

  // "Back to the form" keeps what was typed.
  each("a.js-back", function (a) {
    a.addEventListener("click", function (e) {
      if (window.history.length > 1) { e.preventDefault(); window.history.back(); }
    });
  });
}());
