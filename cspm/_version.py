"""The version of cspm (read by the report and summary.json without importing the package)."""

__version__ = "0.1.0"
