"""Which column plays which role: the columns given (checked against the source), the XES
classifier, detection from the headers and a sample of values, and the lifecycle mode — one set of
decisions for every engine (the engine answers two questions about values: does a column look like
times, does it hold lifecycle transitions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cspm.core.log import Roles
from cspm.errors import InputError, MissingColumnError, RoleDetectionError, role_name
from cspm.i18n import gettext as _
from cspm.ingest import roles as _roles

__all__ = ["GivenColumnMissing", "resolve_roles"]

# names of the XES classifier taken as the activity, before the first declared one (case-insensitive)
_ACTIVITY_CLASSIFIERS = ("activity", "activity classifier")


class GivenColumnMissing(MissingColumnError):
    """A column named for a role (``case_id=…``, ``--activity …``, ``columns:`` in the config) that
    the source does not have; says which role it was given for and lists the source's columns."""

    def __init__(self, column: str, columns: list[str], *, role: str, path: str) -> None:
        super().__init__(column, columns, path=path, needed_for=_("the {role} role").format(role=role_name(role)))
        self.role = role
        # the reader's own wording: the role the column was given for, then every column found
        self.reason = _("has no column {column!r} (given as the {role} column). Columns found: {columns}.").format(
            column=column, role=role_name(role), columns=_(", ").join(repr(c) for c in columns))
        self.expected = _("a column named {column!r}").format(column=column)
        self.args = (self._paragraph(),)


def resolve_roles(
    columns: list[str],
    info: dict[str, Any],
    path: str,
    given: dict[str, str | list[str] | None],
    pair_lifecycle: bool | None,
    *,
    looks_like_time: Callable[[str], bool],
    has_transitions: Callable[[str], bool],
) -> tuple[Roles, list[str], dict[str, Any], dict[str, Any]]:
    """Which column plays which role (given, else detected from the headers and a sample of the
    values through the engine's ``looks_like_time`` / ``has_transitions``), the activity columns,
    the lifecycle mode and where the activity came from — the same decisions on every engine."""
    for role, value in given.items():
        for col in [value] if isinstance(value, str) else value or []:
            if col not in columns:
                raise GivenColumnMissing(col, columns, role=role.replace("_", " "), path=path)
    activity_source = _activity_from_classifier(columns, info, given)
    mapping, detected, cands = _roles.detect(
        columns,
        given,
        accepts={"timestamp": looks_like_time, "start_timestamp": looks_like_time},
    )
    missing = [r for r in _roles.REQUIRED if r not in mapping]
    ambiguous = [r for r in _roles.REQUIRED if isinstance(mapping.get(r), list) and mapping[r][0] == "__ambiguous__"]
    if missing or ambiguous:
        parts = []
        if missing:
            parts.append(_("no column was recognised as the {roles}").format(
                roles=_(", ").join(role_name(m) for m in missing)))
        if ambiguous:
            parts.append(_("; ").join(_("{role} could be {first!r} or {second!r}").format(
                role=role_name(r), first=mapping[r][1], second=mapping[r][2]) for r in ambiguous))
        if len(columns) == 1:
            parts.append(_("the file has a single column {column!r} (wrong delimiter?)").format(column=columns[0][:80]))
        raise RoleDetectionError(
            _("Could not tell which columns hold the case id, activity and timestamp: {problems}.").format(
                problems=_("; ").join(parts)),
            path=path,
            columns=columns,
            candidates=cands,
        )
    act_cols = [mapping["activity"]] if isinstance(mapping["activity"], str) else list(mapping["activity"])
    if activity_source["source"] != "classifier":
        activity_source["source"] = "detected" if "activity" in detected else "given"
    lc_col = _opt(mapping, "lifecycle")
    if lc_col is None and len(act_cols) > 1:
        # a lifecycle column joined into the activity (classifier, or --activity twice) is still one
        in_activity = _roles.candidates("lifecycle", act_cols[1:])
        if in_activity:
            lc_col = mapping["lifecycle"] = in_activity[0][1]
    if lc_col and "lifecycle" in detected and not has_transitions(lc_col):
        activity_source.setdefault("notes", []).append(
            f"column {lc_col!r} was not used as the lifecycle: none of its values is a lifecycle transition"
        )
        mapping.pop("lifecycle")
        detected.remove("lifecycle")
        lc_col = None
    lifecycle = _lifecycle_mode(
        lc_col, act_cols, pair_lifecycle, activity_source, has_start=bool(_opt(mapping, "start_timestamp")), path=path
    )
    roles = Roles(
        case_id=str(mapping["case_id"]),
        activity=tuple(act_cols),
        timestamp=str(mapping["timestamp"]),
        start_timestamp=_opt(mapping, "start_timestamp"),
        agent=_opt(mapping, "agent"),
        team=_opt(mapping, "team"),
        lifecycle=_opt(mapping, "lifecycle"),
        channel=_opt(mapping, "channel"),
        priority=_opt(mapping, "priority"),
        customer=_opt(mapping, "customer"),
        detected=tuple(detected),
    )
    return roles, act_cols, lifecycle, activity_source


def _opt(mapping: dict[str, Any], role: str) -> str | None:
    value = mapping.get(role)
    return value if isinstance(value, str) else None


def _activity_from_classifier(
    columns: list[str], info: dict[str, Any], given: dict[str, str | list[str] | None]
) -> dict[str, Any]:
    """Take the activity from the XES file's classifier unless it was given; say what was done.

    The classifier named ``Activity`` or ``Activity classifier`` (case-insensitive) is used, else the
    first one declared; its keys are joined into the activity, as ProM and Disco do.
    """
    declared = info.pop("classifiers", [])
    found: dict[str, Any] = {
        "source": "given" if given.get("activity") else "detected",
        "declared": [{"name": n, "keys": list(k)} for n, k in declared],
        "classifier": None,
    }
    if not declared:
        return found
    name, keys = next(((n, k) for n, k in declared if n.strip().casefold() in _ACTIVITY_CLASSIFIERS), declared[0])
    if given.get("activity"):
        wanted = given["activity"]
        if ([wanted] if isinstance(wanted, str) else list(wanted)) != list(keys):
            found["notes"] = [f"XES classifier {name!r} ({' '.join(keys)}) not used: the activity column was given"]
        return found
    missing = [k for k in keys if k not in columns]
    if not keys or missing:
        found["notes"] = [
            f"XES classifier {name!r} ({' '.join(keys)}) not used: no event has "
            + ", ".join(repr(k) for k in missing or ["(no keys)"])
            + "; the activity column was detected from the attribute names"
        ]
        return found
    given["activity"] = keys[0] if len(keys) == 1 else list(keys)
    found.update(source="classifier", classifier={"name": name, "keys": list(keys)})
    return found


def _lifecycle_mode(
    column: str | None,
    act_cols: list[str],
    pair: bool | None,
    activity_source: dict[str, Any],
    *,
    has_start: bool,
    path: str,
) -> dict[str, Any]:
    """Decide between pairing lifecycle rows and keeping them in the activity (edits ``act_cols``)."""
    if column is None:
        return {"column": None, "mode": None}
    in_activity = column in act_cols
    if pair is True and in_activity:
        if activity_source["source"] != "classifier" or len(act_cols) == 1:
            raise InputError(
                _("the activity ({names}) includes the lifecycle column {column!r}, and pairing lifecycle rows was asked for.").format(names=' + '.join(act_cols), column=column),
                path=path,
                column=column,
                expected=_("either pairing (the activity without the lifecycle column) or keeping the lifecycle in the activity"),
                hint=_("Use --lifecycle keep (pair_lifecycle=False), or give the activity without the lifecycle column."),
            )
        act_cols.remove(column)
        activity_source.setdefault("notes", []).append(
            f"the XES classifier includes {column!r}; lifecycle pairing was asked for, so the activity is "
            f"{' + '.join(act_cols)} and the lifecycle rows were paired into activity instances"
        )
        in_activity = False
    mode = "keep" if pair is False or (pair is None and in_activity) else "pair"
    if mode == "keep" and not in_activity:
        act_cols.append(column)
    info: dict[str, Any] = {"column": column, "mode": mode}
    if mode == "pair" and has_start:
        info.update(mode="none", reason="the log has a start timestamp column")
    elif mode == "keep" and pair is None:
        info["reason"] = "the activity includes the lifecycle column (XES classifier or given)"
    return info
