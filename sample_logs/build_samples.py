"""Regenerate the sample ticket logs and their ground truth from the simulator (fixed seed).

    python sample_logs/build_samples.py

Writes, next to this script: ``tickets_en.csv`` (English, UTF-8), ``tickets_zh.csv`` (the same
process with Chinese headers and names, GB18030, Asia/Shanghai local time) and
``tickets_en.xes.gz`` (the English log as XES), each with ``<log>.truth.json`` (global truth) and
``<log>.truth.jsonl`` (one line per ticket). Same seed, same bytes.
"""

from __future__ import annotations

from pathlib import Path

from cspm.simulate import SimulationSettings, write_simulated_log

HERE = Path(__file__).resolve().parent
SEED = 20240304
N_TICKETS = 2000


# notebooks/05_verify_improvement.ipynb: an improvement from 18 March (the L2 assignment wait halved,
# ping-pong halved), and a pilot at Billing from 11 March (the same change for one team only)
VERIFY = {
    "verify_before_after.csv": SimulationSettings(
        n_tickets=630, tickets_per_day=30, seed=SEED,
        changes=[{"at": "2024-03-18", "bottleneck_wait_factor": 0.5, "ping_pong_factor": 0.5}],
    ),
    "verify_pilot.csv": SimulationSettings(
        n_tickets=600, tickets_per_day=30, seed=SEED + 1,
        changes=[{"at": "2024-03-11", "team": "Billing", "bottleneck_wait_factor": 0.5}],
    ),
}  # fmt: skip


def build_verify(directory: Path = HERE) -> list[Path]:
    """Write the small logs of the verification notebook and their truth files."""
    return [p for name, settings in VERIFY.items() for p in write_simulated_log(directory / name, settings)]


def build(directory: Path = HERE) -> list[Path]:
    """Write the three sample logs and their truth files; return every path written."""
    english = SimulationSettings(n_tickets=N_TICKETS, seed=SEED, language="en")
    chinese = SimulationSettings(n_tickets=N_TICKETS, seed=SEED, language="zh")
    written: list[Path] = []
    for name, settings in (
        ("tickets_en.csv", english),
        ("tickets_zh.csv", chinese),
        ("tickets_en.xes.gz", english),
    ):
        written.extend(write_simulated_log(directory / name, settings))
    return written


if __name__ == "__main__":
    for path in [*build(), *build_verify()]:
        print(f"{path.stat().st_size / 1e6:7.2f} MB  {path.relative_to(HERE.parent)}")
