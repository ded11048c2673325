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
    for path in build():
        print(f"{path.stat().st_size / 1e6:7.2f} MB  {path.relative_to(HERE.parent)}")
