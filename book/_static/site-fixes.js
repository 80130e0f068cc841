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

// The menu ("Toggle primary sidebar") and "On this page" buttons a reader sees sit in the article header, but both
// theme scripts bind only the first .primary-toggle / .secondary-toggle of the page, which is the hidden copy in the
// top bar (pydata-sphinx-theme#2451, sphinx-book-theme#988): a tap showed a tooltip and nothing opened. Forward a
// click on any other copy to the bound one, whose handlers open the sidebar as a dialog on narrow screens and (book
// theme) collapse the primary sidebar at 992 px and wider. tests/test_site_navigation.py taps and clicks them.
document.addEventListener("DOMContentLoaded", () => {
  for (const kind of ["primary", "secondary"]) {
    const [bound, ...copies] = document.querySelectorAll(`.${kind}-toggle`);
    for (const copy of copies) {
      copy.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        copy.blur(); // dismisses the tooltip, which would otherwise stay over the open sidebar
        bound.click();
      });
    }
  }
});

// A link followed from a sidebar opened as a dialog (narrow screens) should show its target, not leave the dialog
// over it: "On this page" links stay on the page, so nothing else would close it.
document.addEventListener("DOMContentLoaded", () => {
  for (const dialog of document.querySelectorAll("#pst-primary-sidebar-modal, #pst-secondary-sidebar-modal")) {
    dialog.addEventListener("click", (event) => {
      if (event.target.closest("a[href]")) dialog.close();
    });
  }
});
