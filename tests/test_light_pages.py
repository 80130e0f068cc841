"""book/_ext/light_pages.py's stylesheet bundles: one file per page's list of stylesheets, made again when one of
them changes, also where an incremental build leaves the page itself as the earlier build wrote it, without the rules
no page or script can match; the theme script's tab-stop function swapped for one that does not lay out the whole
page at load."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import light_pages  # noqa: E402


def page_with(*sheets: str) -> str:
    links = "".join(f'<link rel="stylesheet" href="_static/{name}" />\n' for name in sheets)
    return f"<html><head>{links}</head><body>text</body></html>"


def linked_css(page, static) -> str:
    (link,) = light_pages.STYLESHEET.findall(page.read_text())
    return (static / link.split("_static/", 1)[1]).read_text()


def test_a_changed_stylesheet_reaches_a_page_an_incremental_build_did_not_rewrite(tmp_path):
    static = tmp_path / "_static"
    static.mkdir()
    (static / "theme.css").write_text("p{color:black}")
    (static / "site-fixes.css").write_text("p{margin:0}")
    page = tmp_path / "page.html"
    page.write_text(page_with("theme.css", "site-fixes.css"))

    light_pages.bundle_stylesheets(tmp_path, [page])  # the first build
    assert "p{margin:0}" in linked_css(page, static) and "p{color:black}" in linked_css(page, static)

    (static / "site-fixes.css").write_text("p{margin:1em}")  # a fix; the page itself is not rewritten
    light_pages.bundle_stylesheets(tmp_path, [page])  # the next, incremental, build
    assert "p{margin:1em}" in linked_css(page, static), "the page still links the earlier bundle"
    assert "p{margin:0}" not in linked_css(page, static)


# --- the rules no page can match, dropped -----------------------------------------------------------------------------


def test_a_rule_goes_only_when_a_class_or_id_it_names_is_nowhere_in_the_site():
    import unused_css

    used = unused_css.words_in([]) | {"bd-header", "show", "search-button"}
    css = (
        ".bd-header .show,.modal-dialog{color:red}"  # one selector of two can match: the other goes
        ".btn-group>.btn{margin:0}"  # no page or script says btn-group
        "#search-button:hover,p:not(.was-validated){outline:none}"  # a class inside :not() removes nothing
        "@media (min-width:960px){.navbar-expand-lg{display:flex}}"  # emptied, so the @media goes too
        "@media (max-width:540px){.show{display:block}}"
        "@font-face{font-family:x;src:url(x.woff2)}"  # kept whole
        "/* a comment */p{margin:0}"
    )
    kept = unused_css.drop_unused_rules(css, used)
    assert ".bd-header .show{color:red}" in kept and "modal-dialog" not in kept
    assert "btn-group" not in kept and "navbar-expand-lg" not in kept and "min-width:960px" not in kept
    assert "#search-button:hover,p:not(.was-validated){outline:none}" in kept
    assert "@media (max-width:540px){.show{display:block}}" in kept
    assert "@font-face{font-family:x;src:url(x.woff2)}" in kept and "p{margin:0}" in kept
    assert "comment" not in kept


def test_the_bundle_keeps_what_a_page_or_a_script_names(tmp_path):
    static = tmp_path / "_static"
    static.mkdir()
    (static / "theme.css").write_text(".dark-mode{color:white}.unused-widget{color:red}.in-page{margin:0}")
    (static / "site.css").write_text(".menu-open{display:block}")
    (static / "site.js").write_text("document.body.classList.add('dark-mode', 'menu-open')")
    page = tmp_path / "page.html"
    page.write_text(page_with("theme.css", "site.css").replace("text", '<p class="in-page">text</p>'))

    light_pages.bundle_stylesheets(tmp_path, [page])
    css = linked_css(page, static)
    assert (
        ".dark-mode{color:white}" in css
        and ".in-page{margin:0}" in css
        and ".menu-open{display:block}" in css
    )
    assert "unused-widget" not in css
    assert light_pages.BUNDLED.findall(css) == ["theme.css", "site.css"]


def test_a_custom_property_goes_when_nothing_reads_it():
    """Bootstrap's and the theme's variables for colours and components no page shows go; one that a var() reads,
    or a script names, stays, and so does everything it reads."""
    import unused_css

    css = (
        ":root{--bs-indigo:#6610f2;--bs-gray-100:#f8f9fa;--pst-color-text:var(--pst-gray-900);--pst-gray-900:#222;"
        "--pst-only-for-unused:var(--pst-gray-100);--pst-gray-100:#eee;--pst-read-by-script:1px}"
        "html[data-theme=dark]{--pst-color-text:#ddd;--bs-indigo:#000}"
        "body{color:var(--pst-color-text)}"
        ".empty-after{--bs-cyan:#0dcaf0}"
        "@media (min-width:960px){:root{--bs-breakpoint-lg:960px}}"
    )
    used = {
        "pst-read-by-script",
        "--pst-read-by-script",
    }  # the words of a script that calls getPropertyValue()
    unread = unused_css.unused_custom_properties(css, used)
    assert unread == {
        "--bs-indigo",
        "--bs-gray-100",
        "--pst-only-for-unused",
        "--pst-gray-100",
        "--bs-cyan",
        "--bs-breakpoint-lg",
    }
    kept = unused_css.without_declarations(css, unread)
    assert kept == (
        ":root{--pst-color-text:var(--pst-gray-900);--pst-gray-900:#222;--pst-read-by-script:1px}\n"
        "html[data-theme=dark]{--pst-color-text:#ddd}\n"
        "body{color:var(--pst-color-text)}"
    )


def test_the_bundle_has_no_custom_property_nothing_reads(tmp_path):
    static = tmp_path / "_static"
    static.mkdir()
    (static / "theme.css").write_text(
        ":root{--unread:1px;--read:2px}@font-face{font-family:x;src:url(x.woff)}"
    )
    (static / "site.css").write_text("p{margin:var(--read)}")
    page = tmp_path / "page.html"
    page.write_text(page_with("theme.css", "site.css").replace("text", "<p>text</p>"))
    light_pages.bundle_stylesheets(tmp_path, [page])
    css = linked_css(page, static)
    assert "--read:2px" in css and "p{margin:var(--read)}" in css and "@font-face" in css
    assert "--unread" not in css
    assert light_pages.BUNDLED.findall(css) == ["theme.css", "site.css"]


# --- the theme's tab stops, laid out lazily ---------------------------------------------------------------------------


def test_the_pinned_theme_has_the_tab_stop_function_light_pages_replaces():
    """The theme installed from the lock ships the function exactly as THEME_TAB_STOPS spells it (minified), once."""
    import pydata_sphinx_theme

    script = (
        Path(pydata_sphinx_theme.__file__).parent
        / "theme/pydata_sphinx_theme/static/scripts/pydata-sphinx-theme.js"
    )
    assert script.read_text(encoding="utf-8").count(light_pages.THEME_TAB_STOPS) == 1


def test_the_theme_script_gets_the_lazy_tab_stops_once(tmp_path):
    scripts = tmp_path / "_static" / "scripts"
    scripts.mkdir(parents=True)
    script = scripts / "pydata-sphinx-theme.js"
    script.write_text(f"(()=>{{{light_pages.THEME_TAB_STOPS}function _(e,t){{}}}})()")
    light_pages.patch_theme_script(tmp_path)
    patched = script.read_text()
    assert light_pages.THEME_TAB_STOPS not in patched
    assert patched.count("function I()") == 1 and "IntersectionObserver" in patched
    light_pages.patch_theme_script(
        tmp_path
    )  # an incremental build that did not copy the theme's script again
    assert script.read_text() == patched


def test_a_theme_script_without_the_function_is_reported(tmp_path, caplog):
    scripts = tmp_path / "_static" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "pydata-sphinx-theme.js").write_text("function I(){/* a newer theme */}")
    with caplog.at_level("WARNING"):
        light_pages.patch_theme_script(tmp_path)
    assert "no longer has the tab-stop function" in caplog.text


# --- section heights and static files ---------------------------------------------------------------------------------


def article(*sections: str) -> str:
    body = "".join(f'<section id="s{i}">{content}</section>' for i, content in enumerate(sections))
    return (
        f'<html><body><article class="bd-article"><section id="top">{body}</section></article></body></html>'
    )


def test_sections_carry_a_height_that_grows_with_what_they_hold():
    import section_sizes

    paragraph = "<p>" + "word " * 200 + "</p>"
    figure = '<img src="a.png" width="672" height="432">'
    html = section_sizes.size_sections(article(paragraph, paragraph * 3, paragraph + figure), min_elements=0)
    heights = {
        sid: (int(phone), int(desktop))
        for sid, phone, desktop in re.findall(
            r'<section id="(s\d)" class="lazy-section" style="--phone-height: (\d+)px; --desktop-height: (\d+)px">',
            html,
        )
    }
    assert set(heights) == {"s0", "s1", "s2"}  # the top-level sections only, not the page's own
    assert heights["s1"][0] > heights["s0"][0] and heights["s1"][1] > heights["s0"][1]
    # the figure, scaled to the column: 432 px on the desktop, 432 * 343 / 672 on a phone
    assert heights["s2"][1] - heights["s0"][1] == pytest.approx(432, abs=1)
    assert heights["s2"][0] - heights["s0"][0] == pytest.approx(432 * 343 / 672, abs=1)
    assert heights["s0"][0] > heights["s0"][1]  # the same prose wraps into more lines on a phone
    assert section_sizes.size_sections(html) == html  # an incremental build leaves a sized page alone


def test_a_hidden_solution_adds_only_its_summary():
    import section_sizes

    solution = "<details><summary>Solution</summary>" + "<p>" + "word " * 500 + "</p></details>"
    longer = "<details><summary>Solution</summary>" + "<p>" + "word " * 5000 + "</p></details>"
    html = section_sizes.size_sections(article(solution, longer), min_elements=0)
    phones = re.findall(r"--phone-height: (\d+)px", html)
    assert phones[0] == phones[1]


def test_a_small_section_is_laid_out_at_load_and_not_estimated():
    """Under LAZY_ELEMENTS elements a section gets neither the class that makes it lazy nor an estimate."""
    import section_sizes

    small = "<p>a short section</p>"
    large = "<ul>" + "<li>item</li>" * section_sizes.LAZY_ELEMENTS + "</ul>"
    html = section_sizes.size_sections(article(small, large))
    assert '<section id="s0">' in html
    assert re.search(r'<section id="s1" class="lazy-section" style="--phone-height: \d+px', html)


def test_an_edited_stylesheet_reaches_the_site_when_no_page_changed(tmp_path):
    (tmp_path / "book" / "_static").mkdir(parents=True)
    (tmp_path / "book" / "_static" / "site-fixes.css").write_text("p{margin:1em}")
    (tmp_path / "out" / "_static").mkdir(parents=True)
    (tmp_path / "out" / "_static" / "site-fixes.css").write_text("p{margin:0}")  # the earlier build's copy
    copied = light_pages.refresh_static(tmp_path, ["book/_static"], tmp_path / "out")
    assert copied == ["book/_static/site-fixes.css"]
    assert (tmp_path / "out" / "_static" / "site-fixes.css").read_text() == "p{margin:1em}"
    assert light_pages.refresh_static(tmp_path, ["book/_static"], tmp_path / "out") == []


# --- tables, math fonts and Sphinx's options, in the page as written ----------------------------------------------------


def test_table_cells_carry_their_column_header_for_the_phone_layout():
    table = (
        "<table><thead><tr><th><p>symbol</p></th><th>shape</th></tr></thead>"
        "<tbody><tr><td><p>y</p></td><td></td></tr></tbody></table>"
    )
    labelled = light_pages.TABLE.sub(light_pages.label_table_cells, f"<p>before</p>{table}<p>after</p>")
    soup = BeautifulSoup(labelled, "html.parser")
    first, second = soup.select("tbody td")
    label = first.select_one(".cell-label")
    assert label.get_text() == "symbol" and label["aria-hidden"] == "true" and first.contents[0] is label
    assert "empty-cell" in second["class"]  # blank: hidden in the card, labelled all the same
    assert soup.table["role"] == "table" and first["role"] == "cell"
    assert [th["role"] for th in soup.select("thead th")] == ["columnheader"] * 2
    assert labelled.startswith("<p>before</p>") and labelled.endswith(
        "<p>after</p>"
    )  # only the table rewritten
    assert light_pages.TABLE.sub(light_pages.label_table_cells, labelled) == labelled  # once
    plain = "<table><tbody><tr><td>no header row</td></tr></tbody></table>"
    assert light_pages.TABLE.sub(light_pages.label_table_cells, plain) == plain


def test_the_colour_theme_is_resolved_before_the_first_paint():
    """The installed theme writes THEME_AUTO in its <head> script; the page gets THEME_RESOLVED instead, which leaves
    a stored choice alone and turns "auto" into the reader's light or dark."""
    import pydata_sphinx_theme

    layout = Path(pydata_sphinx_theme.__file__).parent / "theme/pydata_sphinx_theme/layout.html"
    assert (
        'document.documentElement.dataset.theme = localStorage.getItem("theme") || "{{ default_mode }}";'
        in (layout.read_text(encoding="utf-8"))
    )
    head = f"<head><title>t</title><script>{light_pages.THEME_AUTO}</script></head>"
    html = light_pages.lighten_page(head + "<body><article>text</article></body>", Path("page.html"))
    assert light_pages.THEME_AUTO not in html and light_pages.THEME_RESOLVED in html


def test_the_first_screens_math_fonts_are_preloaded():
    head = '<head><title>t</title><link rel="stylesheet" href="../_static/bundle.css" /></head>'
    math = '<span class="math"><math><msup><mi>f</mi><mo class="tml-prime">′</mo></msup></math></span>'
    body = f'<body><article class="bd-article"><p>{math}</p></article></body>'
    links = light_pages.preload_math_fonts(head, body)
    fonts = re.findall(r'type="(font/\w+)" crossorigin href="\.\./_static/([^"]+)"', links)
    assert fonts == [("font/woff", "temml/lm-math-subset.woff"), ("font/woff2", "temml/Temml.woff2")]
    plain = body.replace('<mo class="tml-prime">′</mo>', "<mi>x</mi>")
    assert re.findall(r'as="font"[^>]*_static/([^"]+)"', light_pages.preload_math_fonts(head, plain)) == [
        "temml/lm-math-subset.woff"
    ]
    assert light_pages.preload_math_fonts(links, body) == links  # once
    assert light_pages.preload_math_fonts(head, "<body><article><p>no math</p></article></body>") == head
    far = f'<body><article class="bd-article"><p>{"x" * light_pages.FIRST_SCREEN_CHARS}</p><p>{math}</p></article>'
    assert light_pages.preload_math_fonts(head, far) == head  # math below the first screens waits its turn


def test_sphinx_options_are_written_into_the_page(tmp_path):
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "documentation_options.js").write_text("const DOCUMENTATION_OPTIONS = {};\n")
    (tmp_path / "book").mkdir()
    page = tmp_path / "book" / "page.html"
    html = '<html><head><script src="../_static/documentation_options.js?v=1"></script></head><body></body></html>'
    lighter = light_pages.lighten_page(html, page)
    assert '<script id="documentation_options">const DOCUMENTATION_OPTIONS = {};</script>' in lighter
    assert "documentation_options.js" not in lighter


def test_only_the_search_page_loads_the_search_index():
    scripts = (
        '<script defer src="../_static/searchtools.js"></script>\n'
        '<script defer src="../_static/language_data.js"></script>\n'
        '<script defer src="../searchindex.js"></script>\n'
    )
    off = "<script>DOCUMENTATION_OPTIONS.search_as_you_type = false;</script>"
    page = f"<html><head><title>t</title>{scripts}{off}</head><body><article>text</article></body></html>"
    chapter = light_pages.lighten_page(page, Path("book/01.html"))
    assert "searchindex" not in chapter and "searchtools" not in chapter and "language_data" not in chapter
    assert "search_as_you_type = false" in chapter
    # the search page uses them, and so would every page with the theme's search-as-you-type box
    assert scripts.strip() in light_pages.lighten_page(page, Path("search.html"))
    typing = page.replace("= false", "= true")
    assert "searchindex.js" in light_pages.lighten_page(typing, Path("book/01.html"))


def test_the_theme_does_not_preload_its_deferred_scripts():
    """A preloaded script is fetched at high priority beside the stylesheet the first paint waits for; the theme's
    two run deferred, so their <script defer> tags alone load them, after the stylesheet."""
    theme = (
        '<link rel="preload" as="script" href="../_static/scripts/bootstrap.js?digest=1" />\n'
        '<link rel="preload" as="script" href="../_static/scripts/pydata-sphinx-theme.js?digest=1" />\n'
    )
    font = '<link rel="preload" as="font" type="font/woff" crossorigin href="../_static/temml/lm-math-subset.woff">'
    scripts = '<script defer src="../_static/scripts/bootstrap.js?digest=1"></script>'
    page = f"<html><head><title>t</title>{font}{theme}</head><body><article>text</article>{scripts}</body></html>"
    lighter = light_pages.lighten_page(page, Path("book/01.html"))
    assert 'as="script"' not in lighter
    assert font in lighter and scripts in lighter
