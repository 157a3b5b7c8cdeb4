"""`lead-funnel report` on the fixture: the numbers it reads (worked out by hand from the fixture
and the rules) and the page in a real headless browser (Debian's chromium, installed by
scripts/chromium_up.sh; playwright drives that binary, it downloads no browser of its own)."""

import shutil
import struct
import zlib
from html.parser import HTMLParser
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from lead_funnel.cli import main
from lead_funnel.marts.report.charts import CHARTS, response_bins
from lead_funnel.marts.report.data import MqlWeek, collect
from lead_funnel.marts.report.page import headline, render, title

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def test_report_numbers_of_the_fixture(fixture_db: Path) -> None:
    data = collect(fixture_db, sla_hours=24, mql_threshold=100)
    # Waterfall, contact by contact (stage rules of docs/funnel_rules.md §5): 13 contacts;
    # SAL: C001 (qualification), C002 (accepted), C006, C007, C008 (inferred from their deals),
    # C012 -> 6; SQL: C001 (3 of 4 BANT), C006, C007, C008, C012 -> 5 (C002 had 2 of 4);
    # opportunity: C006, C007, C008, C012 -> 4; customer: C012 (won 03-15) -> 1.
    assert data.totals["leads"] == 13
    assert [data.totals[c] for c in ("sals", "sqls", "opportunities", "customers")] == [6, 5, 4, 1]
    assert data.totals["pqls"] == 1  # C016, by product usage alone
    assert data.pql_months == [(date(2024, 5, 1), 1)]  # pql_at clamped to created_at 05-10
    # Handoffs by the ISO week (Monday) of mql_at. 2024-05-01 is a Wednesday: C001-1 (accepted
    # 05-01 20:00), C002-1 (accepted 05-02 10:00), C003-2 and C008-1 (pending) -> week of
    # 04-29: 4 MQLs, acceptance 2 / (2 + 0) = 100%, where SALs / MQLs of the week would say 50%.
    # C003-1 (MQL Friday 03-01, rejected 03-02) -> week of 02-26: 0 / (0 + 1) = 0%.
    # C012-1 (Thursday 02-01, accepted) -> week of 01-29: 100%.
    weeks = {w.week: w for w in data.weeks}
    assert weeks[date(2024, 4, 29)] == MqlWeek(date(2024, 4, 29), 4, 2, 0, 2)
    assert weeks[date(2024, 4, 29)].acceptance_rate == 1.0
    assert weeks[date(2024, 2, 26)].acceptance_rate == 0.0
    assert weeks[date(2024, 1, 29)].acceptance_rate == 1.0
    # C004-1 (Sunday 06-30) and C005-1 (Saturday 06-29) are both pending: week of 06-24 has
    # no answered handoff, so no rate (not 0%).
    assert weeks[date(2024, 6, 24)].mqls == 2 and weeks[date(2024, 6, 24)].acceptance_rate is None
    assert data.handoffs == 10  # 9 contacts' first cycles + C003's re-MQL
    assert data.acceptance_rate == 0.75  # accepted C001, C002, C012 / + rejected C003-1
    # Responses: C001 10 h, C002 24 h (exactly the SLA: within), C003-1 24 h, C012 5 h. Pending:
    # C004 (MQL 12 h before as_of: inside the SLA) and 5 past it (C003-2, C005, C008, C015,
    # C016). Within SLA = 4 / (4 responded + 5 pending past) = 44.4%.
    assert data.response_hours == [(5.0, True), (10.0, True), (24.0, True), (24.0, True)]
    assert (data.pending_inside_sla, data.pending_past_sla) == (1, 5)
    assert data.within_sla_rate == pytest.approx(4 / 9)
    # 17 quarantined of 65 raw rows (contacts 4 of 19, events 6 of 25, activities 4 of 12,
    # deals 3 of 9); two orphan events (E904, E905).
    assert (data.quarantined_rows, data.raw_rows) == (17, 65)
    assert ("engagement_events", "orphan_contact_id", 2) in data.quarantine
    assert data.as_of == datetime(2024, 7, 1)
    # created_at of the 13 contacts: C009 on 01-05 is the first, C004 and C005 on 06-01 the last
    assert title(data) == ("Lead funnel · leads created 05 Jan 2024 – 01 Jun 2024 · as of "
                           "01 Jul 2024 00:00 UTC")
    cards = {label: value for label, value, _ in headline(data)}
    assert (cards["Leads"], cards["Handoffs accepted"], cards["Within SLA"]) == (
        "13", "75.0%", "44.4%")
    assert cards["Quarantined rows"] == "17"


def test_response_bins_put_the_sla_on_an_edge() -> None:
    # SLA 24 h: bins of 3 h, (21, 24] is the last one within the SLA, up to 72 h.
    edges = response_bins(24)
    assert edges[:2] == [3.0, 6.0] and edges[7] == 24.0 and edges[-1] == 72.0


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []  # src / href of script, link, img tags
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.external += [v or "" for k, v in attrs
                          if tag in ("script", "link", "img") and k in ("src", "href")]


def test_page_is_self_contained(fixture_db: Path) -> None:
    page = render(collect(fixture_db))
    tags = _Tags()
    tags.feed(page)
    assert tags.external == []  # nothing loaded from elsewhere: plotly.js is inlined
    assert tags.scripts >= 1 + len(CHARTS)  # the library, then one script per chart
    assert page.count('class="plotly-graph-div"') == len(CHARTS)


def _png_is_not_blank(png: bytes) -> int:
    """Distinct colours among the decoded pixels of an 8-bit RGB(A) PNG (no imaging library)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    # sample the filter-0 bytes of rows; colours as raw byte triples are enough to tell blank
    colours = {raw[r * stride + 1 + c * channels: r * stride + 1 + c * channels + 3]
               for r in range(0, height, 7) for c in range(0, width, 5)}
    return len(colours)


@pytest.mark.skipif(shutil.which("chromium") is None and not CHROMIUM.exists(),
                    reason="make chromium installs Debian's chromium")
def test_page_renders_in_headless_chromium(fixture_db: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    out = tmp_path / "funnel_report.html"
    assert main(["report", "--database", str(fixture_db), "--out", str(out)]) == 0
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(out.as_uri(), wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(CHARTS)}")
        # every chart: drawn, with at least one trace holding data, and marks in its SVG
        drawn = page.evaluate("""(ids) => ids.map(id => {
            const el = document.getElementById('chart-' + id);
            const points = (el.data || []).map(t => (t.x || t.values || []).length);
            return {id, traces: (el.data || []).length, points: Math.max(0, ...points),
                    marks: el.querySelectorAll('.point, path.point, .bars path, .trace path').length};
        })""", list(CHARTS))
        title_text = page.title()
        shot = page.screenshot(full_page=True)
        browser.close()
    assert problems == []
    assert [r for r in requests if not r.startswith("file://")] == []  # nothing from a network
    for chart in drawn:
        assert chart["traces"] >= 1 and chart["points"] >= 1 and chart["marks"] >= 1, chart
    assert title_text.startswith("Lead funnel · leads created 05 Jan 2024")
    (tmp_path / "funnel_report.png").write_bytes(shot)
    assert _png_is_not_blank(shot) > 50  # a blank page has one or two colours


def test_account_and_campaign_charts_of_the_fixture(fixture_db: Path) -> None:
    data = collect(fixture_db, sla_hours=24, mql_threshold=100)
    assert data.accounts is not None
    # 12 accounts (C001 and C002 share acme.com, the 11 other contacts one domain each); MQA:
    # acme.com only (C001 and C002 MQL'd together on 05-01); opportunity: eps.io (C006), eta.io
    # (C008), zeta.io (C007, lost) and lambda.com (C012); customer: lambda.com, no MQA.
    assert data.accounts.funnel == {"accounts": 12, "mqas": 1, "opportunities": 4, "customers": 1}
    assert data.accounts.mqa_customers == 0
    funnel = _account_figures(data)["account_funnel"]
    assert list(funnel.data[0].x) == [12, 1, 4, 1]
    assert "MQA → customer 0.0% (0 of 1 MQAs)" in funnel.layout.title.text
    # Campaigns: CMP1 (C001-1) and WEB1 (C012-1) hold credit 1 under every model; a tie on MQLs
    # is ordered by campaign id. WEB1 won the one customer (C012). Position-based is shown first.
    campaigns = _account_figures(data)["campaigns"]
    visible = [trace for trace in campaigns.data if trace.visible]
    assert [(t.name, list(t.y), list(t.x)) for t in visible] == [
        ("attributed MQLs", ["CMP1", "WEB1"], [1.0, 1.0]),
        ("attributed customers", ["CMP1", "WEB1"], [0.0, 1.0])]
    assert len(campaigns.data) == 2 * 5  # two traces per attribution model, one menu entry each
    assert "8 MQLs without a campaign touch (position_based)" in campaigns.layout.title.text


def _account_figures(data: Any) -> dict[str, Any]:
    from lead_funnel.marts.report.charts import FIGURES
    return {name: FIGURES[name](data) for name in ("account_funnel", "campaigns")}
