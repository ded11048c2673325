"""The ticket simulator: determinism, agreement of log and ground truth, calendar, formats."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from lxml import etree
from pydantic import ValidationError

from cspm.config import Calendar
from cspm.core.calendar import BusinessCalendar
from cspm.simulate import (
    ACTIVITIES,
    CUSTOMER_ACTIVITIES,
    SimulationSettings,
    columns_for,
    load_ground_truth,
    simulate,
    write_simulated_log,
)
from cspm.simulate.clock import BusinessClock

BERLIN = ZoneInfo("Europe/Berlin")
SETTINGS = SimulationSettings(n_tickets=2000, seed=11)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sim")


@pytest.fixture(scope="module")
def en_csv(out: Path) -> Path:
    return write_simulated_log(out / "tickets.csv", SETTINGS).log


@pytest.fixture(scope="module")
def en_log(en_csv: Path) -> pd.DataFrame:
    return pd.read_csv(en_csv, dtype={"amount": float}, keep_default_na=False, na_values=[""])


def _case_facts(log: pd.DataFrame) -> pd.DataFrame:
    """Per case, computed from the log alone (rows are in case order, events in time order)."""
    rows = []
    for ticket, g in log.groupby("ticket_id", sort=False):
        acts = g["activity"].tolist()
        teams = [g["team"].iloc[0]]
        for team in g["team"]:
            if team != teams[-1]:
                teams.append(team)
        direct = any(teams[i] == teams[i + 2] for i in range(len(teams) - 2))
        indirect = any(
            teams[i] == teams[i + 3] and len({teams[i], teams[i + 1], teams[i + 2]}) == 3
            for i in range(len(teams) - 3)
        )
        rework = loops = 0
        seen: set[str] = set()
        for i, act in enumerate(acts):
            if i and act == acts[i - 1]:
                loops += 1
            elif act in seen:
                rework += 1
            seen.add(act)
        rows.append({
            "ticket_id": ticket,
            "teams": teams,
            "ping_pong": direct or indirect,
            "kind": "direct" if direct else ("indirect" if indirect else None),
            "approval_rounds": acts.count("Request approval"),
            "rework": rework,
            "loops": loops,
            "reopened": "Reopen ticket" in acts,
            "fcr": "Escalate to L2" not in acts and "Transfer" not in acts and len(teams) == 1,
            "skipped": "First response" not in acts,
        })  # fmt: skip
    return pd.DataFrame(rows).set_index("ticket_id")


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    for suffix in ("csv", "parquet", "xes.gz"):
        a = write_simulated_log(tmp_path / f"a.{suffix}", n_tickets=300, seed=3)
        b = write_simulated_log(tmp_path / f"b.{suffix}", n_tickets=300, seed=3)
        c = write_simulated_log(tmp_path / f"c.{suffix}", n_tickets=300, seed=4)
        assert a.log.read_bytes() == b.log.read_bytes()
        assert a.truth_cases.read_bytes() == b.truth_cases.read_bytes()
        assert a.log.read_bytes() != c.log.read_bytes()


def test_log_agrees_with_ground_truth(en_csv: Path, en_log: pd.DataFrame) -> None:
    truth = load_ground_truth(en_csv)
    cases = truth.cases.set_index("ticket_id")
    facts = _case_facts(en_log)
    assert len(facts) == 2000 == truth.summary["n_cases"] == len(cases)
    assert len(en_log) == truth.summary["n_events"] == cases["n_events"].sum()
    assert list(facts.index) == list(cases.index)

    pp = set(facts.index[facts["ping_pong"]])
    assert pp == truth.ping_pong_cases()
    counts = truth.summary["counts"]
    assert (facts["kind"] == "direct").sum() == counts["ping_pong_direct"] > 20
    assert (facts["kind"] == "indirect").sum() == counts["ping_pong_indirect"] > 10
    assert facts.loc[list(pp), "kind"].tolist() == cases.loc[list(pp), "ping_pong_kind"].tolist()
    for ticket in pp:  # the bounced pair is the first two L2 teams of the sequence
        assert cases.at[ticket, "ping_pong_teams"] == [facts.at[ticket, "teams"][1:3]]
    assert facts["teams"].tolist() == cases["teams"].tolist()
    assert facts["approval_rounds"].tolist() == cases["approval_rounds"].tolist()
    assert (facts["approval_rounds"] >= 2).sum() == counts["approval_loops"] > 0
    assert facts["rework"].tolist() == cases["rework_repetitions"].tolist()
    assert facts["loops"].tolist() == cases["self_loops"].tolist()
    assert facts["loops"].sum() > 0
    assert set(facts.index[facts["reopened"]]) == set(cases.index[cases["reopened"]])
    assert set(facts.index[facts["fcr"]]) == set(cases.index[cases["first_contact_resolution"]])
    assert set(facts.index[facts["skipped"]]) == set(cases.index[cases["skipped_first_response"]])
    assert 0 < facts["skipped"].sum() < 200
    # amounts only on approval tickets
    has_amount = en_log.groupby("ticket_id", sort=False)["amount"].apply(lambda s: s.notna().all())
    assert has_amount.tolist() == (cases["approval_rounds"] > 0).tolist()


def test_agent_events_inside_business_hours(en_log: pd.DataFrame) -> None:
    ts = pd.to_datetime(en_log["timestamp"], utc=True).dt.tz_convert(BERLIN)
    agent = ~en_log["activity"].isin(CUSTOMER_ACTIVITIES)
    local = ts[agent]
    seconds = local.dt.hour * 3600 + local.dt.minute * 60 + local.dt.second
    assert (local.dt.dayofweek < 5).all()
    assert ((seconds >= 8 * 3600) & (seconds <= 18 * 3600)).all()
    # customer events do happen at night and at weekends (calendar time)
    cust = ts[~agent]
    assert ((cust.dt.hour < 8) | (cust.dt.hour >= 18)).sum() > 100
    assert (cust.dt.dayofweek >= 5).sum() > 50
    # the offset in the text follows daylight saving time (CET before, CEST after 31 March)
    assert en_log["timestamp"].str.endswith("+01:00").any()
    assert en_log["timestamp"].str.endswith("+02:00").any()


def test_custom_calendar_holidays_and_start_complete(tmp_path: Path) -> None:
    files = write_simulated_log(
        tmp_path / "cal.csv", n_tickets=400, seed=5, lifecycle="start_complete",
        working_hours="mon-fri 09:00-12:00,13:00-17:00; sat 10:00-14:00",
        holidays="2024-03-06,2024-03-07", timezone="America/New_York",
    )  # fmt: skip
    log = pd.read_csv(files.log)
    assert list(log.columns) == columns_for("en", "start_complete")
    agent = ~log["activity"].isin(CUSTOMER_ACTIVITIES)
    for column in ("timestamp", "start_timestamp"):
        local = pd.to_datetime(log.loc[agent, column], utc=True).dt.tz_convert("America/New_York")
        minutes = local.dt.hour * 60 + local.dt.minute + local.dt.second / 60
        weekday = local.dt.dayofweek
        in_week = (weekday < 5) & (
            ((minutes >= 540) & (minutes <= 720)) | ((minutes >= 780) & (minutes <= 1020))
        )
        in_sat = (weekday == 5) & (minutes >= 600) & (minutes <= 840)
        assert (in_week | in_sat).all()
        assert not local.dt.date.isin([date(2024, 3, 6), date(2024, 3, 7)]).any()
        assert (weekday == 5).any()
    start = pd.to_datetime(log["start_timestamp"], utc=True)
    end = pd.to_datetime(log["timestamp"], utc=True)
    assert (start <= end).all() and (start < end)[agent].all()
    assert (start == end)[~agent].all()
    summary = json.loads(files.truth.read_text("utf-8"))
    assert summary["calendar"]["timezone"] == "America/New_York"
    assert summary["calendar"]["holidays"] == ["2024-03-06", "2024-03-07"]


def _business_seconds(a: datetime, b: datetime) -> float:
    """Mon–Fri 08:00–18:00 Berlin seconds between two instants, by walking the days."""
    a, b = a.astimezone(BERLIN), b.astimezone(BERLIN)
    total = 0.0
    day = a.date()
    while day <= b.date():
        if day.weekday() < 5:
            lo = datetime.combine(day, time(8), BERLIN)
            hi = datetime.combine(day, time(18), BERLIN)
            total += max(0.0, (min(hi, b) - max(lo, a)).total_seconds())
        day += timedelta(days=1)
    return total


def test_bottleneck_median_matches_distribution(en_csv: Path, en_log: pd.DataFrame) -> None:
    b = load_ground_truth(en_csv).summary["bottleneck"]
    assert b["activity"] == "Assign L2" and b["from_activity"] == "Escalate to L2"
    assert b["distribution"] == "lognormal" and b["clock"] == "business"
    assert b["true_median_hours"] == 6.0
    assert b["sample_median_business_hours"] == pytest.approx(6.0, rel=0.03)
    # independently from the log: completion of the escalation to completion of the assignment
    ts = pd.to_datetime(en_log["timestamp"], utc=True)
    esc = ts[en_log["activity"] == "Escalate to L2"].tolist()
    asg = ts[en_log["activity"] == "Assign L2"].tolist()
    assert len(esc) == len(asg) == b["n_waits"] > 700
    business = pd.Series([_business_seconds(x, y) for x, y in zip(esc, asg, strict=True)]) / 3600
    calendar = pd.Series([(y - x).total_seconds() for x, y in zip(esc, asg, strict=True)]) / 3600
    assert business.median() == pytest.approx(b["observed_median_business_hours"], abs=1e-6)
    assert calendar.median() == pytest.approx(b["observed_median_calendar_hours"], abs=1e-6)
    assert business.median() == pytest.approx(6.0, rel=0.05)
    assert calendar.median() > 2 * business.median()  # nights and weekends in between


def test_chinese_gb18030(tmp_path: Path) -> None:
    files = write_simulated_log(tmp_path / "zh.csv", n_tickets=300, seed=2, language="zh")
    raw = files.log.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    header, first = text.splitlines()[:2]
    assert header.split(",") == [
        "工单编号", "处理环节", "操作时间", "处理人", "处理组", "渠道", "优先级", "类别", "客户编号", "金额",
    ]  # fmt: skip
    assert first.split(",")[1] == "创建工单"
    log = pd.read_csv(files.log, encoding="gb18030")
    assert set(log["处理环节"]) <= set(ACTIVITIES.values())
    assert {"创建工单", "首次响应", "升级至二线", "二线受理", "关闭工单"} <= set(log["处理环节"])
    assert set(log["处理组"]) <= {"一线服务台", "技术支持", "账务组", "网络运维"}
    assert log["操作时间"].str.fullmatch(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}").all()
    # naive local time of Asia/Shanghai: agent events 08:00–18:00 there
    local = pd.to_datetime(log["操作时间"], format="%Y/%m/%d %H:%M:%S")
    customer = {ACTIVITIES[a] for a in CUSTOMER_ACTIVITIES}
    agent = local[~log["处理环节"].isin(customer)]
    assert (
        (agent.dt.hour >= 8) & ((agent.dt.hour < 18) | (agent.dt.strftime("%M%S") == "0000"))
    ).all()
    truth = load_ground_truth(files.log)
    assert truth.summary["bottleneck"]["activity"] == "二线受理"
    assert truth.cases["teams"].iloc[0][0] == "一线服务台"


def test_xes_parses_with_lxml_and_pm4py(tmp_path: Path) -> None:
    csv = write_simulated_log(tmp_path / "t.csv", n_tickets=400, seed=9).log
    xes = write_simulated_log(tmp_path / "t.xes.gz", n_tickets=400, seed=9).log
    log = pd.read_csv(csv)
    with gzip.open(xes) as fh:
        root = etree.parse(fh).getroot()
    ns = {"x": "http://www.xes-standard.org/"}
    assert root.get("xes.version") == "2.0"
    assert len(root.findall("x:trace", ns)) == log["ticket_id"].nunique() == 400
    assert len(root.findall("x:trace/x:event", ns)) == len(log)
    first = root.find("x:trace/x:event/x:date", ns)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000[+-]\d\d:\d\d", first.get("value"))

    import pm4py

    df = pm4py.read_xes(str(xes))
    assert df["case:concept:name"].nunique() == 400
    assert len(df) == len(log)
    assert df["concept:name"].tolist() == log["activity"].tolist()
    assert df["org:group"].tolist() == log["team"].tolist()
    expected = pd.to_datetime(log["timestamp"], utc=True)
    assert (pd.to_datetime(df["time:timestamp"], utc=True).values == expected.values).all()


def test_xes_start_complete_has_two_events_per_activity(tmp_path: Path) -> None:
    path = write_simulated_log(
        tmp_path / "sc.xes", n_tickets=50, seed=1, lifecycle="start_complete"
    ).log
    events = etree.parse(str(path)).getroot().findall(".//{http://www.xes-standard.org/}event")
    df, _ = simulate(n_tickets=50, seed=1)
    assert len(events) == 2 * len(df)
    transitions = [
        e.find("{http://www.xes-standard.org/}string[@key='lifecycle:transition']").get("value")
        for e in events
    ]
    assert transitions[:4] == ["start", "complete", "start", "complete"]


def test_parquet_matches_csv_and_is_utc(tmp_path: Path) -> None:
    csv = write_simulated_log(tmp_path / "p.csv", n_tickets=200, seed=8).log
    pq = write_simulated_log(tmp_path / "p.parquet", n_tickets=200, seed=8).log
    a = pd.read_csv(csv)
    b = pd.read_parquet(pq)
    assert list(b.columns) == list(a.columns)
    assert str(b["timestamp"].dt.tz) == "UTC"
    assert (b["timestamp"].values == pd.to_datetime(a["timestamp"], utc=True).values).all()
    assert b["activity"].tolist() == a["activity"].tolist()
    assert b["amount"].round(2).equals(a["amount"])


def test_in_memory_matches_file_and_n_events_target(tmp_path: Path) -> None:
    df, truth = simulate(n_tickets=300, seed=4)
    log = pd.read_csv(write_simulated_log(tmp_path / "m.csv", n_tickets=300, seed=4).log)
    assert df["activity"].tolist() == log["activity"].tolist()
    assert (
        df["timestamp"].dt.tz_convert("UTC").values
        == pd.to_datetime(log["timestamp"], utc=True).values
    ).all()
    assert len(truth.cases) == 300
    big, big_truth = simulate(n_events=6000, seed=4)
    assert 6000 <= len(big) < 6000 + 40
    assert big_truth.summary["n_events"] == len(big)
    # more cases with the same seed extend the log: the first 300 tickets are the same
    head = big[big["ticket_id"].isin(set(df["ticket_id"]))]
    assert head["activity"].tolist() == df["activity"].tolist()
    assert head["timestamp"].tolist() == df["timestamp"].tolist()


def test_settings_validation() -> None:
    with pytest.raises(ValidationError):
        SimulationSettings(n_tickets=10, n_events=100)
    with pytest.raises(ValidationError):
        SimulationSettings(working_hours="someday 8-18")
    with pytest.raises(ValidationError):
        SimulationSettings(timezone="Mars/Olympus")
    s = SimulationSettings(working_hours="mon-fri 08:00-12:00,13:00-17:00", holidays="2024-05-01")
    assert s.resolved_calendar().working_hours == {"mon-fri": ["08:00-12:00", "13:00-17:00"]}
    assert s.resolved_calendar().holidays == [date(2024, 5, 1)]
    assert SimulationSettings(language="zh").resolved_calendar().timezone == "Asia/Shanghai"
    with pytest.raises(ValueError, match="format"):
        write_simulated_log("x.txt", n_tickets=1)


def test_committed_samples_match_the_simulator(tmp_path: Path) -> None:
    import importlib.util

    samples = Path(__file__).resolve().parents[1] / "sample_logs"
    spec = importlib.util.spec_from_file_location("build_samples", samples / "build_samples.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    written = module.build(tmp_path)
    assert len(written) == 9
    for path in written:
        committed = samples / path.name
        assert committed.exists(), f"run sample_logs/build_samples.py: {path.name} is missing"
        assert committed.read_bytes() == path.read_bytes(), f"{path.name} is out of date"


def test_country_holidays_and_team_calendar() -> None:
    from cspm.config import Calendar

    calendar = Calendar(
        timezone="Europe/Berlin",
        working_hours={"mon-fri": "08:00-18:00"},
        country="DE",
        teams={
            "Billing": Calendar(timezone="Europe/Berlin", working_hours={"mon-thu": "10:00-16:00"})
        },
    )
    df, truth = simulate(n_tickets=1500, seed=6, start="2024-03-25", calendar=calendar)
    agent = df[~df["activity"].isin(CUSTOMER_ACTIVITIES)]
    local = agent["timestamp"].dt.tz_convert(BERLIN)
    # Good Friday and Easter Monday 2024 are public holidays in Germany; a team calendar stands
    # alone (as in cspm.core.calendar), so Billing's, without a country, works on Easter Monday
    is_billing = agent["team"] == "Billing"
    assert not local[~is_billing].dt.date.isin([date(2024, 3, 29), date(2024, 4, 1)]).any()
    assert local[is_billing].dt.date.isin([date(2024, 4, 1)]).any()
    billing = local[is_billing]
    minutes = billing.dt.hour * 60 + billing.dt.minute + billing.dt.second / 60
    assert len(billing) > 200
    assert ((billing.dt.dayofweek <= 3) & (minutes >= 600) & (minutes <= 960)).all()
    others = local[agent["team"] != "Billing"]
    assert (others.dt.dayofweek == 4).any() and (others.dt.hour == 8).any()
    assert truth.summary["calendar"]["country"] == "DE"


def test_business_clock_runs_on_the_core_calendar() -> None:
    """The simulator's clock has exactly the working spans of cspm.core.calendar.BusinessCalendar
    (holidays included), so its business durations are the ones the analyses measure."""
    calendar = Calendar(
        timezone="Europe/Berlin", working_hours={"mon-fri": ["08:00-12:00", "13:00-17:00"], "sat": "09:00-13:00"},
        country="DE", holidays=[date(2024, 3, 12)],
    )  # fmt: skip
    core = BusinessCalendar(calendar)
    clock = BusinessClock(calendar, date(2024, 3, 4))
    spans = list(zip(clock.starts, clock.ends, strict=True))
    assert spans == core.working_spans(date(2024, 3, 3), date(2025, 3, 3))
    # Good Friday (29 March 2024), Easter Monday and the configured 12 March have no working time
    for day in (date(2024, 3, 12), date(2024, 3, 29), date(2024, 4, 1)):
        noon = int(datetime.combine(day, time(12), tzinfo=BERLIN).timestamp())
        assert clock.between(noon - 6 * 3600, noon + 6 * 3600) == 0
    # business seconds between random instants (beyond the first year too) agree with the core's
    rng = np.random.default_rng(3)
    t0 = int(datetime(2024, 3, 4, tzinfo=BERLIN).timestamp())
    for a, b in np.sort(rng.integers(t0, t0 + 500 * 86400, size=(200, 2)), axis=1).tolist():
        utc = ZoneInfo("UTC")
        expected = core.business_seconds(datetime.fromtimestamp(a, utc), datetime.fromtimestamp(b, utc))
        assert clock.between(a, b) == expected
        assert clock.advance(a, 1) - a >= 1
    # advancing by the business time between two working instants lands on the later one
    s, e = clock.starts[40], clock.ends[300] - 1
    assert clock.advance(s, clock.between(s, e)) == e
