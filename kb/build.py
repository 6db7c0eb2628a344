"""Turn validated knowledge dicts into model objects.

The mapping is mechanical: a model field is read from the key of the same name and converted by its annotated
type (a `Source` from its id, a tuple from a list, a nested model from a mapping). Only what is not mechanical
is written out here: weekday names, keys whose name differs from the field, and ids the file keeps as keys.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import MISSING, fields, is_dataclass, replace
from types import MappingProxyType
from typing import Any, Mapping, Optional, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from kb.ids import APPLICANTS, PROCEDURES, WEEKDAYS
from kb.models import (
    AfterRule,
    ClosedRule,
    DaySelector,
    HoursRule,
    Municipality,
    MustKnow,
    National,
    Office,
    Procedure,
    Renewal,
    Requirements,
    ServiceWindow,
    Source,
    StoreReset,
    Validity,
    YearEnd,
)

T = TypeVar("T")
Sources = Mapping[str, Source]


_hints = functools.cache(get_type_hints)


def clock(value: str) -> dt.time:
    """A time of day from the files' "HH:MM"."""
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def _convert(kind: Any, value: Any, sources: Sources) -> Any:
    """`value` as read from YAML, turned into the annotated type `kind`."""
    if get_origin(kind) is Union:  # Optional[X]
        return None if value is None else _convert(get_args(kind)[0], value, sources)
    if get_origin(kind) is tuple:
        return tuple(_convert(get_args(kind)[0], item, sources) for item in value or ())
    if get_origin(kind) is not None and issubclass(get_origin(kind), Mapping):
        return MappingProxyType(dict(value))
    if kind is Source:
        return sources[value]
    if kind is dt.date:
        return dt.date.fromisoformat(value) if value else None
    if kind is dt.time:
        return clock(value)
    if kind is MustKnow and isinstance(value, str):
        return MustKnow(value)
    if is_dataclass(kind):
        return build(kind, value, sources)  # type: ignore[arg-type]
    return value


def build(cls: type[T], raw: Mapping[str, Any], sources: Sources, **given: Any) -> T:
    """A `cls` from `raw`: `given` fields as they are, the others from their keys.

    An absent key leaves the field's default; a field without one gets what an empty value converts to (an
    empty tuple, None).
    """
    hints = _hints(cast(Any, cls))
    values = dict(given)
    for spec in fields(cls):  # type: ignore[arg-type]
        required = spec.default is MISSING and spec.default_factory is MISSING
        if spec.name not in values and (spec.name in raw or required):
            values[spec.name] = _convert(hints[spec.name], raw.get(spec.name), sources)
    return cls(**values)


def _days(values: Optional[list[str]]) -> Optional[frozenset[int]]:
    return frozenset(WEEKDAYS.index(v) for v in values) if values else None


def _selector(raw: Mapping[str, Any]) -> Optional[DaySelector]:
    days = _days(raw.get("days"))
    if days is None:
        return None
    after = raw.get("after")
    return DaySelector(
        days=days,
        nth=frozenset(raw["nth"]) if raw.get("nth") else None,
        after=AfterRule(WEEKDAYS.index(after["weekday"]), after["nth"]) if after else None,
    )


def build_sources(raw: dict[str, Any]) -> dict[str, Source]:
    """Sources by id."""
    return {s["id"]: build(Source, s, {}) for s in raw["sources"]}


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def build_national(raw: dict[str, Any], sources: Sources) -> National:
    """The National object, with the 年末年始 period of its calendar."""
    certificate, ye = raw["certificate"], raw["calendar"]["year_end"]
    return build(
        National,
        raw,
        sources,
        store_reset=build(StoreReset, raw["store_reset"], sources),
        validity=build(Validity, certificate["validity"], sources),
        renewal=build(Renewal, certificate["renewal"], sources),
        year_end=build(YearEnd, ye, {}, start=_month_day(ye["start"]), end=_month_day(ye["end"])),
        typos=_convert(_hints(National)["typos"], raw.get("page_typos"), sources),
    )


def _closed_rule(raw: Mapping[str, Any], year_end: YearEnd) -> ClosedRule:
    return build(
        ClosedRule,
        raw,
        {},
        days=_days(raw.get("days")),
        excepts=tuple(s for s in map(_selector, raw.get("except", ())) if s is not None),
        year_end=year_end if raw["kind"] == "year_end" else None,
    )


def _window(raw: Mapping[str, Any]) -> ServiceWindow:
    start, end = raw.get("from"), raw.get("to")
    return build(ServiceWindow, raw, {}, selector=_selector(raw), start=start and clock(start), end=end and clock(end))


def _office(raw: Mapping[str, Any], mid: str, sources: Sources, year_end: YearEnd) -> Office:
    return build(
        Office,
        raw,
        sources,
        municipality=mid,
        hours=tuple(build(HoursRule, rule, {}, selector=_selector(rule)) for rule in raw["hours"]),  # days are required
        closed=tuple(_closed_rule(c, year_end) for c in raw["closed"]),
        no_pin_service=tuple(map(_window, raw.get("no_pin_service", ()))),
    )


def _requirements(mid: str, proc: Procedure, aid: str, raw: Mapping[str, Any], sources: Sources) -> Requirements:
    """One applicant type's entry, with what its procedure says for every applicant."""
    return build(
        Requirements,
        raw,
        sources,
        municipality=mid,
        procedure=proc.id,
        applicant=aid,
        covered=raw.get("coverage", "full") == "full" and bool(raw.get("documents")),
        procedure_notes=proc.notes,
        source=sources[raw["source"]] if "source" in raw else proc.source,
        key_notes=proc.key_notes,
        must_know=proc.must_know + _convert(_hints(Requirements)["must_know"], raw.get("must_know"), sources),
    )


def _procedure(mid: str, pid: str, raw: Mapping[str, Any], sources: Sources) -> Procedure:
    proc = build(Procedure, raw, sources, id=pid, applicants=MappingProxyType({}))
    given = raw["applicants"]
    applicants = {aid: _requirements(mid, proc, aid, given[aid], sources) for aid in APPLICANTS if aid in given}
    return replace(proc, applicants=MappingProxyType(applicants))


def build_municipality(raw: dict[str, Any], sources: Sources, year_end: YearEnd) -> Municipality:
    """One Municipality object."""
    given = raw["procedures"]
    procedures = {pid: _procedure(raw["id"], pid, given[pid], sources) for pid in PROCEDURES if pid in given}
    return build(
        Municipality,
        raw,
        sources,
        procedures=MappingProxyType(procedures),
        offices=tuple(_office(o, raw["id"], sources, year_end) for o in raw["offices"]),
    )
