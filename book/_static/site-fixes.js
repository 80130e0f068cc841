// Small fixes to what the theme and docutils put on every page; tests/test_site.py checks the result in Chromium.
"use strict";

// pydata-sphinx-theme 0.17 reads the colour mode from localStorage, which is empty on a reader's first visit, and
// then logs "Got invalid theme mode" as a console error. "auto" is what it falls back to anyway: say so up front.
if (!["auto", "light", "dark"].includes(document.documentElement.dataset.mode)) {
  document.documentElement.dataset.mode = "auto";
}

// docutils marks a bibliography as role="list" whose entries have the deprecated role "doc-biblioentry", so screen
// readers (and axe-core: aria-required-children, critical) find a list without items.
document.addEventListener("DOMContentLoaded", () => {
  for (const entry of document.querySelectorAll('[role="list"] > [role="doc-biblioentry"]')) {
    entry.setAttribute("role", "listitem");
  }
});
