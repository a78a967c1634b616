// Starts Pagefind's default search UI on the search page (/search/). Without JavaScript the
// page shows a message and links to browse by instead.
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root || typeof window.PagefindUI !== "function") {
    return;
  }
  var bundle = root.getAttribute("data-bundle");
  var base = root.getAttribute("data-base");
  function start() {
    new window.PagefindUI({
      element: "#search",
      bundlePath: bundle,
      baseUrl: base,
      showSubResults: true,
      showImages: false,
    });
    // Pagefind's box has a placeholder and a title, but no label: the page's label names it.
    var input = root.querySelector("input.pagefind-ui__search-input");
    var label = document.getElementById("search-label");
    if (input && label) {
      input.id = "search-input";
      label.htmlFor = input.id;
    }
  }
  // The UI lists the filters its first search returns, and a search made while the filters
  // still load returns only those loaded so far (Tags missing, say) until the reader types
  // again. So the filters load first, through the same module the UI then uses.
  import(bundle + "pagefind.js")
    .then(function (pagefind) {
      return pagefind.options({ baseUrl: base }).then(pagefind.filters);
    })
    .then(start, start);
})();
