"""report.html: self-contained, verdict first, a card per criterion, per-group bars whose
numbers are recomputed here from cases.jsonl, huge outputs cut (full in result.json)."""

import json
import re
from html.parser import HTMLParser

from bouclier import stats
from bouclier.gate.result import load_result
from bouclier.reports import group_tables, read_case_rows, render_html
from tests.reports.results import criterion, regression, result


class Outline(HTMLParser):
    """Tags, attributes and text of a page, and whether every tag closes."""

    VOID = {"meta", "input", "br", "img", "link", "circle", "rect", "line", "path"}

    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.text, self.errors = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def outline(page: str) -> Outline:
    o = Outline()
    o.feed(page)
    o.close()
    assert not o.errors and not o.stack, (o.errors, o.stack)
    return o


def test_written_beside_result_json_and_self_contained(failed_run):
    _, run = failed_run
    page = (run / "report.html").read_text(encoding="utf-8")
    o = outline(page)
    for tag, attrs in o.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        for name in ("src", "href", "action"):
            assert not attrs.get(name) or attrs[name].startswith("#"), (tag, attrs)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert "default-src 'none'" in page  # the page may load nothing, by policy
    assert "@import" not in page and "url(" not in page


def test_verdict_banner_and_reason_come_first(failed_run):
    _, run = failed_run
    r = load_result(run)
    page = (run / "report.html").read_text(encoding="utf-8")
    banner = page.index('id="verdict"')
    assert banner < page.index("<main>")
    assert "FAIL" in page[banner:banner + 80]
    assert page.index("exact_match fell 25.0 points") < page.index("<main>")
    assert r.reason.split(" (")[0] in page


def test_one_card_per_criterion_with_value_interval_n_verdict(failed_run):
    _, run = failed_run
    r = load_result(run)
    page = (run / "report.html").read_text(encoding="utf-8")
    cards = re.findall(r'<article class="card (\w+)">(.*?)</article>', page, flags=re.S)
    assert len(cards) == len(r.criteria) == 2
    by_name = {re.search(r"<h3>(.*?)</h3>", body).group(1): (verdict, body) for verdict, body in cards}
    for c in r.criteria:
        verdict, body = by_name[c.name.replace(">", "&gt;")]
        assert verdict == c.verdict.value
        assert f"<dt>n</dt><dd>{c.n}</dd>" in body
        assert f"{c.candidate_value * 100:.1f}%" in body
        lo, hi = (c.ci_low, c.ci_high)
        if c.kind == "non_inferiority":
            assert f"{lo * 100:+.1f} pts to {hi * 100:+.1f} pts" in body
        else:
            assert f"{lo * 100:.1f}% to {hi * 100:.1f}%" in body
        assert 'role="img"' in body and "<title" in body  # the interval strip


def test_per_language_bars_match_cases_jsonl_with_wilson_whiskers(failed_run):
    _, run = failed_run
    r = load_result(run)
    rows = [json.loads(line) for line in (run / "cases.jsonl").read_text().splitlines()]
    page = (run / "report.html").read_text(encoding="utf-8")
    assert page.count('<svg class="chart"') == 1
    for lang in ("de", "en", "es", "fr"):
        mine = [row for row in rows if row["group"] == lang]
        for role in ("baseline", "candidate"):
            k = sum(row[role]["scores"]["exact_match"] for row in mine)
            iv = stats.wilson_interval(successes=int(k), n=len(mine), confidence=r.confidence)
            tip = (f"{lang}, {role}: {k / len(mine) * 100:.1f}%, interval {iv.low * 100:.1f}% to "
                   f"{iv.high * 100:.1f}% (n={len(mine)})")
            assert f"<title>{tip}</title>" in page, tip
    assert "de, candidate: 0.0%" in page and "de, baseline: 100.0%" in page


def test_rerendered_page_is_identical(failed_run):
    _, run = failed_run
    r = load_result(run)
    again = render_html(r, groups=group_tables(r, read_case_rows(run / "cases.jsonl")))
    assert again == (run / "report.html").read_text(encoding="utf-8")


def test_regressed_cases_side_by_side_with_a_labelled_filter(failed_run):
    _, run = failed_run
    page = (run / "report.html").read_text(encoding="utf-8")
    assert page.count('<article class="case">') == 40
    assert '<label for="case-filter">' in page and 'id="case-filter" type="search"' in page
    assert 'aria-live="polite"' in page
    first = re.search(r'<article class="case">(.*?)</article>', page, flags=re.S).group(1)
    assert "<h4>baseline</h4>" in first and "<h4>candidate</h4>" in first


def test_huge_outputs_are_cut_in_the_page_and_whole_in_json(tmp_path):
    from bouclier.reports import write_run

    huge = "lorem ipsum " * 100_000
    r = result(verdict="FAIL", reason="x", criteria=[criterion(verdict="FAIL")],
               regressions=[regression(candidate_output=huge, input="q" * 50_000)])
    paths = write_run(r, tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert len(page) < 60_000
    assert f"{len(huge) - 2000:,} more characters" in page and "full text is in result.json" in page
    assert json.loads(paths["json"].read_text())["regressions"][0]["candidate_output"] == huge


def test_sections_without_data_are_left_out():
    page = render_html(result())
    assert "Per group" not in page and "Regressed cases" not in page and 'id="case-filter"' not in page
    assert "Criteria" in page and 'class="banner PASS"' in page


def test_outputs_are_escaped():
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = result(verdict="FAIL", reason=evil, criteria=[criterion(name=evil, verdict="FAIL", reason=evil)],
               regressions=[regression(candidate_output=evil, group=evil, case_id=evil)])
    page = render_html(r)
    assert evil not in page
    assert page.count("<script>") == 1  # only the page's own
    outline(page)


def test_every_criterion_kind_renders():
    crits = [
        criterion(),
        criterion(kind="min", name="acc >= 0.8", threshold=0.8, ci_low=0.85, ci_high=0.95, difference=None),
        criterion(kind="max", name="latency <= 2", threshold=2.0, baseline_value=1.0, candidate_value=3.5,
                  ci_low=3.1, ci_high=3.9, difference=None, verdict="FAIL"),
        criterion(kind="zero_tolerance", name="secret_leak: zero tolerance", metric="secret_leak",
                  baseline_value=0.0, candidate_value=0.01, ci_low=None, ci_high=None, threshold=0.0,
                  verdict="FAIL", reason="1 of 100 candidate outputs flagged"),
        criterion(kind="code_scan", name="code scan", suite="release", metric="findings",
                  baseline_value=None, candidate_value=2.0, ci_low=None, ci_high=None, threshold=0.0,
                  n=31, verdict="FAIL", method="bouclier scan"),
        criterion(verdict="INCONCLUSIVE", ci_low=-0.05, ci_high=0.01, n_needed=900, name="inc"),
    ]
    page = render_html(result(criteria=crits, verdict="FAIL", reason="r"))
    o = outline(page)
    assert page.count('<article class="card') == 6
    assert "<dt>findings</dt><dd>2</dd>" in page and "<dt>files scanned</dt><dd>31</dd>" in page
    assert "3.5" in page and "3.1 to 3.9" in page  # not a [0, 1] metric: no percentages
    assert "about 900" in page
    svgs = [a for t, a in o.tags if t == "svg"]
    assert svgs and all(a.get("role") == "img" and a.get("aria-labelledby") for a in svgs)
