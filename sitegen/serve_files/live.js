// sitegen serve: reload this tab when its page changes; show build problems over it.
(function () {
  "use strict";
  var script = document.currentScript;
  var build = script.getAttribute("data-sitegen-build");
  var page = script.getAttribute("data-sitegen-page");
  var failed = false;
  var panel = null;
  var badge = null;
  var ASSET = /\.(css|js|mjs|png|jpe?g|gif|webp|avif|svg|ico|woff2?)$/i;
  var FONT = "13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

  function concerns(changed) {
    if (!changed) return true;
    for (var i = 0; i < changed.length; i++) {
      var path = changed[i];
      if (path === page || path === page + "/index.html") return true;
      if (ASSET.test(path) && path.indexOf("pagefind/") !== 0) return true;
    }
    return false;
  }

  function later(draw) {
    if (document.body) draw();
    else document.addEventListener("DOMContentLoaded", draw);
  }

  function remove(element) {
    if (element && element.parentNode) element.parentNode.removeChild(element);
    return null;
  }

  function box(id, colour) {
    var element = document.createElement("div");
    element.id = id;
    var s = element.style;
    s.position = "fixed"; s.zIndex = "2147483647"; s.boxSizing = "border-box";
    s.margin = "0"; s.textAlign = "left"; s.font = FONT; s.color = "#fff";
    s.background = colour; s.boxShadow = "0 6px 24px rgba(0,0,0,.45)";
    return element;
  }

  function list(problems) {
    var items = document.createElement("ul");
    items.style.margin = "8px 0 0"; items.style.padding = "0 0 0 20px";
    for (var i = 0; i < problems.length; i++) {
      var item = document.createElement("li");
      item.style.whiteSpace = "pre-wrap";
      item.textContent = problems[i].text;
      items.appendChild(item);
    }
    return items;
  }

  function button(label, action) {
    var element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    element.style.font = FONT;
    element.addEventListener("click", action);
    return element;
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  function showErrors(errors) {
    later(function () {
      panel = remove(panel);
      panel = box("sitegen-error-overlay", "#2b0b0b");
      panel.setAttribute("role", "alert");
      var s = panel.style;
      s.left = "0"; s.right = "0"; s.top = "0"; s.maxHeight = "70vh"; s.overflow = "auto";
      s.padding = "16px 20px"; s.borderBottom = "4px solid #ff6b6b"; s.fontSize = "14px";
      var title = document.createElement("div");
      title.style.fontWeight = "bold";
      title.textContent = "sitegen: the build failed (" + plural(errors.length, "error") +
        "). This is the last good page; it reloads by itself once the errors are fixed.";
      panel.appendChild(title);
      panel.appendChild(list(errors));
      panel.appendChild(button("Hide", function () { panel = remove(panel); }));
      document.body.appendChild(panel);
    });
  }

  function showWarnings(warnings) {
    later(function () {
      badge = remove(badge);
      if (!warnings || !warnings.length) return;
      badge = box("sitegen-warnings", "#4a3a00");
      var s = badge.style;
      s.right = "12px"; s.bottom = "12px"; s.maxWidth = "min(90vw, 60em)";
      s.maxHeight = "50vh"; s.overflow = "auto"; s.padding = "6px 10px";
      s.borderRadius = "6px"; s.border = "2px solid #e0b000";
      var details = list(warnings);
      details.hidden = true;
      badge.appendChild(button("sitegen: " + plural(warnings.length, "warning"), function () {
        details.hidden = !details.hidden;
      }));
      badge.appendChild(details);
      document.body.appendChild(badge);
    });
  }

  function handle(type, data) {
    if (type === "error" || (type === "state" && data.status === "error")) {
      failed = true;
      showErrors(data.errors);
      showWarnings(data.warnings);
    } else if (type === "state") {
      if (failed || data.build !== build) location.reload();
      else showWarnings(data.warnings);
    } else if (type === "reload") {
      if (failed || concerns(data.changed)) {
        location.reload();
      } else {
        build = data.build;
        showWarnings(data.warnings);
      }
    }
  }

  var base = script.src.replace(/[^\/]*$/, "");
  if (window.SharedWorker) {
    try {
      var worker = new SharedWorker(base + "worker.js", { name: "sitegen-live" });
      worker.port.onmessage = function (event) { handle(event.data.type, event.data.data); };
      window.addEventListener("pagehide", function () { worker.port.postMessage("bye"); });
      return;
    } catch (error) { /* fall back to a stream of this tab's own */ }
  }
  var source = new EventSource(base + "events");
  ["state", "reload", "error"].forEach(function (type) {
    source.addEventListener(type, function (event) { handle(type, JSON.parse(event.data)); });
  });
})();
