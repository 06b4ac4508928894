"""``junit.xml``: one testcase per criterion, for CI test reporters."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from bouclier.gate.result import RunResult, Verdict


def render_junit(result: RunResult) -> str:
    fails = sum(c.verdict is Verdict.FAIL for c in result.criteria)
    skipped = sum(c.verdict is Verdict.INCONCLUSIVE for c in result.criteria)
    suites = ET.Element("testsuites", name="bouclier", tests=str(len(result.criteria)),
                        failures=str(fails), skipped=str(skipped))
    for suite in result.suites:
        crits = [c for c in result.criteria if c.suite == suite.name]
        ts = ET.SubElement(suites, "testsuite", name=f"bouclier.{suite.name}", tests=str(len(crits)),
                           failures=str(sum(c.verdict is Verdict.FAIL for c in crits)),
                           skipped=str(sum(c.verdict is Verdict.INCONCLUSIVE for c in crits)))
        for c in crits:
            tc = ET.SubElement(ts, "testcase", classname=f"bouclier.{suite.name}", name=c.name)
            if c.verdict is Verdict.FAIL:
                ET.SubElement(tc, "failure", message=c.reason, type="RegressionDetected").text = c.reason
            elif c.verdict is Verdict.INCONCLUSIVE:
                ET.SubElement(tc, "skipped", message=f"INCONCLUSIVE: {c.reason}")
            ET.SubElement(tc, "system-out").text = (
                f"baseline={c.baseline_value} candidate={c.candidate_value} difference={c.difference} "
                f"ci=[{c.ci_low}, {c.ci_high}] n={c.n} method={c.method}")
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
