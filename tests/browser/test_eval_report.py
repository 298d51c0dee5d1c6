"""The self-contained eval report opens in headless Chromium and its plots render."""

from __future__ import annotations

import pytest

from advisor.report import write_reports

from ..conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory, eval_reports):
    out = tmp_path_factory.mktemp("report")
    paths = write_reports(eval_reports["corpus"], out)
    assert [p.name for p in paths] == ["report.json", "report.md", "report.html", "ragas.jsonl"]
    return paths[2]


def test_report_renders_plots_and_the_item_table(page, report_html, tmp_path):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report_html.as_uri())
    assert page.title().startswith("Evaluatie")
    svgs = page.locator("svg")
    assert svgs.count() == 4  # decisions per kind, latency, top similarity, reliability
    for i in range(4):  # every plot is laid out with real size and has drawn bars
        box = svgs.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
        heights = svgs.nth(i).locator("rect.bar").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height)")
        assert heights and max(heights) > 5
    assert page.locator("line.threshold").count() == 1  # the decision threshold is marked
    assert page.locator("#items tr").count() == 51  # header + 50 items
    header = page.locator("table").first.inner_text()
    assert "advisor" in header and "alleen drempel" in header and "naive" in header
    assert page.locator("svg[aria-label^='Betrouwbaarheid']").count() == 1
    assert all(u.startswith("file://") for u in requests)  # self-contained: nothing fetched
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-artifacts" / "eval-report.png"), full_page=False)
