// Small fixes to what the theme and docutils put on every page; tests/test_site.py checks the result in Chromium.
"use strict";

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

// "Live Code" (sphinx-thebe) loads Thebe from a CDN, then asks mybinder.org for a kernel, and tells the reader
// nothing when either cannot be reached: the button says "Loading thebe from CDN..." forever. Say what happened, in
// words, under the page title, with the Colab link of the launch menu as the way out. tests/test_site.py clicks it
// offline.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".btn-launch-thebe");
  if (!button) return;
  const STATUS_WAIT_MS = 8000; // Thebe's script is ~1 MB; on a slow line it needs a few seconds
  const BINDER_WAIT_MS = 90000; // mybinder.org builds or starts an image: a minute is normal, more means busy
  let shown = "";
  const thebeStatus = () => document.querySelector(".thebe-launch-button .status")?.textContent.trim() ?? "";
  const say = (text) => {
    if (shown === text) return;
    shown = text;
    let box = document.querySelector(".live-code-status");
    if (!box) {
      box = document.createElement("div");
      box.className = "admonition note live-code-status";
      box.setAttribute("role", "status");
      // under sphinx-thebe's status line (which it puts under the title), else under the title
      const anchor = document.querySelector(".thebe-launch-button") || document.querySelector(".bd-article h1");
      anchor?.after(box);
    }
    const line = document.querySelector(".thebe-launch-button");
    if (line && !/ready/.test(thebeStatus())) line.textContent = "Live Code could not start";
    box.replaceChildren(document.createTextNode(text + " "));
    const colab = document.querySelector('a[href*="colab.research.google.com"]');
    if (colab) {
      const link = document.createElement("a");
      link.href = colab.href;
      link.textContent = "Open this chapter in Colab instead.";
      box.append(link);
    }
  };
  // A script that cannot be fetched fires "error" on its element, which does not bubble: listen in the capture phase.
  window.addEventListener(
    "error",
    (event) => {
      if (event.target instanceof HTMLScriptElement && event.target.src.includes("thebe")) {
        say("Live Code could not load Thebe, the script that runs code on the page: you may be offline.");
      }
    },
    true,
  );
  button.addEventListener("click", () => {
    setTimeout(() => {
      if (typeof thebelab === "undefined") {
        say("Live Code is still loading Thebe, the script that runs code on the page: the network is slow or offline.");
      }
    }, STATUS_WAIT_MS);
    const started = Date.now();
    const watch = setInterval(() => {
      const status = thebeStatus();
      if (status === "ready") {
        clearInterval(watch);
        document.querySelector(".live-code-status")?.remove();
      } else if (status === "failed" || status === "dead") {
        clearInterval(watch);
        say("Binder could not start a kernel for Live Code (mybinder.org may be busy or unreachable).");
      } else if (Date.now() - started > 10 * BINDER_WAIT_MS) {
        clearInterval(watch); // the message shown stays; stop asking
      } else if (status && Date.now() - started > BINDER_WAIT_MS) {
        say(`Binder is still starting a kernel (status: ${status}): mybinder.org is busy, so this can take minutes.`);
      }
    }, 1000);
  });
});
