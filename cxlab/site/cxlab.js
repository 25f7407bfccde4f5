/* cxlab static preview: the menu on a phone, the table of contents, and offline search.
   No external scripts; the search index is search-index.js, written with the site. */
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 760px)");
  var wide = window.matchMedia("(min-width: 1200px)");

  // The menu: shown without JavaScript; folded behind its button on a narrow screen.
  var header = document.querySelector(".navbar");
  var toggle = document.querySelector(".nav-toggle");
  function fold(folded) {
    header.classList.toggle("folded", folded);
    toggle.setAttribute("aria-expanded", String(!folded));
  }
  if (header && toggle) {
    fold(narrow.matches);
    toggle.addEventListener("click", function () {
      fold(!header.classList.contains("folded"));
    });
    narrow.addEventListener("change", function (e) { fold(e.matches); });
  }

  // The table of contents: open beside the page on a wide screen, folded above it otherwise.
  document.querySelectorAll("details.toc-box").forEach(function (box) {
    box.open = wide.matches;
    wide.addEventListener("change", function (e) { box.open = e.matches; });
  });

  // Search: every word must appear in the page; titles rank first; a matching section is
  // linked directly. Results are written as text, never as HTML.
  var input = document.getElementById("cx-search");
  var list = document.getElementById("cx-search-results");
  var pages = window.CXLAB_SEARCH || [];
  if (!input || !list) return;
  function show() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.replaceChildren();
    if (!words.length) { list.hidden = true; return; }
    var hits = [];
    pages.forEach(function (page) {
      var title = page.title.toLowerCase();
      var text = title + " " + page.text.toLowerCase();
      if (!words.every(function (w) { return text.indexOf(w) >= 0; })) return;
      var section = page.sections.find(function (s) {
        var heading = s.text.toLowerCase();
        return words.some(function (w) { return heading.indexOf(w) >= 0; });
      });
      var score = words.filter(function (w) { return title.indexOf(w) >= 0; }).length * 10
        + (section ? 5 : 0);
      hits.push({ page: page, section: section, score: score });
    });
    // Equal scores: the newer quarter's report first (order of the index otherwise).
    hits.sort(function (a, b) {
      return b.score - a.score || (b.page.quarter || "").localeCompare(a.page.quarter || "");
    });
    hits.slice(0, 12).forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = input.dataset.root + hit.page.href + (hit.section ? "#" + hit.section.id : "");
      link.textContent = hit.page.title + (hit.section ? " › " + hit.section.text : "");
      item.appendChild(link);
      list.appendChild(item);
    });
    if (!hits.length) {
      var none = document.createElement("li");
      none.textContent = "No page matches.";
      list.appendChild(none);
    } else if (hits.length > 12) {
      var more = document.createElement("li");
      more.textContent = (hits.length - 12) + " more pages match: add a word.";
      list.appendChild(more);
    }
    list.hidden = false;
  }
  input.addEventListener("input", show);
  input.form.addEventListener("submit", function (e) { e.preventDefault(); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { input.value = ""; show(); }
  });
})();
