"""Turn validated knowledge dicts into model objects."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import Any, Optional

from kb.ids import APPLICANTS, PROCEDURES, WEEKDAYS
from kb.models import (
    AfterRule,
    Applicant,
    ClosedRule,
    Contact,
    DaySelector,
    Document,
    Fact,
    HoursRule,
    IdCategory,
    IdDocuments,
    IdRule,
    Municipality,
    MustKnow,
    National,
    Office,
    Phone,
    Pin,
    Procedure,
    Renewal,
    ServiceWindow,
    Source,
    StoreReset,
    Typo,
    UncertainDays,
    Validity,
    YearEnd,
)


def _date(value: Optional[str]) -> Optional[dt.date]:
    return dt.date.fromisoformat(value) if value else None


def _clock(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def _time(value: Optional[str]) -> Optional[dt.time]:
    return None if value is None else _clock(value)


def _days(values: Optional[list[str]]) -> Optional[frozenset[int]]:
    return frozenset(WEEKDAYS.index(v) for v in values) if values else None


def _selector(raw: dict[str, Any]) -> Optional[DaySelector]:
    days = _days(raw.get("days"))
    if days is None:
        return None
    after = raw.get("after")
    return DaySelector(
        days=days,
        nth=frozenset(raw["nth"]) if raw.get("nth") else None,
        after=AfterRule(WEEKDAYS.index(after["weekday"]), after["nth"]) if after else None,
    )


def _texts(raw: Optional[list[str]]) -> tuple[str, ...]:
    return tuple(raw or ())


def _must_know(raw: Optional[list[Any]]) -> tuple[MustKnow, ...]:
    return tuple(
        MustKnow(item) if isinstance(item, str) else MustKnow(item["text"], item["page"]) for item in raw or ()
    )


def build_sources(raw: dict[str, Any]) -> dict[str, Source]:
    """Sources by id."""
    return {
        s["id"]: Source(
            id=s["id"],
            seed_id=s["seed_id"],
            file=s["file"],
            title=s.get("title"),
            publisher=s.get("publisher"),
            municipality=s.get("municipality"),
            updated=_date(s.get("updated")),
            published=_date(s.get("published")),
        )
        for s in raw["sources"]
    }


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def build_year_end(raw: dict[str, Any]) -> YearEnd:
    """The 年末年始 period from national.calendar."""
    ye = raw["calendar"]["year_end"]
    return YearEnd(_month_day(ye["start"]), _month_day(ye["end"]), ye["label"], ye.get("basis"))


def _facts(raw: Optional[list[dict[str, Any]]], sources: dict[str, Source]) -> tuple[Fact, ...]:
    return tuple(Fact(f["text"], sources[f["source"]], tuple(f.get("pins", ()))) for f in raw or ())


def build_national(raw: dict[str, Any], sources: dict[str, Source]) -> National:
    """The National object."""
    pins = tuple(
        Pin(
            id=p["id"],
            label=p["label"],
            format=p["format"],
            min_length=p["min_length"],
            max_length=p["max_length"],
            format_text=p["format_text"],
            lock_after=p["lock_after"],
            used_for=p["used_for"],
            source=sources[p["source"]],
            confirmed_by=tuple(sources[s] for s in p.get("confirmed_by", ())),
        )
        for p in raw["pins"]
    )
    sr = raw["store_reset"]
    store_reset = StoreReset(
        pins=tuple(sr["pins"]),
        not_available_for=tuple(sr["not_available_for"]),
        needs=tuple(sr["needs"]),
        other_pin_required=MappingProxyType(dict(sr["other_pin_required"])),
        summary=sr["summary"],
        source=sources[sr["source"]],
        place=sr.get("place"),
        notes=_texts(sr.get("notes")),
        see_also=_facts(sr.get("see_also"), sources),
    )
    val = raw["certificate"]["validity"]
    ren = raw["certificate"]["renewal"]
    return National(
        pins=pins,
        pin_notes=_facts(raw.get("pin_notes"), sources),
        store_reset=store_reset,
        validity=Validity(val["text"], val["until"], sources[val["source"]]),
        renewal=Renewal(
            window_months_before_expiry=ren["window_months_before_expiry"],
            text=ren["text"],
            source=sources[ren["source"]],
            notice=ren.get("notice"),
            notes=_texts(ren.get("notes")),
            still_an_id=_must_know([ren["still_an_id"]])[0] if ren.get("still_an_id") else None,
        ),
        change_at_home=_facts(raw.get("change_at_home"), sources),
        reset_at_office=_facts(raw.get("reset_at_office"), sources),
        year_end=build_year_end(raw),
        typos=tuple(Typo(t["page"], t["correct"], sources[t["source"]]) for t in raw.get("page_typos") or ()),
    )


def _closed_rule(raw: dict[str, Any], year_end: YearEnd) -> ClosedRule:
    excepts = tuple(s for s in (_selector(e) for e in raw.get("except", ())) if s is not None)
    return ClosedRule(
        kind=raw["kind"],
        label=raw["label"],
        days=_days(raw.get("days")),
        excepts=excepts,
        except_label=raw.get("except_label"),
        year_end=year_end if raw["kind"] == "year_end" else None,
    )


def _office(raw: dict[str, Any], mid: str, sources: dict[str, Source], year_end: YearEnd) -> Office:
    hours = []
    for rule in raw["hours"]:
        selector = _selector(rule)
        if selector is None:  # the schema requires days; guard against unvalidated input
            raise ValueError(f"office {raw['id']!r}: hours rule without days")
        hours.append(
            HoursRule(
                selector,
                _clock(rule["open"]),
                _clock(rule["close"]),
                _time(rule.get("reception_until")),
                rule.get("label"),
            )
        )
    windows = tuple(
        ServiceWindow(w["label"], w["reason"], _selector(w), _time(w.get("from")), _time(w.get("to")))
        for w in raw.get("no_pin_service", ())
    )
    return Office(
        id=raw["id"],
        name=raw["name"],
        municipality=mid,
        source=sources[raw["source"]],
        location=raw.get("location"),
        phone=raw.get("phone"),
        hours=tuple(hours),
        hours_complete=raw.get("hours_complete", True),
        hours_note=raw.get("hours_note"),
        closed=tuple(_closed_rule(c, year_end) for c in raw["closed"]),
        no_pin_service=windows,
        uncertain_days=tuple(
            UncertainDays(u["month"], u["from_day"], u["to_day"], u["note"], u.get("label"))
            for u in raw.get("uncertain_days", ())
        ),
        notes=_texts(raw.get("notes")),
        address=raw.get("address"),
        brief=raw.get("brief"),
        key_notes=_texts(raw.get("key_notes")),
        must_know=_must_know(raw.get("must_know")),
    )


def _document(raw: dict[str, Any]) -> Document:
    return Document(
        raw["name"],
        raw.get("note"),
        raw.get("visit"),
        _texts(raw.get("options")),
        raw.get("exemption"),
        raw.get("form"),
        _texts(raw.get("remarks")),
        raw.get("brief"),
    )


def _procedure(pid: str, raw: dict[str, Any], sources: dict[str, Source]) -> Procedure:
    applicants = {}
    for aid in APPLICANTS:
        if aid not in raw["applicants"]:
            continue
        a = raw["applicants"][aid]
        applicants[aid] = Applicant(
            documents=tuple(_document(d) for d in a["documents"]),
            steps=_texts(a["steps"]),
            notes=_texts(a["notes"]),
            coverage=a.get("coverage", "full"),
            visits=a.get("visits"),
            coverage_note=a.get("coverage_note"),
            kb_note=a.get("kb_note"),
            source=sources[a["source"]] if "source" in a else None,
            must_know=_must_know(a.get("must_know")),
            listed_on_page=a.get("listed_on_page", False),
        )
    return Procedure(
        id=pid,
        notes=_texts(raw.get("notes")),
        offices=tuple(raw["offices"]),
        source=sources[raw["source"]],
        applicants=MappingProxyType(applicants),
        key_notes=_texts(raw.get("key_notes")),
        must_know=_must_know(raw.get("must_know")),
    )


def _id_documents(raw: Optional[dict[str, Any]], sources: dict[str, Source]) -> Optional[IdDocuments]:
    if raw is None:
        return None
    return IdDocuments(
        categories=tuple(
            IdCategory(c["id"], c["label"], _texts(c["examples"]), c.get("brief")) for c in raw.get("categories", ())
        ),
        examples=_texts(raw.get("examples")),
        rules=tuple(
            IdRule(
                r["text"],
                tuple(r.get("applies_to", ())),
                tuple(r.get("procedures", ())),
                r.get("visit"),
                r.get("label"),
            )
            for r in raw["rules"]
        ),
        notes=_texts(raw.get("notes")),
        source=sources[raw["source"]],
    )


def build_municipality(raw: dict[str, Any], sources: dict[str, Source], year_end: YearEnd) -> Municipality:
    """One Municipality object."""
    mid = raw["id"]
    c = raw["contact"]
    contact = Contact(
        department=c["department"],
        phones=tuple(Phone(p["number"], p.get("label")) for p in c["phones"]),
        source=sources[c["source"]],
        hours=c.get("hours"),
        address=c.get("address"),
        fax=c.get("fax"),
        in_person=c.get("in_person"),
    )
    procedures = {
        pid: _procedure(pid, raw["procedures"][pid], sources) for pid in PROCEDURES if pid in raw["procedures"]
    }
    return Municipality(
        id=mid,
        name=raw["name"],
        aliases=_texts(raw["aliases"]),
        source=sources[raw["source"]],
        contact=contact,
        id_documents=_id_documents(raw.get("id_documents"), sources),
        procedures=MappingProxyType(procedures),
        offices=tuple(_office(o, mid, sources, year_end) for o in raw["offices"]),
    )
