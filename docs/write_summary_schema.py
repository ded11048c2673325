"""Regenerate ``docs/summary.schema.json`` from :class:`cspm.pipeline.DiscoverSummary`.

Run ``python docs/write_summary_schema.py`` after changing a record of ``summary.json``;
``tests/test_cli_discover.py`` fails while the committed file differs from the generated one.
"""

from pathlib import Path

from cspm.pipeline import summary_schema_text

if __name__ == "__main__":
    path = Path(__file__).with_name("summary.schema.json")
    path.write_text(summary_schema_text(), encoding="utf-8")
    print(f"wrote {path}")
