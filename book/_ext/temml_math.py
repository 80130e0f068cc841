"""Math rendered at build time as MathML, in a math font cut down to the symbols the book uses.

sphinxcontrib-katex (``katex_prerender``) runs a render server in Node and writes what it returns into each page.
Here that server renders with Temml instead of KaTeX (``temml/render.js``, which answers the one call the server
makes): the page carries MathML Core, which Chromium, Firefox and Safari lay out themselves, instead of KaTeX's HTML
drawing plus a hidden MathML copy for screen readers. The drawing was half of a chapter's elements (chapter 11:
23,600 of them), and its layout most of the main thread's work while a page loads.

MathML needs a font with an OpenType MATH table (the sizes of stretched brackets, radicals, big operators, script
shifts); computers differ in which they have, so the site serves one: Latin Modern Math (``temml/``, GUST Font
License), cut down after every build to the characters the site's math uses (``math_code_points``), 39 kB instead of
390 kB. A browser lays out a one-letter identifier such as ``<mi>x</mi>`` in its italic form (U+1D465), and draws a
square root's sign (U+221A) for ``<msqrt>``, neither of which is in any page's text, so those are added. Its rules
(fraction bars, a root's bar) are made a little thicker, so that Chromium draws every one (``thicken_rules``).

The server's start is also made patient: sphinxcontrib-katex 0.9.10 waits for its Unix socket file to exist and
connects once; but Node creates the file a moment before it listens, so on a busy machine the connection was refused
now and then and the whole build stopped. It connects again for up to the startup timeout instead.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterable
from html import unescape
from pathlib import Path
from typing import Any

from font_subset import write_font_subset
from sphinx.util import logging
from sphinxcontrib import katex

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent / "temml"
RENDERER = HERE / "render.js"
SOURCE_FONT = HERE / "latinmodern-math.otf"
# Under a name of its own, as the GUST Font License asks of a changed font (GUST-FONT-LICENSE.txt).
FONT_FILE = "temml/lm-math-subset.woff"
RETRY_SECONDS = 0.05

MATH = re.compile(r"<math\b.*?</math>", re.S)
ANNOTATION = re.compile(r"<annotation\b.*?</annotation>", re.S)  # the TeX source, which is not drawn
TAG = re.compile(r"<[^>]+>")
# A single character in <mi> with no mathvariant: MathML Core shows it italic (text-transform: math-auto).
AUTO_ITALIC = re.compile(r"<mi(?![^>]*mathvariant)[^>]*>([^<]{1,8})</mi>")
# Unicode's mathematical italic letters, which math-auto maps to: Latin capitals, small letters, Greek.
ITALIC_START = {("A", "Z"): 0x1D434, ("a", "z"): 0x1D44E, ("Α", "Ω"): 0x1D6E2, ("α", "ω"): 0x1D6FC}
ITALIC_EXCEPTIONS = {"h": 0x210E, "ı": 0x1D6A4, "ȷ": 0x1D6A5, "ϵ": 0x1D716, "ϑ": 0x1D717, "ϰ": 0x1D718,
                     "ϕ": 0x1D719, "ϱ": 0x1D71A, "ϖ": 0x1D71B, "∇": 0x1D6FB, "∂": 0x1D715}
# Always in the font, whatever the pages use: printable ASCII (text inside math, \text{...}) and a no-break space.
ALWAYS = [*range(0x20, 0x7F), 0xA0]
# Glyphs the browser draws for an element that has no text of its own: a root's radical sign.
DRAWN_FOR = {"msqrt": "\u221a", "mroot": "\u221a"}


def italic_form(char: str) -> int | None:
    """The code point MathML Core's math-auto shows ``char`` as, or None when it stays as it is."""
    if char in ITALIC_EXCEPTIONS:
        return ITALIC_EXCEPTIONS[char]
    for (first, last), start in ITALIC_START.items():
        if first <= char <= last:
            offset = ord(char) - ord(first)
            return None if first == "Α" and offset == 17 else start + offset  # U+03A2 has no capital sigma twin
    return None


def math_code_points(pages: Iterable[str]) -> set[int]:
    """Every code point the math of these HTML pages can show, including math-auto's italic letters."""
    points = set(ALWAYS)
    for html in pages:
        for formula in (ANNOTATION.sub("", f) for f in MATH.findall(html)):
            points.update(ord(c) for c in unescape(TAG.sub("", formula)))
            points.update(ord(glyph) for element, glyph in DRAWN_FOR.items() if f"<{element}" in formula)
            for identifier in AUTO_ITALIC.findall(formula):
                text = unescape(identifier)
                if len(text) == 1 and (italic := italic_form(text)) is not None:
                    points.add(italic)
    return points


# Chromium snaps a fraction's bar and a root's overbar to whole CSS pixels, and drops one that rounds to no pixel at
# all: Latin Modern's rules, 0.04 em, are 0.77 px at the size math is set (1.21 em), so a root's bar vanished or not
# depending on where it fell (the radicals of chapter 7's step sizes had none, while Firefox drew them). 0.06 em is
# 1.16 px there, 1.06 px on a phone; KaTeX draws its rules at least 1.06 px for the same reason.
RULE_THICKNESS = 60  # font units (1000 to the em)
RULES = ("FractionRuleThickness", "RadicalRuleThickness", "OverbarRuleThickness", "UnderbarRuleThickness")


def thicken_rules(font: Any) -> None:
    """Raise the MATH table's rule thicknesses to RULE_THICKNESS (see there), in font units."""
    constants = font["MATH"].table.MathConstants
    scale = font["head"].unitsPerEm / 1000
    for name in RULES:
        record = getattr(constants, name)
        record.Value = max(record.Value, round(RULE_THICKNESS * scale))


def _write_font(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    pages = [p.read_text(encoding="utf-8") for p in outdir.rglob("*.html") if "_static" not in p.parts]
    points = math_code_points(pages)
    # No OpenType features: the one math layout would use, ssty, swaps in drawings of each glyph made for script
    # sizes, which doubled the font (86 kB -> 39 kB without them); scripts are the base glyphs made smaller, as
    # KaTeX draws them. The MATH table's larger sizes of brackets, roots and operators are kept.
    size = write_font_subset(
        SOURCE_FONT, points, outdir / "_static" / FONT_FILE, layout_features=[], adjust=thicken_rules
    )
    logger.info("math font: %d characters, %d kB (%s)", len(points), round(size / 1000), FONT_FILE)


def _connect_when_listening(cls: type, rundir: Any, timeout: float) -> tuple[Any, socket.socket]:
    """KaTeXServer.start_server_process, but retrying a refused connection until ``timeout``."""
    socket_path = rundir / "katex.sock"
    process = katex.Popen(
        cls.build_command(socket=socket_path), stdin=katex.PIPE, stdout=katex.PIPE, cwd=rundir
    )
    deadline = time.monotonic() + timeout
    while True:
        if socket_path.is_socket():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(socket_path))
                return process, sock
            except (ConnectionRefusedError, FileNotFoundError):
                sock.close()
        if process.poll() is not None:
            raise RuntimeError(
                f"the math render server (node) exited with {process.returncode}: is Node.js installed?"
            )
        if time.monotonic() > deadline:
            raise cls.timeout_error(timeout)
        time.sleep(RETRY_SECONDS)


def _use_temml(app: Any) -> None:
    # After sphinxcontrib-katex's own builder-inited, which sets the server's script from katex_js_path.
    katex.KaTeXServer.katex_path = str(RENDERER)


def setup(app: Any) -> dict[str, Any]:
    katex.KaTeXServer.start_server_process = classmethod(_connect_when_listening)
    app.connect("builder-inited", _use_temml, priority=900)
    app.connect("build-finished", _write_font)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
