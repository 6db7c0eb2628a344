"""What the console shows, read from the tracker database (never written) and the knowledge base."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Set
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Optional

import sqlalchemy as sa
import yaml
from rasa.core.tracker_store import SQLTrackerStore

from jptext import fold
from kb.models import Source
from kb.store import KnowledgeBase
from privacy.redact import redact
from storage import stats
from storage.stats import JST, METRICS, REASONS, daily_counts


def tracker_engine(endpoints: Path) -> sa.engine.Engine:
    """A read-only engine on the tracker store that ``endpoints`` (Rasa's endpoints file) names, as Rasa opens it.

    Only its ``tracker_store`` is read, with Rasa's ${VAR} substitution (on the parsed values: a password may hold
    any character): the other sections name secrets this process never gets, such as Redis's password.
    """
    config = yaml.safe_load(endpoints.read_text(encoding="utf-8"))["tracker_store"]
    store = {
        k: re.sub(r"\$\{(\w+)\}", lambda m: os.environ[m[1]], v) if isinstance(v, str) else v for k, v in config.items()
    }
    if store.get("dialect", "sqlite") == "sqlite":
        return sa.create_engine(f"sqlite:///file:{stats.tracker_db_path(store.get('db'))}?mode=ro&uri=true")
    keys = ("dialect", "port", "db", "username", "password")
    url = SQLTrackerStore.get_db_url(host=store.get("url"), **{k: store.get(k) for k in keys})
    return sa.create_engine(url, pool_pre_ping=True, connect_args={"options": "-c default_transaction_read_only=on"})


def period(days: int, now: float) -> list[date]:
    """The last ``days`` Japanese days up to today, oldest first."""
    today = datetime.fromtimestamp(now, JST).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def _sums(engine: sa.engine.Engine, dates: list[date], columns: tuple[str, ...], metrics: tuple[str, ...]) -> list[Any]:
    """(*columns, metric, count) rows of daily_counts over ``dates`` (none before the store has made the table)."""
    group = [daily_counts.c[name] for name in (*columns, "metric")]
    query = sa.select(*group, sa.func.sum(daily_counts.c.count)).group_by(*group)
    query = query.where(daily_counts.c.day.between(dates[0].isoformat(), dates[-1].isoformat()))
    with engine.connect() as connection:
        found = sa.inspect(connection).has_table(daily_counts.name)
        return connection.execute(query.where(daily_counts.c.metric.in_(metrics))).all() if found else []


def _figures(counter: Mapping[str, int]) -> dict[str, int]:
    return {metric: int(counter.get(metric, 0)) for metric in METRICS}


def summary(engine: sa.engine.Engine, days: int, now: float) -> dict[str, Any]:
    """CONTRACT §8's summary: totals, by city, by channel and by day over the period (every day, zeros included)."""
    dates = period(days, now)
    by: dict[str, defaultdict[str, Counter[str]]] = {
        name: defaultdict(Counter) for name in ("", "city", "channel", "day")
    }
    for day, city, channel, metric, n in _sums(engine, dates, ("day", "city", "channel"), METRICS):
        for name, value in (("", ""), ("city", city), ("channel", channel), ("day", day)):
            by[name][value][metric] += n
    return {
        "from": dates[0].isoformat(),
        "to": dates[-1].isoformat(),
        "totals": _figures(by[""][""]),
        "by_city": {k: _figures(v) for k, v in sorted(by["city"].items()) if any(v.values())},
        "by_channel": {k: _figures(v) for k, v in sorted(by["channel"].items()) if any(v.values())},
        "by_day": [{"date": d.isoformat(), **_figures(by["day"][d.isoformat()])} for d in dates],
    }


def ratings(engine: sa.engine.Engine, days: int, now: float) -> list[dict[str, Any]]:
    """Per answer key: how often it was given, 👍, 👎 and the 👎 reasons; the most 👎 first."""
    by_key: defaultdict[str, Counter[str]] = defaultdict(Counter)
    given = ("checklists", "answers")
    for key, metric, n in _sums(engine, period(days, now), ("key",), (*given, *stats.RATINGS, *REASONS)):
        by_key[key]["delivered" if metric in given else metric] += n
    items = [
        {"answer": key, "delivered": c["delivered"], "helpful": c["helpful"], "not_helpful": c["not_helpful"]}
        | {"reasons": {reason: c[reason] for reason in REASONS}}
        for key, c in by_key.items()
        if any(c.values())
    ]
    return sorted(items, key=lambda item: (-item["not_helpful"], -item["delivered"], item["answer"]))


def normalised(text: str) -> str:
    """The grouping key of a resident's message: NFKC, case folded, blanks collapsed, end punctuation dropped."""
    return " ".join(fold(text).split()).rstrip("?!。.、")


def _conversations(engine: sa.engine.Engine) -> Iterator[list[dict[str, Any]]]:
    """The stored events each conversation's unanswered messages and city are read from, conversation by conversation."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("events"):
            return
        events = sa.Table("events", sa.MetaData(), autoload_with=connection)  # Rasa's own table
        kinds = ("user", "slot", "action", "session_started")
        query = sa.select(events.c.sender_id, events.c.data).where(events.c.type_name.in_(kinds))
        rows = connection.execute(query.order_by(events.c.sender_id, events.c.id))
        for _, group in itertools.groupby(rows, key=lambda row: row[0]):
            yield [json.loads(row[1]) for row in group]


def unanswered(engine: sa.engine.Engine, days: int, now: float, cities: Set[str]) -> list[dict[str, Any]]:
    """CONTRACT §8's unanswered questions of the period: grouped by normalised text, reason and city; newest first.

    Only what the tracker store still holds (RETENTION_DAYS), redacted as stored (and once more, to be sure).
    """
    since = datetime.combine(period(days, now)[0], datetime.min.time(), JST).timestamp()
    groups: dict[tuple[str, str, Optional[str]], dict[str, Any]] = {}
    for events in _conversations(engine):
        attributed = stats.attribute(events, cities)
        for index, reason in stats.unanswered(events).items():
            seconds = float(events[index].get("timestamp") or 0)
            if seconds < since:
                continue
            text, city = redact(events[index]["text"]).text, attributed[index][0]
            city_id = city if city in cities else None
            item = groups.setdefault((normalised(text), reason, city_id), {"count": 0, "seconds": 0.0})
            item["count"] += 1
            if seconds >= item["seconds"]:
                item.update(text=text, city=city_id, reason=reason, seconds=seconds)
    items = sorted(groups.values(), key=lambda item: -item["seconds"])
    for item in items:
        item["last_seen"] = datetime.fromtimestamp(item.pop("seconds"), JST).isoformat(timespec="seconds")
    return items


def _sources_in(value: Any) -> Iterator[Source]:
    """Every page a piece of knowledge (dataclasses, mappings, tuples of them) names."""
    if isinstance(value, Source):
        yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _sources_in(getattr(value, field.name))
    elif isinstance(value, (Mapping, tuple, list)):
        for item in value.values() if isinstance(value, Mapping) else value:
            yield from _sources_in(item)


def cited_by(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Source id -> the answers whose 出典 names the page, as ids the page words in Japanese.

    ``<city>|<procedure>``, ``<city>|offices``, ``<city>|id_documents``, ``<city>|contact``, ``national|<topic>``.
    """
    cited: defaultdict[str, list[str]] = defaultdict(list)

    def cite(answer: str, *sources: Optional[Source]) -> None:
        for source_id in dict.fromkeys(source.id for source in sources if source is not None):
            cited[source_id].append(answer)

    for mid in kb.municipality_ids():
        city = kb.municipality(mid)
        parts: dict[str, Any] = {**city.procedures, "offices": city.offices, "id_documents": city.id_documents}
        for topic, part in {**parts, "contact": None}.items():  # every answer ends with the city's contact and its page
            cite(f"{mid}|{topic}", *_sources_in(part), city.contact.source)
    for field in dataclasses.fields(kb.national):
        if field.name != "typos":  # the pages' typos are corrected, not cited
            cite(f"national|{field.name}", *_sources_in(getattr(kb.national, field.name)))
    return dict(cited)


def sources(kb: KnowledgeBase, today: date, review_days: int) -> list[dict[str, Any]]:
    """CONTRACT §8's sources, the oldest first: each page's update date, age and the answers that cite it.

    A page is due for review when it is older than ``review_days``, or shows no update date at all.
    """
    cited = cited_by(kb)
    items = []
    for source in kb.sources.values():
        age = (today - source.updated).days if source.updated else None
        items.append(
            {
                "city": source.municipality,
                "title": source.title or source.publisher or source.id,
                "url": None,  # the stored seed pages do not record their address
                "updated": source.updated.isoformat() if source.updated else None,
                "age_days": age,
                "review_due": age is None or age > review_days,
                "cited_by": cited.get(source.id, []),
            }
        )
    return sorted(items, key=lambda item: -item["age_days"] if item["age_days"] is not None else -(10**9))
