// Starts Pagefind's default search UI on the search page (/search/). Without JavaScript the
// page shows a message and links to browse by instead.
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root || typeof window.PagefindUI !== "function") {
    return;
  }
  new window.PagefindUI({
    element: "#search",
    bundlePath: root.getAttribute("data-bundle"),
    baseUrl: root.getAttribute("data-base"),
    showSubResults: true,
    showImages: false,
  });
})();
