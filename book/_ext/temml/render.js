// The one function sphinxcontrib-katex's render server (katex-server.js) calls, katex.renderToString(tex, options),
// answered by Temml: math becomes MathML Core, which browsers lay out themselves, instead of KaTeX's HTML drawing
// plus a hidden MathML copy (half of a chapter's elements). A formula Temml cannot read throws, and the server
// returns the message, so the build stops naming the TeX instead of printing red source text on the page.
const temml = require("./temml.cjs");

module.exports = {
  renderToString(tex, options) {
    const mathml = temml.renderToString(tex, {
      displayMode: Boolean(options.displayMode),
      throwOnError: true,
      trust: false,
      // the TeX source as the MathML's <annotation>, which browsers do not draw: the PDF's bookmarks, search and
      // the tests name an equation by it
      annotate: true,
    });
    // \bar is written as an overline (U+203E), which Latin Modern Math lacks (another font would draw it): its macron
    // (U+00AF) is the same bar.
    const drawn = mathml.replaceAll(">\u203E</mo>", ">\u00AF</mo>");
    // A display equation sits in a box of its own, which scrolls when the equation is wider than the column
    // (book/_static/math.css): Chromium centres a <math> that has padding of its own off by that padding.
    return options.displayMode ? `<div class="math-scroll">${drawn}</div>` : drawn;
  },
};
