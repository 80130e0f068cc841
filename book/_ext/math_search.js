/* Search results quote each page's text around the words found (Sphinx's searchtools.js, Search.htmlToText). A
   page's math is MathML, whose bare text runs its parts together ("h22f′′(x)" for h²/2 f″(x)). Before Sphinx
   reads a page's text, each equation is replaced by one plain-text line of its MathML: "h²/2 f′′(x)",
   "∂L/∂W = Xᵀ (P − Y)". Loaded on the search page only (book/_ext/math_search.py). */
(() => {
  const SUPERSCRIPT = { 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹", "+": "⁺", "−": "⁻", "-": "⁻", "⊤": "ᵀ", T: "ᵀ", n: "ⁿ", i: "ⁱ", "∗": "*", "*": "*", "′": "′", "′′": "′′", "′′′": "′′′" };
  const SUBSCRIPT = { 0: "₀", 1: "₁", 2: "₂", 3: "₃", 4: "₄", 5: "₅", 6: "₆", 7: "₇", 8: "₈", 9: "₉", "+": "₊", "−": "₋", "-": "₋" };
  const SPACED = new Set(["=", "+", "−", "≈", "≤", "≥", "<", ">", "→", "⟹", "⟺", "∼", "≠", "∈", "↦", ":", "·", "⋅", "×", "⊙"]);
  // a tiny piece of text as a script: every character in the table, or null
  const script = (text, table) => (text in table ? table[text] : [...text].every((c) => c in table) ? [...text].map((c) => table[c]).join("") : null);
  // one symbol or number (with its primes and scripts) stands alone; anything longer gets parentheses
  const group = (text) => (/^(\p{L}|[\p{N}.]+)[\p{N}′∗*ᵀ⁺⁻₊₋]*$/u.test(text) ? text : `(${text})`);

  const linear = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return "";
    const name = node.localName;
    if (name === "annotation" || name === "annotation-xml") return "";
    // a multi-letter identifier is a function name (log, sin, softmax): set it apart
    if (name === "mi") return node.textContent.length > 1 ? ` ${node.textContent} ` : node.textContent;
    if (name === "mn") return node.textContent;
    const parts = [...node.childNodes].map(linear);
    if (name === "mfrac") return `${group(parts[0].trim())}/${group(parts[1].trim())} `;
    if (name === "msqrt") return `√${group(parts.join("").trim())}`;
    if (name === "mroot") return `${group(parts[0].trim())}^(1/${parts[1].trim()})`;
    if (name === "msup" || name === "msub" || name === "msubsup") {
      const [base, first, second] = parts.map((p) => p.trim());
      const sub = name === "msup" ? null : first;
      const sup = name === "msup" ? first : name === "msubsup" ? second : null;
      let out = base;
      if (sub !== null) out += script(sub, SUBSCRIPT) ?? `_${group(sub)}`;
      if (sup !== null) out += script(sup, SUPERSCRIPT) ?? `^${group(sup)}`;
      return out;
    }
    if (name === "munder" || name === "mover" || name === "munderover") {
      // an underbrace's label, a sum's limits: the base is what the sentence says
      return parts[0];
    }
    if (name === "mtable") return [...node.children].map(linear).join("; ");
    if (name === "mtr") return [...node.children].map(linear).join(" ").trim();
    if (name === "mspace") return " ";
    if (name === "mo") {
      const op = node.textContent.trim();
      return SPACED.has(op) ? ` ${op} ` : op === "," || op === ";" ? `${op} ` : op;
    }
    if (name === "mtext") return ` ${node.textContent.trim()} `;
    return parts.join("");
  };

  // The plain text of one rendered equation: its MathML, linearised, with runs of spaces squeezed.
  const mathText = (math) => {
    return math ? linear(math).replace(/[\u2061-\u2064\u200b]/g, "").replace(/\s+/g, " ").replace(/\( /g, "(").replace(/ \)/g, ")").trim() : "";
  };

  const plainMath = (htmlString) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    const equations = doc.querySelectorAll("math");
    if (!equations.length) return htmlString;
    for (const math of equations) {
      const display = math.getAttribute("display") === "block";
      math.replaceWith(doc.createTextNode(display ? ` ${mathText(math)} ` : mathText(math)));
    }
    return doc.documentElement.outerHTML;
  };

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => htmlToText(plainMath(htmlString), anchor);
  });
})();
