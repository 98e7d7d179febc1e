"""`python -m bench`: one table and the same rows as JSON, in the smallest size of a cheap script.

The runner itself is not a test (it is not collected): this only proves the shape of its output."""

from __future__ import annotations

import json

import pytest

from bench import Row, figure
from bench.__main__ import main

COLUMNS = {"script", "figure", "value", "unit", "goal", "baseline", "ratio", "passed"}


def test_quick_care_run_prints_one_table_and_writes_the_same_rows(tmp_path, capsys):
    out = tmp_path / "figures.json"
    status = main(["--quick", "--only", "care", "--json", str(out)])

    printed = capsys.readouterr().out
    written = json.loads(out.read_text())
    assert written["size"] == "quick"
    assert written["failed_scripts"] == []
    assert {"cpus", "cpu", "python"} <= set(written["machine"])
    assert written["rows"], "care measures something"
    for row in written["rows"]:
        assert set(row) == COLUMNS
        assert row["script"] == "care"
        assert f"care: {row['figure']}" in printed
    header = printed.splitlines()[1]
    assert header.split() == ["figure", "value", "goal", "baseline", "ratio"]
    # the exit status follows the verdicts in the rows
    assert status == (1 if any(row["passed"] is False for row in written["rows"]) else 0)


def test_a_missed_goal_is_short_and_a_crashing_script_is_reported(tmp_path, capsys):
    def loader(name):
        if name == "jobs":
            return lambda size: [
                figure("jobs", "speed-up", 2.0, "ms", baseline=50.0, ratio=25.0, goal=("≥", 50))
            ]
        raise RuntimeError("boom")

    out = tmp_path / "figures.json"
    status = main(["--quick", "--only", "jobs", "--only", "rsvp", "--json", str(out)], loader=loader)

    printed = capsys.readouterr().out
    assert "SHORT" in printed and "rsvp: FAILED" in printed
    assert status == 2
    written = json.loads(out.read_text())
    assert written["failed_scripts"] == ["rsvp"]
    assert written["rows"] == [Row("jobs", "speed-up", 2.0, "ms", "ratio ≥ 50", 50.0, 25.0, False).as_dict()]


@pytest.mark.parametrize(
    ("goal", "ratio", "passed"),
    [(("≥", 0.8), 0.81, True), (("≥", 0.8), 0.64, False), (("≤", 5), 12.2, False)],
)
def test_a_ratio_is_judged_against_its_goal(goal, ratio, passed):
    row = figure("x", "y", ratio * 10, "ms", baseline=10.0, goal=goal)
    assert row.ratio == pytest.approx(ratio)
    assert row.passed is passed
