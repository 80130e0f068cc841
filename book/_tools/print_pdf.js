// Run in the joined book (book/_tools/print_pdf.py) once it is laid out for print: load every figure, fit wide math to
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

  // Display math wider than its room is scaled down until it fits (MathML sizes everything in em). Its room is the
  // row of div.math left of the equation number; its width is the extent of what the browser drew, measured with a
  // Range (the site's box would clip it or scroll, so its own width does not tell).
  const room = (display) => {
    const box = (display.closest("div.math") || display.parentElement).getBoundingClientRect();
    const number = display.closest("div.math")?.querySelector(".eqno");
    const right = number ? Math.min(box.right, number.getBoundingClientRect().left - 6) : box.right;
    return { left: box.left, right };
  };
  const extent = (display) => {
    const range = document.createRange();
    range.selectNodeContents(display);
    return range.getBoundingClientRect();
  };
  let scaled = 0;
  const overflowing = [];
  for (const display of document.querySelectorAll('math[display="block"]')) {
    const fits = () => {
      const [r, e] = [room(display), extent(display)];
      return e.left >= r.left - 0.5 && e.right <= r.right + 0.5;
    };
    for (let attempt = 0; attempt < 4 && !fits(); attempt++) {
      const [r, e] = [room(display), extent(display)];
      const size = parseFloat(getComputedStyle(display).fontSize);
      display.style.fontSize = `${Math.floor(size * Math.min(1, (r.right - r.left) / e.width) * 0.97 * 100) / 100}px`;
      if (attempt === 0) scaled++;
    }
    if (!fits()) {
      const tex = display.querySelector("annotation");
      overflowing.push((tex ? tex.textContent : display.textContent).slice(0, 80));
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
