/* Replaces pydata-sphinx-theme's addTabStopsToScrollableElements (the minified bundle's function I; light_pages.py
   swaps it in after the build). The theme's version reads scrollWidth and scrollHeight of every code block and
   output on the page as soon as it loads, which forces the browser to lay out every section that
   content-visibility: auto had left for later: on a chapter, 0.3 to 1.5 s of blocked main thread (Lighthouse's
   Total Blocking Time; its score went from 84-92 to 99 without it). This one does the same job, giving a block that
   scrolls a tab stop (tabIndex 0) and one that does not none (-1), for each block when it comes near the screen,
   again for the blocks on screen when the window is resized, and for blocks added later (live code's outputs).
   It uses the bundle's own debounce, `_`. */
function I() {
  const selector = ["pre", ".nboutput > .output_area", ".cell_output > .output", ".jp-RenderedHTMLCommon",
    ".pst-scrollable-table-container"].join(", ");
  const main = document.getElementById("main-content");
  if (!main) return;
  const near = new Set();
  const mark = (el) => {
    el.tabIndex = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight ? 0 : -1;
  };
  const watcher = new IntersectionObserver((entries) => entries.forEach((entry) => {
    if (entry.isIntersecting) {
      near.add(entry.target);
      mark(entry.target);
    } else {
      near.delete(entry.target);
    }
  }), { rootMargin: "400px 0px" });
  const watch = (root) => {
    (root.matches(selector) ? [root] : []).concat([...root.querySelectorAll(selector)]).forEach((el) => watcher.observe(el));
  };
  watch(main);
  new MutationObserver((records) => records.forEach((record) => record.addedNodes.forEach((node) => {
    if (node.nodeType === 1) watch(node);
  }))).observe(main, { subtree: true, childList: true });
  window.addEventListener("resize", _(() => near.forEach(mark), 300));
}
