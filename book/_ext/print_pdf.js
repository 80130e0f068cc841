// Run in the joined book (book/_ext/print_pdf.py) once it is laid out for print: load every figure, fit wide math to
// the column, mark wrapped code lines. Returns what it did, which the printer reports and tests/test_pdf.py checks.
async () => {
  for (const img of document.images) {
    img.loading = "eager";
    try {
      await img.decode();
    } catch (error) {
      // a broken image prints as its alt text
    }
  }
  await document.fonts.ready;

  // Display math wider than the column is scaled down until it fits (KaTeX sizes everything in em).
  let scaled = 0;
  const overflowing = [];
  for (const display of document.querySelectorAll(".katex-display")) {
    const box = display.closest("div.math") || display.parentElement;
    for (let attempt = 0; attempt < 4 && box.scrollWidth > box.clientWidth + 0.5; attempt++) {
      const ratio = box.clientWidth / box.scrollWidth;
      const size = parseFloat(getComputedStyle(display).fontSize);
      display.style.fontSize = `${Math.floor(size * ratio * 0.98 * 100) / 100}px`;
      if (attempt === 0) scaled++;
    }
    if (box.scrollWidth > box.clientWidth + 0.5) {
      const tex = display.querySelector("annotation");
      overflowing.push(`${tex ? tex.textContent.slice(0, 80) : display.textContent.slice(0, 80)} (${box.scrollWidth} > ${box.clientWidth} px)`);
    }
  }

  // A code line that wraps gets ↪ in the gutter beside each continuation, so it does not read as a new statement.
  let continuations = 0;
  for (const pre of document.querySelectorAll("pre")) {
    const lineHeight = parseFloat(getComputedStyle(pre).lineHeight) || 16;
    const lines = pre.textContent.replace(/\n$/, "").split("\n").length;
    if (pre.clientHeight < (lines + 0.5) * lineHeight) continue; // nothing wrapped
    const origin = pre.getBoundingClientRect().top - pre.clientTop;
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let lastTop = null;
    let afterNewline = true;
    const marks = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      for (let i = 0; i < text.length; i++) {
        if (text[i] === "\n") {
          afterNewline = true;
          continue;
        }
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        if (lastTop !== null && rect.top > lastTop + lineHeight / 2 && !afterNewline) marks.push(rect.top - origin);
        lastTop = rect.top;
        afterNewline = false;
      }
    }
    for (const top of marks) {
      const mark = document.createElement("span");
      mark.className = "print-wrap-mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = "↪";
      mark.style.top = `${top}px`;
      pre.appendChild(mark);
    }
    continuations += marks.length;
  }
  return { figures: document.querySelectorAll("article img, .print-page img").length, scaled, overflowing, continuations };
}
