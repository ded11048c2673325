"""Ordinary mistakes on the command line: one paragraph on stderr, exit code 2, before any work —
never a traceback or a figure computed from nothing; and names that look like Rich markup print as
they are."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cspm
from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
LOG = SAMPLES / "tickets_en.csv"
runner = CliRunner()


def run_main(capsys, *args: object) -> tuple[int, str, str]:
    """Run ``cspm ARGS`` through the entry point (its error handling included): exit code, stdout, stderr."""
    from cspm.cli import main

    argv = sys.argv
    sys.argv = ["cspm", *map(str, args)]
    try:
        with pytest.raises(SystemExit) as stop:
            main()
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return stop.value.code, captured.out, captured.err


def one_error(capsys, *args: object) -> str:
    """The error paragraph of a command that must fail with exit code 2."""
    code, out, err = run_main(capsys, *args)
    assert code == 2, (out, err)
    assert "Traceback" not in err and out == ""
    text = err.strip()
    assert text.startswith("error: ") and "\n" not in text, err
    return text.removeprefix("error: ")


# --- options are checked before the log is read (the log here does not even exist) -----------
def test_options_are_checked_before_the_log_is_read(tmp_path, capsys):
    never = tmp_path / "never-read.csv"
    afile = tmp_path / "afile"
    afile.write_text("keep me", "utf-8")
    out = tmp_path / "out"
    iso = "Expected an ISO 8601 date or time such as 2024-03-01 or 2024-03-01T08:00 (without an offset it is in the log's time zone)."
    cases = {
        ("discover", never, "--out", afile):
            f"{afile}: the output folder is a file, not a folder. Expected a folder for the outputs (created when missing).",
        ("discover", never, "--out", afile / "sub"):
            f"{afile / 'sub'}: the output folder is inside {afile}, which is a file, not a folder. "
            "Expected a folder for the outputs (created when missing).",
        ("discover", never, "--out", out, "--from", "notadate"): f"--from 'notadate' is not a date or time. {iso}",
        ("discover", never, "--out", out, "--from", "2024-13-01"):
            f"--from '2024-13-01' is not a date or time (month must be in 1..12). {iso}",
        ("discover", never, "--out", out, "--to", "2024-03-32"):
            f"--to '2024-03-32' is not a date or time (day is out of range for month). {iso}",
        ("discover", never, "--out", out, "--from", "2024-03-05", "--to", "2024-03-01"):
            "--to '2024-03-01' is not after --from '2024-03-05'. Expected a window [--from, --to) that is not empty.",
        ("discover", never, "--out", out, "--min-duration", "5"):
            "--min-duration '5' is not a duration. Expected a number with a unit, e.g. 30min, 4h, 2d.",
        ("discover", never, "--out", out, "--min-duration", "2d", "--max-duration", "1d"):
            "--min-duration '2d' is above --max-duration '1d'. Expected a minimum lead time not above the maximum.",
        ("discover", never, "--out", out, "--where", "channel"):
            "--where 'channel' is not COLUMN=VALUE. Expected e.g. --where channel=phone.",
        ("discover", never, "--out", out, "--model", tmp_path / "to_be.bpmn"):
            f"{tmp_path / 'to_be.bpmn'}: --model names no such file. Expected a to-be model: BPMN 2.0 (.bpmn), "
            "PNML (.pnml) or a YAML happy-path spec (.yaml/.yml).",
        ("conformance", never, "--model", tmp_path):
            f"{tmp_path}: --model names a folder, not a model file. Expected a to-be model: BPMN 2.0 (.bpmn), "
            "PNML (.pnml) or a YAML happy-path spec (.yaml/.yml).",
        ("conformance", never, "--model", SAMPLES / "to_be.bpmn", "--save", tmp_path):
            f"{tmp_path}: --save names a folder, not a file. Expected a file name to write.",
        ("handoffs", never, "--html", tmp_path): f"{tmp_path}: --html names a folder, not a file. Expected a file name to write.",
        ("handoffs", never, "--network", afile / "n.svg"):
            f"{afile / 'n.svg'}: --network: {afile} is a file, not a folder. Expected a path inside a folder.",
        ("validate", never, "--rejects", tmp_path): f"{tmp_path}: --rejects names a folder, not a file. Expected a file name to write.",
        ("bottlenecks", never, "--config", tmp_path / "none.yaml"):
            f"{tmp_path / 'none.yaml'}: invalid configuration — (file) = '{tmp_path / 'none.yaml'}': no such file",
    }  # fmt: skip
    for args, message in cases.items():
        assert one_error(capsys, *args) == message, args
    assert afile.read_text("utf-8") == "keep me" and not out.exists()


def test_discover_into_an_existing_file_fails_before_the_work(tmp_path, capsys):
    """Used to raise FileExistsError after all the work."""
    afile = tmp_path / "report"
    afile.write_text("", "utf-8")
    assert one_error(capsys, "discover", LOG, "--out", afile).startswith(f"{afile}: the output folder is a file")
    from cspm.pipeline import write_discovery

    with pytest.raises(cspm.InputError, match="the output folder is a file"):
        write_discovery(cspm.read(LOG), afile)


def test_a_valid_time_window_still_filters(tmp_path):
    """ISO 8601 with a time and an offset is accepted and means the same instant."""
    a = runner.invoke(app, ["discover", str(LOG), "--out", str(tmp_path / "a"), "--format", "json", "--no-diagnosis",
                            "--from", "2024-03-13", "--window", "starting"])  # fmt: skip
    b = runner.invoke(app, ["discover", str(LOG), "--out", str(tmp_path / "b"), "--format", "json", "--no-diagnosis",
                            "--from", "2024-03-13T01:00:00+01:00", "--window", "starting"])  # fmt: skip
    assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
    df = pd.read_csv(LOG)
    first = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601").groupby(df["ticket_id"]).min()
    expected = int((first >= pd.Timestamp("2024-03-13", tz="UTC")).sum())
    assert json.loads(a.stdout)["overview"]["cases"] == json.loads(b.stdout)["overview"]["cases"] == expected


def test_filter_values_the_log_does_not_have_name_the_closest(tmp_path, capsys):
    """A typo used to keep no case ("no events left") or, with --without-activity, every case."""
    out = tmp_path / "out"
    cases = {
        ("--with-activity", "Asign L2"): "--with-activity 'Asign L2': the log has no activity 'Asign L2'; closest: 'Assign L2'.",
        ("--without-activity", "Asign L2"): "--without-activity 'Asign L2': the log has no activity 'Asign L2'; closest: 'Assign L2'.",
        ("--where", "channel=phone,chta"): "--where channel=chta: the log has no 'channel' value 'chta'; closest: 'chat'.",
        ("--where", "channel=fax"): "--where channel=fax: the log has no 'channel' value 'fax'; its values: "
                                    "'chat', 'email', 'phone', 'web'.",
    }  # fmt: skip
    channels = sorted(pd.read_csv(LOG)["channel"].unique())
    assert channels == ["chat", "email", "phone", "web"]
    for args, message in cases.items():
        assert one_error(capsys, "discover", LOG, "--out", out, *args) == message, args
    assert not out.exists()


def test_filters_on_values_the_log_has_match_pandas(tmp_path):
    r = runner.invoke(app, ["discover", str(LOG), "--out", str(tmp_path), "--format", "json", "--no-diagnosis",
                            "--where", "channel=phone,chat", "--with-activity", "Approve", "--without-activity", "Reject"])  # fmt: skip
    assert r.exit_code == 0, r.output
    df = pd.read_csv(LOG)
    by_case = df.groupby("ticket_id")
    keep = (by_case["channel"].agg(lambda c: c.isin(["phone", "chat"]).any())
            & by_case["activity"].agg(lambda a: (a == "Approve").any())
            & ~by_case["activity"].agg(lambda a: (a == "Reject").any()))  # fmt: skip
    assert json.loads(r.stdout)["overview"]["cases"] == int(keep.sum()) == 157


def test_validate_names_a_given_column_the_log_lacks(capsys):
    assert one_error(capsys, "validate", LOG, "--case-id", "ticket") == (
        f"{LOG}, column 'ticket': has no column 'ticket' (given as the case id column). Columns found: "
        "'ticket_id', 'activity', 'timestamp', 'agent', 'team', 'channel', 'priority', 'category', "
        "'customer_id', 'amount'. Expected a column named 'ticket'."
    )


# --- simulate ----------------------------------------------------------------------------------
def test_simulate_names_the_supported_suffixes(tmp_path, capsys):
    target = tmp_path / "x.json"
    assert one_error(capsys, "simulate", target) == (
        f"{target}: cannot tell the log format from the file name. "
        "Expected a file name ending in .csv, .parquet, .pq, .xes, .xes.gz."
    )
    assert one_error(capsys, "simulate", tmp_path / "x.csv", "--tickets", "3", "--events", "20") == (
        "give --tickets or --events, not both"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tickets", "0"], "Invalid value for '--tickets'"),
        (["--events", "-5"], "Invalid value for '--events'"),
        (["--seed", "-1"], "Invalid value for '--seed'"),
        (["--language", "fr"], "'fr' is not one of 'en', 'zh'"),
    ],
)
def test_simulate_option_values_are_usage_errors(tmp_path, capsys, args, message):
    """Used to end in a pydantic ValidationError traceback."""
    code, out, err = run_main(capsys, "simulate", tmp_path / "x.csv", *args)
    assert code == 2 and "Traceback" not in err and "ValidationError" not in err
    assert message in " ".join(err.split())  # Typer draws the message in a box
    assert list(tmp_path.iterdir()) == []


# --- a target on a step the log does not have ----------------------------------------------------
def _config_with(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cspm.yaml"
    path.write_text(text, "utf-8")
    return path


def test_a_target_on_a_missing_step_names_the_closest_steps(tmp_path, capsys):
    """Used to exit 0 printing 'P100 wait nan h … nan× target'."""
    bad = (SAMPLES / "cspm.example.yaml").read_text("utf-8").replace("- step: Assign L2", "- step: Asign L2")
    cfg = _config_with(tmp_path, bad)
    message = (
        f"{cfg}: invalid configuration — targets.steps.0.step = 'Asign L2': the log has no step 'Asign L2'; "
        "closest: 'Assign L2'"
    )
    assert one_error(capsys, "bottlenecks", LOG, "--config", cfg) == message
    out = tmp_path / "out"
    assert one_error(capsys, "discover", LOG, "--config", cfg, "--out", out) == message
    assert not out.exists()


def test_the_library_raises_for_missing_target_steps():
    from cspm.analysis.waiting import analyse_waiting, waiting

    log = cspm.read(LOG)
    from cspm.config import config_from_dict

    cfg = config_from_dict({"targets": {
        "steps": [{"step": "Assign L2", "max_wait": "1h"}, {"step": "assign l2", "max_wait": "1h"},
                  {"step": "Nothing like it", "max_wait": "1h"}],
        "milestones": [{"name": "to resolution", "start": "case start", "end": "Resolve ticket", "within": "2d"},
                       {"name": "from resolution", "start": "Resolved ticket", "end": "Close ticket", "within": "2d"},
                       {"name": "reopened fast", "start": "Close ticket", "end": "Never there", "within": "1d"}],
    }})  # fmt: skip
    for analysis in (waiting, analyse_waiting):
        with pytest.raises(cspm.ConfigError) as exc:
            analysis(log, cfg)
        problems = exc.value.problems
        assert [(k, v) for k, v, _ in problems] == [
            ("targets.steps.1.step", "assign l2"), ("targets.steps.2.step", "Nothing like it"),
            ("targets.milestones.1.start", "Resolved ticket"),
        ]  # fmt: skip
        assert problems[0][2] == "the log has no step 'assign l2'; closest: 'Assign L2'"
        steps = sorted(pd.read_csv(LOG)["activity"].unique())
        assert problems[1][2] == "the log has no step 'Nothing like it'; its steps: " + ", ".join(map(repr, steps))
        assert problems[2][2] == "the log has no step 'Resolved ticket'; closest: 'Resolve ticket', 'Reopen ticket', 'Close ticket'"


# --- names that look like Rich markup --------------------------------------------------------------
@pytest.fixture(scope="module", params=["in [", "plain"])
def markup_log(request, tmp_path_factory) -> Path:
    """Six tickets whose step and team names contain Rich markup (``x [/y]``, ``[bold]z``,
    ``A [/y]``), in ``y] tickets [bold].csv`` with a to-be spec and a config next to it; in a folder
    ``in [`` the paths contain ``in [/y]`` (``/`` cannot be in a file name), in ``plain`` only the
    names from the log have a closing tag."""
    folder = tmp_path_factory.mktemp("markup") / request.param
    folder.mkdir()
    rows = []
    for c in range(1, 7):
        t0 = pd.Timestamp("2024-03-04 08:00", tz="UTC") + pd.Timedelta(hours=c)
        steps = ["open", "x [/y]", "close"] if c % 2 else ["open", "[bold]z", "x [/y]", "close"]
        for i, step in enumerate(steps):
            rows.append({"case_id": f"c{c}", "activity": step, "timestamp": (t0 + pd.Timedelta(minutes=30 * i)).isoformat(),
                         "team": ["A [/y]", "B"][i % 2]})  # fmt: skip
    path = folder / "y] tickets [bold].csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    (folder / "y] to_be [bold].yaml").write_text("name: to-be [/y]\nsteps: [open, 'x [/y]', close]\n", "utf-8")
    (folder / "cspm.yaml").write_text("targets:\n  steps:\n    - step: 'x [/y]'\n      max_wait: 10min\n", "utf-8")
    return path


def invoke(*args: object):
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output
    return result.stdout


MARKUP_CASES = {
    "discover": (
        ["discover", "{log}", "--out", "{tmp}/out [/y]", "--model", "{model}", "--config", "{cfg}"],
        ["Discovery of y] tickets [bold].csv", "x [/y] → close: 30 min", "The busiest handoff is A [/y] → B",
         "50.0% fit y] to_be [bold].yaml; log fitness 1.0000", "wrote 10 files to {tmp}/out [/y]"],
    ),
    "conformance": (
        ["conformance", "{log}", "--model", "{model}"],
        ["50.0% of 6 tickets fit to-be [/y] (token replay)", "│ [bold]z │ open   │ x [/y] │"],
    ),
    "bottlenecks-targets": (
        ["bottlenecks", "{log}", "--config", "{cfg}"],
        ["Bottlenecks of y] tickets [bold].csv (excess over target)", "x [/y] (wait) ≤ 0.166667 h (cal.)"],
    ),
    "bottlenecks": (["bottlenecks", "{log}"], ["│ 3 │ [bold]z │     3 │"]),
    "handoffs": (
        ["handoffs", "{log}", "--html", "{tmp}/h [/y].html"],
        ["Handoffs and loops — y] tickets [bold].csv (team level)", "│ A [/y] ↔ B │", "section written to {tmp}/h [/y].html"],
    ),
    "validate": (["validate", "{log}"], ["Data quality of y] tickets [bold].csv", "{log}"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(MARKUP_CASES))
def test_markup_in_names_prints_literally(markup_log, tmp_path, case):
    """Used to crash with rich.errors.MarkupError (or to swallow ``[bold]``)."""
    folder = markup_log.parent
    names = {"log": markup_log, "model": folder / "y] to_be [bold].yaml", "cfg": folder / "cspm.yaml", "tmp": tmp_path}
    args, expected = MARKUP_CASES[case]
    out = invoke(*(a.format(**names) for a in args))
    for text in expected:
        assert text.format(**names) in out, text


def test_markup_in_an_error_prints_literally(markup_log, capsys):
    """The error handler itself used to crash on a file name with markup."""
    missing = markup_log.parent / "y] gone.bpmn"
    assert one_error(capsys, "conformance", markup_log, "--model", missing).startswith(f"{missing}: --model names no such file.")
