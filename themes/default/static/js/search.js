// Starts Pagefind's default search UI on the search page (/search/). Without JavaScript the
// page shows a message and links to browse by instead.
//
// The index is in shards, one per year of the page's language (data-bundles, newest
// first): the first is the UI's own bundle and the others are merged into it, so that one
// search runs over all of them and their results come back in one list, best first.
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root || typeof window.PagefindUI !== "function") {
    return;
  }
  var bundles = (root.getAttribute("data-bundles") || "").split(" ").filter(Boolean);
  var base = root.getAttribute("data-base");
  if (!bundles.length) {
    return;
  }
  function start() {
    new window.PagefindUI({
      element: "#search",
      bundlePath: bundles[0],
      baseUrl: base,
      showSubResults: true,
      showImages: false,
    });
  }
  // The UI lists the filters its first search returns, and a search made while the filters
  // still load returns only those loaded so far (Tags missing, say) until the reader types
  // again. So the shards are merged and the filters loaded first, through the same module
  // the UI then uses (the UI is given no shards to merge: they would be merged twice).
  import(bundles[0] + "pagefind.js")
    .then(function (pagefind) {
      return pagefind
        .options({ baseUrl: base })
        .then(function () {
          return Promise.all(
            bundles.slice(1).map(function (bundle) {
              return pagefind.mergeIndex(bundle, { baseUrl: base });
            })
          );
        })
        .then(pagefind.filters);
    })
    .then(start, start);
})();
