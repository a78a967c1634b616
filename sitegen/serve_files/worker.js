// sitegen serve: one event stream shared by every tab of the site.
"use strict";
var ports = [];
var last = null;
var source = new EventSource(self.location.href.replace(/[^\/]*$/, "") + "events");
["state", "reload", "error"].forEach(function (type) {
  source.addEventListener(type, function (event) {
    var data = JSON.parse(event.data);
    if (type === "state") last = { type: "state", data: data };
    else {
      last = { type: "state", data: {
        build: data.build, status: type === "error" ? "error" : "ok",
        errors: data.errors || [], warnings: data.warnings || [] } };
    }
    for (var i = 0; i < ports.length; i++) ports[i].postMessage({ type: type, data: data });
  });
});
self.onconnect = function (event) {
  var port = event.ports[0];
  ports.push(port);
  port.onmessage = function (message) {
    if (message.data === "bye") ports = ports.filter(function (p) { return p !== port; });
  };
  if (last) port.postMessage(last);
};
