"""The "Root causes" section of cspm discover: the drivers of the worst bottleneck and of
ping-pong, the same figures as cspm.drivers on those outcomes."""

from __future__ import annotations

import cspm
from cspm.analysis.drivers.headline import bottleneck_outcome, root_causes
from cspm.pipeline import write_discovery
from cspm.simulate import write_simulated_log
from cspm.simulate.drivers import InjectedDriver

CONFIG = "sample_logs/cspm.example.yaml"


def test_discover_report_has_the_root_causes_of_the_bottleneck_and_ping_pong(tmp_path) -> None:
    files = write_simulated_log(tmp_path / "r.csv", n_tickets=300, seed=8, drivers=[InjectedDriver(factor=5.0)])
    cfg = cspm.load_config(CONFIG)
    log = cspm.read(files.log, config=cfg)
    w = cspm.waiting(log, cfg)
    assert bottleneck_outcome(w) == "breach:Assign L2"  # the worst-ranked step target on the wait
    rc = root_causes(log, cfg, waiting=w)
    assert [a.outcome.spec for a in rc.analyses] == ["breach:Assign L2", "ping_pong"]
    direct = cspm.drivers(log, cfg, outcome="breach:Assign L2", bootstrap=200)
    assert rc.analyses[0].table()[["driver", "value", "q"]].equals(direct.table()[["driver", "value", "q"]])
    out = write_discovery(log, tmp_path / "out", config=cfg)
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert 'id="root-causes"' in html and "wait before Assign L2" in html and "ping-pong" in html
    assert any(f in out.findings() for f in rc.findings())
    assert rc.summary()["outcomes"][0]["outcome"] == "breach:Assign L2"
