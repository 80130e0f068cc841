"""Lighthouse on the built site, served gzip-compressed like GitHub Pages, each page audited as a phone on a slow 4G
network (Lighthouse's default: simulated throttling, mobile), against the targets of issue 22. `make test` audits
the home page, two chapters and a lab once each; `make audit` every page of the book three times. The scores are
printed in the test output and in _build/lighthouse.txt.

Lighthouse is an npm package pinned in book/_tools/package-lock.json: `npm ci --prefix book/_tools` installs it
(`make test` does). It drives the same Chromium as the other site tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, toc_files
from site_helpers import (
    CHROMIUM_SANDBOX,
    chromium_executable,
    longest_chapter_page,
    toc_chapter_pages,
    toc_pages,
)

LIGHTHOUSE = ROOT / "book" / "_tools" / "node_modules" / "lighthouse" / "cli" / "index.js"
INSTALL_LIGHTHOUSE = "npm ci --prefix book/_tools"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
# The performance score is timed: on a shared 2-core machine the same chapter scored 86 to 94 back to back, and
# lower while the other test worker runs. As the course's standards ask of speed targets, it is an audit:
# `make audit` (LIGHTHOUSE_PERFORMANCE=1, nothing else running) asserts it, and the time render-blocking files cost the
# first paint, on the median of three runs of every page; `make test` prints them and asserts what does not depend on
# timing (accessibility, best practices, SEO, layout shift).
AUDIT_PERFORMANCE = os.environ.get("LIGHTHOUSE_PERFORMANCE") == "1"
ASSERTED = [name for name in CATEGORIES if name != "performance" or AUDIT_PERFORMANCE]
MAX_LAYOUT_SHIFT = 0.02
MAX_RENDER_BLOCKING_MS = 300  # what Lighthouse estimates the render-blocking files delay the first paint by


def audited_pages() -> list[str]:
    """`make audit`: every page of the book. `make test`: the home page, the first chapter, the longest chapter (the
    most math, code and figures) and the first lab."""
    if AUDIT_PERFORMANCE:
        return toc_pages()
    chapters = [p for p in toc_chapter_pages() if "/labs/" not in p]
    labs = [p for p in toc_chapter_pages() if "/labs/" in p]
    return list(dict.fromkeys([toc_pages()[0], chapters[0], longest_chapter_page(), labs[0]]))


PAGES = audited_pages()


def run_lighthouse(url: str, report: os.PathLike) -> dict:
    node = shutil.which("node")
    if node is None or not LIGHTHOUSE.is_file():
        pytest.fail(
            f"Lighthouse is not installed: it needs Node.js (apt-get install nodejs npm) and `{INSTALL_LIGHTHOUSE}` "
            "(make test runs it).",
            pytrace=False,
        )
    cmd = [
        node,
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags="
        + " ".join(["--headless=new", *CHROMIUM_SANDBOX, "--disable-gpu", "--disable-background-networking"]),
    ]
    env = {**os.environ, "CHROME_PATH": chromium_executable()}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        pytest.fail(
            f"lighthouse failed on {url} (exit {proc.returncode}):\n{proc.stderr[-3000:]}", pytrace=False
        )
    return json.loads(Path(report).read_text(encoding="utf-8"))


def summary(result: dict) -> dict:
    audits = result["audits"]
    scores = {name: round(100 * (result["categories"][name]["score"] or 0)) for name in CATEGORIES}
    return {
        **scores,
        "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "blocking_ms": audits["render-blocking-resources"].get("numericValue", 0),
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "kb": audits["total-byte-weight"]["numericValue"] / 1000,
        "failing": [
            f"{name}: {ref['id']}"
            for name in CATEGORIES
            for ref in result["categories"][name]["auditRefs"]
            if ref["weight"] > 0
            and (audits[ref["id"]].get("score") is not None)
            and audits[ref["id"]]["score"] < 1
            and name != "performance"
        ],
    }


def runs_for(page: str) -> int:
    """How many audits a page gets. A chapter's performance score varies from run to run (on this 2-core machine the
    same chapter scored from 86 to 94 back to back before its script stopped laying out the whole page at load), so,
    as Lighthouse's guide to variability advises, `make audit` audits each page three times and judges it by its
    median run. In `make test` (no performance assertion) every page is audited once."""
    return 3 if AUDIT_PERFORMANCE else 1


def median_run(results: list[dict]) -> dict:
    """The run with the median performance score (its other scores and metrics come with it)."""
    return sorted(results, key=lambda r: r["performance"])[len(results) // 2]


@pytest.fixture(scope="module")
def lighthouse(served_site, tmp_path_factory) -> dict[str, dict]:
    """Each page of PAGES audited (see runs_for): page -> summary of its median run; the table is printed."""
    base_url, _ = served_site
    folder = tmp_path_factory.mktemp("lighthouse")
    results = {
        page: median_run(
            [
                summary(run_lighthouse(base_url + page, folder / f"{i}-{k}.json"))
                for k in range(runs_for(page))
            ]
        )
        for i, page in enumerate(PAGES)
    }
    rows = [
        f"{page:40} {r['performance']:>5} {r['accessibility']:>5} {r['best-practices']:>5} {r['seo']:>5} "
        f"{r['lcp_s']:>6.1f} {r['tbt_ms']:>6.0f} {r['cls']:>6.3f} {r['blocking_ms']:>6.0f} {r['kb']:>7.0f}"
        for page, r in results.items()
    ]
    header = f"{'Lighthouse, mobile (page)':40} {'perf':>5} {'a11y':>5} {'b.p.':>5} {'seo':>5} {'LCP s':>6} {'TBT ms':>6} {'CLS':>6} {'block':>6} {'kB':>7}"
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / "lighthouse.txt").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return results


def test_lighthouse_scores_are_printed(lighthouse, capsys):
    """The table of scores, in the test output and in _build/lighthouse.txt."""
    table = (ROOT / "_build" / "lighthouse.txt").read_text(encoding="utf-8")
    with capsys.disabled():
        print("\n" + table, end="")
    assert all(page in table for page in PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_lighthouse_targets(lighthouse, page):
    result = lighthouse[page]
    short = {name: (result[name], TARGETS[name]) for name in ASSERTED if result[name] < TARGETS[name]}
    assert not short, (
        f"{page}: scores below target (score, target): {short}; failing audits: {result['failing']}"
    )
    assert result["cls"] <= MAX_LAYOUT_SHIFT, f"{page}: layout shift {result['cls']:.3f} > {MAX_LAYOUT_SHIFT}"
    if AUDIT_PERFORMANCE:
        assert result["blocking_ms"] <= MAX_RENDER_BLOCKING_MS, (
            f"{page}: render-blocking files delay the first paint by {result['blocking_ms']:.0f} ms"
        )


def test_the_audited_site_is_served_as_pages_serves_it(served_site):
    """Lighthouse simulates slow 4G from what it saw: a server that closes the connection after each file (http.server
    speaks HTTP/1.0 unless told) makes every file pay a TCP handshake and a slow start that no reader pays, since
    GitHub Pages keeps one connection for the page's files. The audit's server keeps it open and gzips text."""
    import http.client
    from urllib.parse import urlsplit

    base_url, html = served_site
    url = urlsplit(base_url)
    stylesheet = next((html / "_static").glob("bundle-*.css")).name
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        for path in (PAGES[0], f"_static/{stylesheet}"):
            connection.request("GET", f"/{path}", headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200 and response.version == 11, (
                path,
                response.status,
                response.version,
            )
            assert response.getheader("Content-Encoding") == "gzip" and len(body) > 0, path
            assert not response.will_close, f"the server closed the connection after /{path}"
        assert connection.sock is not None, "the connection was not kept for the page's next file"
    finally:
        connection.close()


def test_a_chapter_is_judged_by_its_median_run():
    runs = [{"performance": p, "lcp_s": float(p)} for p in (91, 86, 94)]
    assert median_run(runs) == {"performance": 91, "lcp_s": 91.0}
    assert {runs_for(page) for page in PAGES} == ({3} if AUDIT_PERFORMANCE else {1})


def test_audited_pages_cover_home_chapters_and_a_lab():
    assert PAGES[0] == f"{toc_files()[0]}.html"
    assert any("/labs/" in p for p in PAGES)
    assert len(PAGES) == (len(toc_pages()) if AUDIT_PERFORMANCE else 4)
