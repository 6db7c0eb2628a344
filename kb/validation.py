"""Validate the knowledge files: JSON Schema per file, then cross-reference checks.

Every problem is one line: "<file>: <field path>: <problem>", the file shown relative to the
folder that holds the knowledge directory (e.g. knowledge/municipalities/chiba.yml).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import jsonschema
import yaml

from jptext import fold_kana
from kb.build import clock
from kb.yamlio import read_yaml

SCHEMA_BASE = "https://kb.invalid/schema/"
SCHEMA_FILES = ("common", "sources", "national", "municipality")


@dataclass
class ValidatedFiles:
    """Parsed files that passed validation, plus every problem found."""

    problems: list[str] = field(default_factory=list)
    sources: dict[str, Any] | None = None
    national: dict[str, Any] | None = None
    municipalities: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_count: int = 0

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


class _Reporter:
    """Collects problem lines for one file."""

    def __init__(self, shown: str, sink: list[str]) -> None:
        self.shown = shown
        self.sink = sink
        self.count = 0

    def add(self, parts: Sequence[Any], message: str) -> None:
        """Record one problem at a field path shown like offices[0].hours[1].open ("(root)": the file itself)."""
        path = ""
        for part in parts:
            path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
        self.sink.append(f"{self.shown}: {path or '(root)'}: {message}")
        self.count += 1


def _load_validators(schema_dir: Path) -> dict[str, jsonschema.protocols.Validator]:
    store: dict[str, Any] = {}
    for name in SCHEMA_FILES:
        schema = json.loads((schema_dir / f"{name}.schema.json").read_text(encoding="utf-8"))
        store[schema.get("$id", f"{SCHEMA_BASE}{name}.schema.json")] = schema
    validators = {}
    for name in SCHEMA_FILES[1:]:  # common.schema.json holds only shared definitions
        schema = store[f"{SCHEMA_BASE}{name}.schema.json"]
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        validators[name] = jsonschema.Draft202012Validator(schema, resolver=resolver)
    return validators


def _read(path: Path, rep: _Reporter) -> Any:
    if not path.is_file():
        rep.add([], "file is missing")
        return None
    try:
        data = read_yaml(path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        rep.add([], f"YAML syntax error{where}: {exc.problem}")
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        rep.add([], f"cannot read: {exc}")
        return None
    if data is None:
        rep.add([], "file is empty")
    return data


def _leaves(node: Any, parts: list[Any]) -> Iterator[tuple[list[Any], Any]]:
    """Yield (path, value) for every scalar of a parsed file."""
    if isinstance(node, (dict, list)):
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            yield from _leaves(value, parts + [key])
    else:
        yield parts, node


def _check_sources(data: dict[str, Any], rep: _Reporter) -> dict[str, dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(data["sources"]):
        if entry["id"] in by_id:
            rep.add(["sources", i, "id"], f"duplicate source id {entry['id']!r}")
        by_id[entry["id"]] = entry
        for key in [k for k in ("updated", "published") if entry.get(k) is not None]:
            try:
                dt.date.fromisoformat(entry[key])
            except ValueError:
                rep.add(["sources", i, key], f"{entry[key]!r} is not a real date")
        if not entry["file"].startswith(entry["seed_id"] + "_"):
            rep.add(["sources", i, "file"], f"{entry['file']!r} does not start with seed_id {entry['seed_id']!r}")
    return by_id


def _check_source_refs(data: Any, sources: dict[str, dict[str, Any]], rep: _Reporter, own: str | None) -> None:
    for parts, ref in _leaves(data, []):
        if not isinstance(ref, str) or ("source" not in parts[-1:] and "confirmed_by" not in parts[-2:-1]):
            continue  # not a `source` or `confirmed_by` reference
        if ref not in sources:
            rep.add(parts, f"unknown source {ref!r} (not in knowledge/sources.yml)")
        elif own is not None and sources[ref].get("municipality") != own:
            # A city's file may cite only its own page; this keeps cities from leaking into each other.
            rep.add(parts, f"source {ref!r} belongs to {sources[ref].get('municipality')!r}, not {own!r}")


def _check_national(data: dict[str, Any], rep: _Reporter) -> None:
    ids: list[str] = []
    for i, pin in enumerate(data["pins"]):
        if pin["id"] in ids:
            rep.add(["pins", i, "id"], f"duplicate pin id {pin['id']!r}")
        ids.append(pin["id"])
        if pin["min_length"] > pin["max_length"]:
            rep.add(["pins", i, "min_length"], "min_length is greater than max_length")
    reset = data["store_reset"]
    refs = [([key, i], pin) for key in ("pins", "not_available_for") for i, pin in enumerate(reset[key])]
    refs += [
        (["other_pin_required", key], pin) for key, other in reset["other_pin_required"].items() for pin in (key, other)
    ]
    for parts, pin_id in refs:
        if pin_id not in ids:
            rep.add(["store_reset", *parts], f"pin {pin_id!r} is not defined under pins")
    year_end = data["calendar"]["year_end"]
    for key in ("start", "end"):
        month, day = (int(x) for x in year_end[key].split("-"))
        try:
            dt.date(2000, month, day)  # leap year, so 02-29 is accepted
        except ValueError:
            rep.add(["calendar", "year_end", key], f"{year_end[key]!r} is not a real month-day")


def _check_office(office: dict[str, Any], parts: list[Any], rep: _Reporter) -> None:
    for j, rule in enumerate(office["hours"]):
        at = parts + ["hours", j]
        opens, closes = clock(rule["open"]), clock(rule["close"])
        if opens >= closes:
            rep.add(at + ["close"], f"close {rule['close']!r} is not after open {rule['open']!r}")
        if "reception_until" in rule:
            until = clock(rule["reception_until"])
            if not opens < until <= closes:
                rep.add(at + ["reception_until"], f"{rule['reception_until']!r} is not between open and close")
    for j, window in enumerate(office.get("no_pin_service", [])):
        if "from" in window and "to" in window and clock(window["from"]) >= clock(window["to"]):
            rep.add(parts + ["no_pin_service", j, "to"], "'to' is not after 'from'")
    for j, span in enumerate(office.get("uncertain_days", [])):
        if span["from_day"] > span["to_day"]:
            rep.add(parts + ["uncertain_days", j, "to_day"], "to_day is before from_day")
    if not office["hours"] and (office["closed"] or office.get("no_pin_service")):
        rep.add(parts + ["closed"], "closing rules given but hours is empty")


# What knowledge/templates/municipality.yml marks as still to be filled in from the city's page.
TEMPLATE_PLACEHOLDERS = ("TODO", "__ID__", "__NAME__", "__ALIASES__")


def _check_placeholders(data: Any, rep: _Reporter) -> None:
    for parts, value in _leaves(data, []):
        if isinstance(value, str) and any(mark in value for mark in TEMPLATE_PLACEHOLDERS):
            rep.add(parts, "still a placeholder of the template: write what the city's page says (or remove the field)")


def _check_municipality(data: dict[str, Any], stem: str, rep: _Reporter) -> None:
    if data["id"] != stem:
        rep.add(["id"], f"{data['id']!r} does not match the file name {stem!r}")
    office_ids: list[str] = []
    for i, office in enumerate(data["offices"]):
        if office["id"] in office_ids:
            rep.add(["offices", i, "id"], f"duplicate office id {office['id']!r}")
        office_ids.append(office["id"])
        _check_office(office, ["offices", i], rep)
    for proc_id, proc in data["procedures"].items():
        base = ["procedures", proc_id]
        for i, office_id in enumerate(proc["offices"]):
            if office_id not in office_ids:
                rep.add(base + ["offices", i], f"office {office_id!r} is not defined under offices")
        for app_id, app in proc["applicants"].items():
            at = base + ["applicants", app_id]
            if app.get("coverage") != "partial" and not app["documents"]:
                rep.add(
                    at + ["documents"],
                    "is empty; if the page lists no documents, set coverage: partial and a coverage_note",
                )
            visits = {d.get("visit") for d in app["documents"]} - {None}
            if visits and max(visits) > app.get("visits", 1):
                rep.add(at + ["visits"], "documents mention a visit number higher than visits")
    if not any(fold_kana(a) for a in data["aliases"]):
        rep.add(["aliases"], "no usable alias")


def _check_alias_clashes(files: dict[str, tuple[_Reporter, dict[str, Any]]]) -> None:
    owner: dict[str, str] = {}
    for mid, (rep, data) in sorted(files.items()):
        for i, alias in enumerate(data["aliases"]):
            key = fold_kana(alias)
            if key in owner and owner[key] != mid:
                rep.add(["aliases", i], f"{alias!r} is also an alias of {owner[key]!r}")
            owner.setdefault(key, mid)


def validate_tree(root: Path) -> ValidatedFiles:
    """Validate every knowledge file under `root` and return parsed data plus problems."""
    result = ValidatedFiles()

    def reporter(path: Path) -> _Reporter:
        """A reporter that shows `path` relative to the knowledge folder's parent."""
        return _Reporter(path.relative_to(root.parent).as_posix(), result.problems)

    try:
        validators = _load_validators(root / "schema")
    except (OSError, ValueError, KeyError) as exc:
        reporter(root / "schema").add([], f"cannot load schema: {exc}")
        return result

    def load(path: Path, kind: str) -> tuple[Any, _Reporter]:
        """Read and schema-check one file: its data (None when unreadable) and its reporter."""
        rep = reporter(path)
        data = _read(path, rep)
        result.file_count += 1
        if data is not None:
            for error in sorted(validators[kind].iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
                rep.add(list(error.absolute_path), error.message)
        return data, rep

    sources_data, sources_rep = load(root / "sources.yml", "sources")
    sources_ok = sources_rep.count == 0
    sources = _check_sources(sources_data, sources_rep) if sources_ok else {}

    national_data, national_rep = load(root / "national.yml", "national")
    if national_rep.count == 0:
        _check_national(national_data, national_rep)
        _check_source_refs(national_data, sources, national_rep, own=None)

    muni_dir = root / "municipalities"
    paths = sorted(muni_dir.glob("*.yml")) if muni_dir.is_dir() else []
    if not paths:
        reporter(muni_dir).add([], "no municipality files")
    good: dict[str, tuple[_Reporter, dict[str, Any]]] = {}
    for path in paths:
        data, rep = load(path, "municipality")
        if data is None:
            continue
        if rep.count:  # not the schema's shape: only the template's leftovers are worth naming as well
            _check_placeholders(data, rep)
            continue
        _check_municipality(data, path.stem, rep)
        _check_placeholders(data, rep)
        _check_source_refs(data, sources, rep, own=path.stem)
        if rep.count == 0:
            good[data["id"]] = (rep, data)
    _check_alias_clashes(good)

    if sources_ok:
        muni_ids = {p.stem for p in paths}
        for i, entry in enumerate(sources_data["sources"]):
            mid = entry.get("municipality")
            if mid is not None and mid not in muni_ids:
                sources_rep.add(["sources", i, "municipality"], f"no file municipalities/{mid}.yml")

    if result.ok:
        result.sources = sources_data
        result.national = national_data
        result.municipalities = {mid: data for mid, (_, data) in good.items()}
    return result
