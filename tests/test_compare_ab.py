"""A/B: the change injected only for one team from a date on; ``group`` + ``split`` give the
difference-in-differences of the pilot against the control, checked against the simulator's truth."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import cspm
from cspm.analysis.compare import compare
from cspm.cli import app
from cspm.config import config_from_dict
from cspm.simulate import load_ground_truth, write_simulated_log

SPLIT = "2024-03-11"
CFG = config_from_dict({"calendar": {"timezone": "Europe/Berlin"}})


@pytest.fixture(scope="module")
def ab(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("ab") / "ab.parquet"
    # no transfers: a ticket's L2 team is the team of its assignment, so "an event of the team" is the rule
    files = write_simulated_log(
        path, n_tickets=1000, tickets_per_day=50, seed=5, bottleneck_sigma=0.1, single_transfer=0,
        direct_ping_pong=0, indirect_ping_pong=0,
        changes=[{"at": SPLIT, "team": "Tech Support", "bottleneck_wait_factor": 0.5}],
    )  # fmt: skip
    log = cspm.read(files.log)
    return files, load_ground_truth(files.log), compare(log, CFG, split=SPLIT, group="team=Tech Support")


def test_difference_in_differences_close_to_the_truth(ab) -> None:
    _, truth, c = ab
    (ch,) = truth.summary["changes"]
    # the injected effect: the bottleneck's true median (business hours) times (factor − 1) …
    effect = (ch["bottleneck_wait_factor"] - 1) * truth.summary["bottleneck"]["true_median_hours"]
    # … which the treated tickets realised (their waits with vs without the change)
    realised = ch["median_wait_with_business_hours"] - ch["median_wait_without_business_hours"]
    assert realised == pytest.approx(effect, rel=0.05)
    row = c.did.set_index("figure").loc["wait|business|Assign L2"]
    assert row.did == pytest.approx(effect, rel=0.10)
    assert row.ci_low < effect < row.ci_high and row.p < 0.01 and row.significant
    assert row.did == pytest.approx((row.pilot_after - row.pilot_before) - (row.control_after - row.control_before))
    # the control's own change is small: the DiD is not the pilot's before/after alone by accident
    assert abs(row.control_after - row.control_before) < 0.1 * abs(effect)


def test_the_pilot_cells_and_the_rule(ab) -> None:
    _, truth, c = ab
    (ch,) = truth.summary["changes"]
    assert c.labels == ("pilot/before", "pilot/after")
    assert c.tickets["pilot/after"] == ch["tickets"]  # the tickets the change applied to
    assert "pilot: tickets with an event where team = 'Tech Support'" in c.rule
    assert sum(c.tickets.values()) == 1000
    other = c.did[(c.did.family == "wait") & (c.did.clock == "business") & (c.did.figure != "wait|business|Assign L2")]
    assert not other.significant.any()


def _main(capsys, *args: object) -> tuple[int, str]:
    """``cspm ARGS`` through the entry point (its error handling): exit code and stderr."""
    import sys

    from cspm.cli import main

    argv, sys.argv = sys.argv, ["cspm", *map(str, args)]
    try:
        with pytest.raises(SystemExit) as stop:
            main()
    finally:
        sys.argv = argv
    return stop.value.code, capsys.readouterr().err


def test_group_only_is_control_vs_pilot_and_cli_json(ab, capsys) -> None:
    files, _, _ = ab
    res = CliRunner().invoke(app, ["compare", str(files.log), "--group", "team=Tech Support", "--format", "json"])
    assert res.exit_code == 0, res.output
    import json

    data = json.loads(res.stdout)
    assert data["labels"] == ["control", "pilot"] and data["did"] is None
    code, err = _main(capsys, "compare", files.log, "--group", "squad=Pilot")
    assert code == 2 and "no column 'squad'" in err and "Traceback" not in err
    code, err = _main(capsys, "compare", files.log)
    assert code == 2 and "give a second log" in err
