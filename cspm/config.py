"""The typed configuration: column mapping, timestamps, business calendar, targets, value classes, costs.

Load it with :func:`load_config` from YAML or TOML; every error names the key and the value.
An annotated example is ``sample_logs/cspm.example.yaml``.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cspm.errors import ConfigError
from cspm.i18n import N_, Language, language
from cspm.i18n import gettext as _

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$")


def parse_duration(value: Any) -> timedelta:
    """Parse '1h', '30 min', '1.5 d', '90s' (or a timedelta) into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        parts = re.findall(r"\d+(?:\.\d+)?\s*[a-zA-Z]+", value)
        if parts and re.fullmatch(r"(\s*\d+(?:\.\d+)?\s*[a-zA-Z]+\s*)+", value):
            total = 0.0
            for part in parts:
                number, unit = _DURATION.match(part).groups()  # type: ignore[union-attr]
                if unit.lower() not in _UNITS:
                    break
                total += float(number) * _UNITS[unit.lower()]
            else:
                return timedelta(seconds=total)
    raise ValueError(
        _("not a duration: {value!r}; write a number with a unit, e.g. '30min', '1h', '4 h', '2d'").format(value=value)
    )


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _parse_share(value: Any) -> float:
    """'85%', 85 or 0.85 → 0.85."""
    if isinstance(value, str):
        text = value.strip().rstrip("%").strip()
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("not a share: {value!r}; write e.g. '85%' or 0.85").format(value=value)) from None
        return number / 100 if value.strip().endswith("%") or number > 1 else number
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 100 if value > 1 else float(value)
    raise ValueError(_("not a share: {value!r}; write e.g. '85%' or 0.85").format(value=value))


Share = Annotated[float, BeforeValidator(_parse_share), Field(ge=0, le=1)]


def check_timezone(value: str) -> str:
    """``value`` if it is an IANA time zone name, else a ValueError naming it."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            _("unknown time zone {value!r}; use an IANA name such as 'UTC', 'Europe/Berlin', 'Asia/Shanghai'").format(value=value)
        ) from None
    return value


TimeZone = Annotated[str, BeforeValidator(check_timezone)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnMapping(_Model):
    """Which source column plays which role. Unset roles are detected from the headers."""

    case_id: str | None = None
    activity: str | list[str] | None = Field(
        default=None, description="one column, or several joined (as XES classifiers do)"
    )
    activity_separator: str = " + "
    timestamp: str | None = None
    start_timestamp: str | None = None
    agent: str | None = None
    team: str | None = None
    lifecycle: str | None = None
    pair_lifecycle: bool | None = Field(
        default=None,
        description="true: join schedule/start/complete… rows into one event per activity instance; false: "
        "keep every row, activity = name + transition; unset: keep when the activity includes the "
        "lifecycle column (e.g. an XES classifier), else pair",
    )
    channel: str | None = None
    priority: str | None = None
    customer: str | None = None


class TimestampSettings(_Model):
    """How timestamps are read: time zone of naive values, day-first switch, explicit formats."""

    timezone: TimeZone = "UTC"
    dayfirst: bool | None = None
    format: str | list[str] | None = Field(
        default=None, description="strptime format(s), e.g. '%d.%m.%Y %H:%M:%S'"
    )


_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _parse_hours(value: Any) -> list[tuple[time, time]]:
    """'08:00-18:00', ['08:00-12:00', '13:00-18:00'] or [] (closed) → list of (start, end).

    An end of ``24:00`` (the end of the day) is stored as ``time(0)``: a span can end at 00:00 only
    at the next midnight, so :func:`working_span` reads it that way.
    """
    if value is None or value == "closed":
        return []
    items = [value] if isinstance(value, str) else list(value)
    spans = []
    for item in items:
        m = _HOURS.match(str(item))
        if not m:
            raise ValueError(_("not working hours: {item!r}; write e.g. '08:00-18:00'").format(item=item))
        h1, m1, h2, m2 = map(int, m.groups())
        end_of_day = h2 == 24 and m2 == 0
        if end_of_day:
            h2 = 0
        if not (0 <= h1 < 24 and 0 <= h2 < 24 and m1 < 60 and m2 < 60):
            raise ValueError(_("not working hours: {item!r}; hours are 00:00-24:00").format(item=item))
        start, end = time(h1, m1), time(h2, m2)
        if end <= start and not end_of_day:
            raise ValueError(_("working hours {item!r} end before they start").format(item=item))
        spans.append((start, end))
    return sorted(spans)


def working_span(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[int, int]:
    """Unix seconds of a working span on the local ``day`` (an end of 00:00 is the day's 24:00).

    Local wall-clock times in ``tz``: a day around the clock on a DST change has 23 or 25 hours.
    """
    end_day = day + timedelta(days=1) if end == time(0) else day
    return (
        int(datetime.combine(day, start, tzinfo=tz).timestamp()),
        int(datetime.combine(end_day, end, tzinfo=tz).timestamp()),
    )


class Calendar(_Model):
    """A business calendar: working hours per weekday, holidays, time zone."""

    timezone: TimeZone = "UTC"
    working_hours: dict[str, Any] = Field(
        default_factory=lambda: {"mon-fri": "08:00-18:00"},
        description="keys: weekday names or ranges ('mon-fri', 'sat'); values: 'HH:MM-HH:MM' or a list",
    )
    holidays: list[date] = Field(default_factory=list)
    country: str | None = Field(default=None, description="public holidays from `holidays`, e.g. 'DE', 'CN'")
    subdivision: str | None = None
    teams: dict[str, Calendar] = Field(default_factory=dict, description="per-team calendars")

    @field_validator("working_hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, hours in value.items():
            _expand_weekdays(key)
            _parse_hours(hours)
        return value

    @field_validator("country")
    @classmethod
    def _valid_country(cls, value: str | None) -> str | None:
        if value is None:
            return value
        import holidays

        if value.upper() not in holidays.list_supported_countries():
            raise ValueError(_("no public-holiday calendar for country {value!r} in `holidays`").format(value=value))
        return value.upper()

    def hours_by_weekday(self) -> dict[int, list[tuple[time, time]]]:
        """Weekday (0 = Monday) → working spans."""
        result: dict[int, list[tuple[time, time]]] = {d: [] for d in range(7)}
        for key, hours in self.working_hours.items():
            for day in _expand_weekdays(key):
                result[day] = _parse_hours(hours)
        return result


def _expand_weekdays(key: str) -> list[int]:
    text = key.strip().lower()[:]
    if "-" in text:
        a, b = (p.strip()[:3] for p in text.split("-", 1))
        if a not in _WEEKDAYS or b not in _WEEKDAYS:
            raise ValueError(_("not a weekday range: {key!r}; write e.g. 'mon-fri'").format(key=key))
        i, j = _WEEKDAYS.index(a), _WEEKDAYS.index(b)
        return list(range(i, j + 1)) if i <= j else list(range(i, 7)) + list(range(0, j + 1))
    if text[:3] not in _WEEKDAYS:
        raise ValueError(_("not a weekday: {key!r}; write e.g. 'mon', 'sat' or 'mon-fri'").format(key=key))
    return [_WEEKDAYS.index(text[:3])]


Clock = Literal["calendar", "business"]


class StepTarget(_Model):
    """Maximum wait before a step and/or maximum time in a status, e.g. '85% within 1 h'."""

    step: str
    max_wait: Duration | None = None
    max_time_in_status: Duration | None = None
    attainment: Share = 1.0
    clock: Clock = "calendar"
    segment: dict[str, str] = Field(default_factory=dict, description="e.g. {priority: P1}")
    name: str | None = None


class MilestoneTarget(_Model):
    """First occurrence of ``start`` to first occurrence of ``end`` within a duration."""

    name: str
    start: str = Field(description="activity that starts the clock ('case start' for the first event)")
    end: str
    within: Duration
    attainment: Share = 1.0
    clock: Clock = "calendar"
    exclude_sla_pause: bool = True
    segment: dict[str, str] = Field(default_factory=dict)


class LeadTimeTarget(_Model):
    """Case lead time (first to last event) within a duration."""

    name: str = "lead time"
    within: Duration
    attainment: Share = 1.0
    clock: Clock = "calendar"
    segment: dict[str, str] = Field(default_factory=dict)


class Targets(_Model):
    steps: list[StepTarget] = Field(default_factory=list)
    milestones: list[MilestoneTarget] = Field(default_factory=list)
    lead_time: list[LeadTimeTarget] = Field(default_factory=list)


class ValueClasses(_Model):
    """Activity names (exact, case-insensitive) per value class; unnamed ones use keyword defaults."""

    value_adding: list[str] = Field(default_factory=list)
    necessary: list[str] = Field(default_factory=list)
    waiting: list[str] = Field(default_factory=list)
    handoff: list[str] = Field(default_factory=list)
    rework: list[str] = Field(default_factory=list)
    approval: list[str] = Field(default_factory=list)
    sla_pause: list[str] = Field(
        default_factory=list, description="statuses that stop the SLA clock (e.g. 'Pending customer')"
    )


class Costs(_Model):
    hourly_rate: float = Field(default=0.0, ge=0)
    currency: str = "EUR"
    # what a change costs and saves (cspm.roi); all per ticket unless named otherwise
    cost_per_handoff: float = Field(default=0.0, ge=0, description="cost of one handoff (re-reading, context)")
    cost_per_touch: float = Field(default=0.0, ge=0, description="cost of one step (event) worked on a ticket")
    waiting_hour_cost: float = Field(default=0.0, ge=0, description="cost of one hour a ticket waits (customer impact)")
    investment: float = Field(default=0.0, ge=0, description="one-off cost of the change")
    running_cost_per_month: float = Field(default=0.0, ge=0, description="monthly cost of running the change")


class MonitorSettings(_Model):
    """``cspm monitor``: the period and when a target raises an alert."""

    every: Literal["week", "month"] = "week"
    alert_periods: int = Field(default=1, ge=1, description="alert when a target is breached in each of the last N periods")
    min_observations: int = Field(default=5, ge=1, description="periods with fewer observations of a target do not count")


class KpiSettings(_Model):
    """Which activities mark the service KPIs (unset: detected from the activity names)."""

    first_response: list[str] = Field(default_factory=list, description="e.g. ['First response']")
    resolution: list[str] = Field(default_factory=list, description="e.g. ['Resolve ticket']")
    closure: list[str] = Field(default_factory=list, description="e.g. ['Close ticket']")
    reopen: list[str] = Field(default_factory=list, description="e.g. ['Reopen ticket']")
    fcr_breakers: list[str] | None = Field(
        default=None, description="activities that break first-contact resolution (default: handoff class)"
    )
    fcr_team_change: bool = Field(default=True, description="a change of team breaks first-contact resolution")
    response_target: Duration = timedelta(hours=1)
    close_within: Duration = timedelta(hours=24)
    customer_return_days: float = Field(default=7.0, gt=0)
    clock: Clock = "calendar"
    support_levels: dict[str, int] = Field(
        default_factory=dict, description="team → support level (1 = first line), e.g. {Service Desk: 1, Network 2nd: 2}"
    )
    support_level_pattern: str = Field(
        default=r"(?i)\b(?:l|level|tier)\s*([1-9])\b|\b([1-9])(?:st|nd|rd|th)\b",
        description="teams not in support_levels: the level is the first number this pattern captures "
        "(default: 'L2', 'Level 2', 'Tier 2', '... 2nd')",
    )


class AtMostRule(_Model):
    """``activity`` occurs at most ``times`` times per ticket ("approval at most once")."""

    rule: Literal["at_most"] = "at_most"
    name: str | None = None
    activity: str
    times: int = Field(default=1, ge=0)


class PrecedenceRule(_Model):
    """Whenever ``then`` occurs, ``first`` occurred before it ("no close without resolve")."""

    rule: Literal["before"] = "before"
    name: str | None = None
    first: str
    then: str


class WithinRule(_Model):
    """``activity`` follows the first ``after`` within ``within`` ("first response within 1 h of creation").

    With ``required`` (default) a ticket that has ``after`` but never ``activity`` later violates it too.
    """

    rule: Literal["within"] = "within"
    name: str | None = None
    activity: str
    after: str
    within: Duration
    required: bool = True


Rule = Annotated[AtMostRule | PrecedenceRule | WithinRule, Field(discriminator="rule")]


class ConformanceSettings(_Model):
    """The to-be model that ``cspm.conformance`` (and ``cspm conformance`` without ``--model``) checks against."""

    model: Path | None = Field(
        default=None,
        description="to-be model file: BPMN 2.0 (.bpmn), PNML (.pnml) or a YAML happy-path spec; "
        "a relative path is relative to the configuration file",
    )

    @field_validator("model")
    @classmethod
    def _relative_to_config_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("config_dir")
        return base / value if value is not None and base is not None and not value.is_absolute() else value


class Pseudonymisation(_Model):
    """Safe to share: names replaced by stable keyed pseudonyms right after reading (see
    :mod:`cspm.ingest.pseudonymise`). The key comes from the environment variable
    ``CSPM_PSEUDONYM_KEY`` or from ``key_file``; text attributes are dropped unless named in ``keep``."""

    roles: list[Literal["agent", "customer", "team"]] = Field(
        default_factory=list, description="which names to replace, e.g. [agent, customer]"
    )
    key_file: Path | None = Field(default=None, description="a file holding the secret key (else $CSPM_PSEUDONYM_KEY)")
    keep: list[str] = Field(default_factory=list, description="text attributes to keep (all others are dropped)")
    mapping: Path | None = Field(default=None, description="write original → pseudonym here (only when set)")


class SparkSettings(_Model):
    """How cspm starts its Spark session (``engine: {name: spark, spark: {...}}``)."""

    master: str = Field(
        default="local[2]",
        description="Spark master (local[N], spark://host:7077, yarn, k8s://…) or a Spark Connect URL sc://host:15002",
    )
    executor_memory: str | None = Field(default=None, description="spark.executor.memory, e.g. '8g'")
    driver_memory: str | None = Field(default=None, description="spark.driver.memory, e.g. '4g'")
    conf: dict[str, str] = Field(default_factory=dict, description="any other Spark settings, e.g. spark.sql.shuffle.partitions")


class EngineSettings(_Model):
    """Where the events live: ``duckdb`` (embedded, the default), ``spark``, or a database URL that Ibis
    connects to (e.g. ``postgresql://user@host/db``). ``engine: spark`` is short for ``engine: {name: spark}``."""

    name: str = Field(default="duckdb", description="duckdb, spark, or a database URL such as postgresql://user@host/db")
    memory_limit: str | None = Field(default=None, description="DuckDB memory limit, e.g. '4GB' (spills to disk above it); default: a quarter of the machine's memory, 512 MiB to 2 GiB")
    compress_tables: bool = Field(default=True, description="DuckDB: compress the tables cspm keeps in memory once they pass 256 MiB (a 1M-event diagnosis peaks near 1.05 GB instead of 1.8 GB, for about 8 % more time); false keeps them uncompressed")
    spark: SparkSettings = Field(default_factory=SparkSettings)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class ReportSettings(_Model):
    """How the report is written for its readers."""

    language: Language = Field(
        default="en", description="language of the report, the CLI's tables and the findings (en, zh)"
    )


class Config(_Model):
    """The whole configuration file."""

    engine: EngineSettings = Field(default_factory=EngineSettings)

    columns: ColumnMapping = Field(default_factory=ColumnMapping)
    timestamps: TimestampSettings = Field(default_factory=TimestampSettings)
    time_semantics: Literal["complete", "status", "start_complete"] | None = None
    calendar: Calendar = Field(default_factory=Calendar)
    targets: Targets = Field(default_factory=Targets)
    value_classes: ValueClasses = Field(default_factory=ValueClasses)
    costs: Costs = Field(default_factory=Costs)
    rules: list[Rule] = Field(default_factory=list, description="conformance rules checked per ticket")
    kpis: KpiSettings = Field(default_factory=KpiSettings)
    conformance: ConformanceSettings = Field(default_factory=ConformanceSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    pseudonymise: Pseudonymisation = Field(default_factory=Pseudonymisation)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML (.yaml/.yml) or TOML (.toml) configuration file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, [("(file)", str(path), _("no such file"))])
    text = path.read_bytes()
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(text.decode("utf-8-sig"))
        else:
            data = yaml.safe_load(text.decode("utf-8-sig"))
    except (yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [("(file)", path.name, _("not valid YAML/TOML: {exc}").format(exc=exc))]) from None
    return config_from_dict(data or {}, path=path)


def as_config(config: Config | str | Path | None) -> Config:
    """The configuration every analysis takes: a :class:`Config`, a path to a YAML/TOML file, or
    ``None`` (the defaults: no targets, default value classes and calendar)."""
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    if isinstance(config, str | Path):
        return load_config(config)
    raise ConfigError(None, [("config", type(config).__name__, _("expected a Config, a path to a YAML/TOML file, or None"))])


# pydantic's messages for the usual mistakes in a config file, translated (by error type)
_VALIDATION_MESSAGES = {
    "missing": N_("Field required"), "literal_error": N_("Input should be {expected}"), "enum": N_("Input should be {expected}"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "float_type": N_("Input should be a valid number"), "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "bool_type": N_("Input should be a valid boolean"), "string_type": N_("Input should be a valid string"),
    "list_type": N_("Input should be a valid list"), "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "greater_than": N_("Input should be greater than {gt}"), "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"), "less_than_equal": N_("Input should be less than or equal to {le}"),
}  # fmt: skip


def config_from_dict(data: dict[str, Any], path: str | Path | None = None) -> Config:
    """Validate a configuration given as a dict (e.g. from a notebook)."""
    if not isinstance(data, dict):
        raise ConfigError(path, [("(top level)", data, _("expected a mapping of sections"))])
    try:
        return Config.model_validate(data, context={"config_dir": Path(path).parent} if path is not None else None)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = _("unknown key")
            elif err["type"] in _VALIDATION_MESSAGES and language() != "en":  # English: pydantic's own words
                ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (err.get("ctx") or {}).items()}
                if isinstance(ctx.get("expected"), str):  # pydantic's "'en' or 'zh'"
                    ctx["expected"] = ctx["expected"].replace(" or ", _(" or "))
                msg = _(_VALIDATION_MESSAGES[err["type"]]).format(**ctx)
            problems.append((key, err.get("input"), msg))
        raise ConfigError(path, problems) from None
