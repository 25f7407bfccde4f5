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
  // linked directly. Each result shows a snippet of the page around the words, marked.
  // Results are written as text, never as HTML. Keyboard: the down arrow moves from the box
  // to the results, the arrows (and Home, End) move among them, Enter follows one (in the
  // box: the first), Escape comes back to the box and closes them; Tab goes through them.
  var input = document.getElementById("cx-search");
  var list = document.getElementById("cx-search-results");
  var status = document.getElementById("cx-search-status");
  var pages = window.CXLAB_SEARCH || [];
  if (!input || !list) return;
  var SHOWN = 12, BEFORE = 60, AFTER = 110;

  // Where in the text the words sit closest together (after `from`, if they occur there).
  function bestSpot(lower, words, from) {
    var spots = [];
    words.forEach(function (w) {
      for (var at = lower.indexOf(w, from), n = 0; at >= 0 && n < 50;
           at = lower.indexOf(w, at + 1), n++) { spots.push(at); }
    });
    if (!spots.length) return from > 0 ? bestSpot(lower, words, 0) : -1;
    var best = spots[0], bestScore = -1;
    spots.forEach(function (at) {
      var near = lower.slice(Math.max(0, at - BEFORE), at + AFTER);
      var score = words.filter(function (w) { return near.indexOf(w) >= 0; }).length;
      if (score > bestScore || (score === bestScore && at < best)) { best = at; bestScore = score; }
    });
    return best;
  }

  // The section whose heading holds the most of the words typed (not counting little words
  // such as "the", which every other heading has); the first of equals.
  var LITTLE = ["the", "a", "an", "of", "and", "or", "to", "in", "on", "for", "by", "with",
                "is", "at", "what", "how"];
  function telling(words) {
    var kept = words.filter(function (w) { return LITTLE.indexOf(w) < 0; });
    return kept.length ? kept : words;
  }
  function matched(text, words) {
    return words.filter(function (w) { return text.indexOf(w) >= 0; }).length;
  }
  function named(page, words) {
    var best, most = 0;
    page.sections.forEach(function (s) {
      var n = matched(s.text.toLowerCase(), telling(words));
      if (n > most) { best = s; most = n; }
    });
    return best ? { id: best.id, text: best.text, at: best.at, named: most } : undefined;
  }

  // The section holding the words (closest together) when no heading names them, so the
  // link opens where the snippet is, not at the page's top; none above the first heading.
  function around(page, words) {
    var at = bestSpot(page.text.toLowerCase(), words, 0), found;
    page.sections.forEach(function (s) { if (s.at <= at) found = s; });
    return found ? { id: found.id, text: found.text, at: found.at, inside: true } : undefined;
  }

  // The snippet as DOM nodes: text, with each word's occurrences in <mark>.
  function snippet(page, words, section) {
    var text = page.text, lower = text.toLowerCase(), from = 0;
    if (section && section.at < text.length) {  // quote its own section: below a heading
      from = section.at + (section.inside ? 0 : section.text.replace(/\s+/g, " ").length);
    }                                           // named by the words, else from its start
    var at = bestSpot(lower, words, from);
    if (at < 0) return null;
    var start = Math.max(at >= from ? from : 0, at - BEFORE);  // not before its section
    var end = Math.min(text.length, at + AFTER);
    var stop = text.lastIndexOf(". ", at);                   // from a sentence's start if near,
    var space = text.indexOf(" ", start);                    // else whole words at either end
    var sentence = stop >= start;
    if (sentence) {
      start = stop + 2;
    } else if (start > 0 && space >= 0 && space < at) {
      start = space + 1;
    }
    space = text.lastIndexOf(" ", end);
    if (end < text.length && space > at) end = space;
    var piece = text.slice(start, end), low = piece.toLowerCase();
    words = telling(words);  // marked: the words that tell, not every "the"
    var out = document.createElement("span");
    out.className = "cx-snippet";
    if (start > 0 && !sentence) out.appendChild(document.createTextNode("… "));
    for (var i = 0; i < piece.length;) {
      var hit = null;
      words.forEach(function (w) {
        if (low.startsWith(w, i) && (!hit || w.length > hit.length)) hit = w;
      });
      if (hit) {
        var mark = document.createElement("mark");
        mark.textContent = piece.slice(i, i + hit.length);
        out.appendChild(mark);
        i += hit.length;
      } else {
        var next = piece.length;
        words.forEach(function (w) {
          var j = low.indexOf(w, i + 1);
          if (j >= 0 && j < next) next = j;
        });
        out.appendChild(document.createTextNode(piece.slice(i, next)));
        i = next;
      }
    }
    if (end < text.length) out.appendChild(document.createTextNode(" …"));
    return out;
  }

  function say(message) { if (status) status.textContent = message; }

  function show() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.replaceChildren();
    if (!words.length) { list.hidden = true; say(""); return; }
    var hits = [];
    pages.forEach(function (page) {
      var title = page.title.toLowerCase();
      var text = title + " " + page.text.toLowerCase();
      if (!words.every(function (w) { return text.indexOf(w) >= 0; })) return;
      var section = named(page, words) || around(page, words);
      // Ranked by the telling words in the page's title, then in the section's heading.
      var score = matched(title, telling(words)) * 10
        + (section && !section.inside ? 5 * section.named : 0);
      hits.push({ page: page, section: section, score: score });
    });
    // Equal scores: the newer quarter's report first (order of the index otherwise).
    hits.sort(function (a, b) {
      return b.score - a.score || (b.page.quarter || "").localeCompare(a.page.quarter || "");
    });
    hits.slice(0, SHOWN).forEach(function (hit, n) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = input.dataset.root + hit.page.href + (hit.section ? "#" + hit.section.id : "");
      link.textContent = hit.page.title + (hit.section ? " › " + hit.section.text : "");
      item.appendChild(link);
      var text = snippet(hit.page, words, hit.section);
      if (text) {
        text.id = "cx-hit-" + n;
        link.setAttribute("aria-describedby", text.id);
        item.appendChild(text);
      }
      list.appendChild(item);
    });
    var note = null;
    if (!hits.length) {
      note = "No page matches.";
    } else if (hits.length > SHOWN) {
      note = (hits.length - SHOWN) + " more pages match: add a word.";
    }
    if (note) {
      var last = document.createElement("li");
      last.className = "cx-search-note";
      last.textContent = note;
      list.appendChild(last);
    }
    list.hidden = false;
    say(hits.length ? Math.min(hits.length, SHOWN) + " of " + hits.length + " matching pages "
        + "listed; the down arrow reaches them." : "No page matches.");
  }

  function links() { return Array.prototype.slice.call(list.querySelectorAll("a")); }
  function close() { list.hidden = true; }

  input.addEventListener("input", show);
  input.addEventListener("focus", function (e) {  // coming back to the box: results again
    if (input.value.trim() && !list.contains(e.relatedTarget)) show();
  });
  input.form.addEventListener("submit", function (e) { e.preventDefault(); });
  input.addEventListener("keydown", function (e) {
    var found = links();
    if (e.key === "Escape") {
      if (list.hidden || !input.value) { input.value = ""; show(); } else { close(); }
    } else if (e.key === "ArrowDown" && found.length) {
      e.preventDefault();
      if (list.hidden) show();
      links()[0].focus();
    } else if (e.key === "Enter" && found.length && !list.hidden) {
      e.preventDefault();
      found[0].click();
    }
  });
  list.addEventListener("keydown", function (e) {
    var found = links(), at = found.indexOf(document.activeElement);
    if (at < 0) return;
    var to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: found.length - 1 }[e.key];
    if (e.key === "Escape") {
      e.preventDefault();
      close();
      input.focus();
    } else if (to !== undefined) {
      e.preventDefault();
      if (to < 0) { input.focus(); } else { found[Math.min(to, found.length - 1)].focus(); }
    }
  });
  // Leaving the search (a click elsewhere, Tab past the last result) closes the results.
  list.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep it open
  input.form.addEventListener("focusout", function (e) {
    if (!e.relatedTarget || !input.form.contains(e.relatedTarget)) close();
  });
})();
