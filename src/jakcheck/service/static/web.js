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
