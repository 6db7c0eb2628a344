"""The KnowledgeBase query object and its loader."""

from __future__ import annotations

import functools
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Optional, Union

from kb.build import build_municipality, build_national, build_sources
from kb.errors import KBValidationError, UnknownIdError
from kb.ids import APPLICANTS, PROCEDURES
from kb.models import Municipality, MustKnow, National, Office, Requirements, Source
from kb.paths import default_knowledge_dir
from kb.resolve import find_mentions
from kb.validation import validate_tree


class KnowledgeBase:
    """Read-only queries over the validated knowledge files.

    Unknown ids raise UnknownIdError; a known municipality whose page does not cover a
    procedure or applicant type gives None (requirements) or an empty list (offices).
    """

    def __init__(
        self, sources: Mapping[str, Source], national: National, municipalities: Mapping[str, Municipality]
    ) -> None:
        self.sources: Mapping[str, Source] = MappingProxyType(dict(sources))
        self.national = national
        self._municipalities: Mapping[str, Municipality] = MappingProxyType(dict(municipalities))
        self._aliases = {mid: m.names() for mid, m in self._municipalities.items()}

    def municipality_ids(self) -> list[str]:
        """Ids of all municipalities, sorted."""
        return sorted(self._municipalities)

    def municipality(self, mid: str) -> Municipality:
        """The municipality with this id."""
        try:
            return self._municipalities[mid]
        except KeyError:
            raise UnknownIdError(f"unknown municipality: {mid!r}") from None

    def resolve_municipality(self, text: str) -> Optional[str]:
        """The one municipality mentioned in `text`; None when none or more than one is."""
        found = find_mentions(text, self._aliases)
        return found[0] if len(found) == 1 else None

    def procedures(self, mid: str) -> list[str]:
        """Procedures the municipality's page covers, in canonical order."""
        return list(self.municipality(mid).procedures)

    def requirements(self, mid: str, procedure: str, applicant: str) -> Optional[Requirements]:
        """Documents, visits, steps and notes; None when the page does not cover this case.

        `covered` is False when the page mentions the case but does not list its documents:
        then say so and give the city's contact instead of guessing.
        """
        _check(procedure, PROCEDURES, "procedure")
        _check(applicant, APPLICANTS, "applicant type")
        proc = self.municipality(mid).procedures.get(procedure)
        return proc.applicants.get(applicant) if proc else None

    def offices(self, mid: str, procedure: str) -> list[Office]:
        """Offices that handle the procedure (empty when the page does not cover it)."""
        _check(procedure, PROCEDURES, "procedure")
        muni = self.municipality(mid)
        proc = muni.procedures.get(procedure)
        return [office for oid in (proc.offices if proc else ()) if (office := muni.office(oid)) is not None]

    def must_know(self, mid: str, procedure: str, applicant: str) -> list[MustKnow]:
        """Every phrase the first answer for this case must contain: the procedure's, the applicant's, each office's."""
        req = self.requirements(mid, procedure, applicant)
        if req is None:
            return []
        offices = [fact for office in self.offices(mid, procedure) for fact in office.must_know]
        return list(req.must_know) + offices

    def office(self, office_id: str) -> Office:
        """An office by its id, in any municipality."""
        for muni in self._municipalities.values():
            office = muni.office(office_id)
            if office is not None:
                return office
        raise UnknownIdError(f"unknown office: {office_id!r}")

    def source(self, source_id: str) -> Source:
        """A seed page by its source id."""
        try:
            return self.sources[source_id]
        except KeyError:
            raise UnknownIdError(f"unknown source: {source_id!r}") from None


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise UnknownIdError(f"unknown {what}: {value!r} (expected one of {', '.join(allowed)})")


def build_kb(root: Path) -> KnowledgeBase:
    """Validate and build a KnowledgeBase from `root`; raises KBValidationError."""
    checked = validate_tree(root)
    if not checked.ok or checked.sources is None or checked.national is None:
        raise KBValidationError(checked.problems or ["knowledge base could not be read"])
    sources = build_sources(checked.sources)
    national = build_national(checked.national, sources)
    municipalities = {
        mid: build_municipality(raw, sources, national.year_end) for mid, raw in checked.municipalities.items()
    }
    return KnowledgeBase(sources, national, municipalities)


def load_kb(path: Union[str, Path, None] = None) -> KnowledgeBase:
    """Load the KB: the default (`$KB_DIR` or <repo>/knowledge) is cached; an explicit path is not."""
    return build_kb(Path(path)) if path is not None else _default_kb()


@functools.cache
def _default_kb() -> KnowledgeBase:
    return build_kb(default_knowledge_dir())


def clear_cache() -> None:
    """Forget the cached default KB (after editing the files in a long-running process)."""
    _default_kb.cache_clear()
