"""Immutable answer objects of the knowledge base (sequences are tuples so cached data stays intact)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Mapping, Optional

from kb.ids import APPLICANT_LABELS, PROCEDURE_LABELS


@dataclass(frozen=True)
class Source:
    """A seed page; `updated` is the page's own update date (None when the page shows none)."""

    id: str
    seed_id: str
    file: str
    title: Optional[str]
    publisher: Optional[str]
    municipality: Optional[str]
    updated: Optional[dt.date]


@dataclass(frozen=True)
class Fact:
    """One sentence taken from a seed page."""

    text: str
    source: Source
    pins: tuple[str, ...] = ()


@dataclass(frozen=True)
class MustKnow:
    """A phrase the first answer must contain: `text` as the answer writes it, `page` as the page does (None: the same)."""

    text: str
    page: Optional[str] = None


@dataclass(frozen=True)
class Document:
    """A document to bring; `visit` is 1 or 2 when the page splits them by visit."""

    name: str
    note: Optional[str] = None
    visit: Optional[int] = None
    options: tuple[str, ...] = ()
    exemption: Optional[str] = None
    form: Optional[str] = None  # the page's name of the form this document is (e.g. 照会書兼回答書)
    remarks: tuple[str, ...] = ()  # further sentences of the page about this document
    brief: Optional[str] = None  # the conditions as the first answer shows them (note and options stay in full)


@dataclass(frozen=True)
class Requirements:
    """What one applicant type needs for one procedure in one municipality."""

    municipality: str
    procedure: str
    applicant: str
    documents: tuple[Document, ...]
    visits: Optional[int]
    steps: tuple[str, ...]
    notes: tuple[str, ...]
    covered: bool
    coverage_note: Optional[str]
    procedure_notes: tuple[str, ...]
    kb_note: Optional[str]
    source: Source
    key_notes: tuple[str, ...] = ()  # the procedure's notes the first answer carries
    must_know: tuple[MustKnow, ...] = ()  # the procedure's and the applicant's (offices' are on the offices)
    listed_on_page: bool = False  # not covered here although the page lists the documents (lost from our copy)

    @property
    def procedure_label(self) -> str:
        """Japanese label of the procedure."""
        return PROCEDURE_LABELS[self.procedure]

    @property
    def applicant_label(self) -> str:
        """Japanese label of the applicant type."""
        return APPLICANT_LABELS[self.applicant]

    def documents_for_visit(self, visit: int) -> tuple[Document, ...]:
        """Documents for the given visit; documents without a visit count for the first."""
        return tuple(d for d in self.documents if (d.visit or 1) == visit)


@dataclass(frozen=True)
class AfterRule:
    """Selects a day whose most recent preceding `weekday` is the `nth` of its month."""

    weekday: int
    nth: int


def nth_of_month(day: dt.date) -> int:
    """Return n when `day` is the n-th occurrence of its weekday in its month."""
    return (day.day - 1) // 7 + 1


@dataclass(frozen=True)
class DaySelector:
    """Weekdays (0=Monday), optionally only their n-th occurrences or only after an n-th weekday."""

    days: frozenset[int]
    nth: Optional[frozenset[int]] = None
    after: Optional[AfterRule] = None

    def matches(self, day: dt.date) -> bool:
        """True when `day` is selected."""
        if day.weekday() not in self.days:
            return False
        if self.nth is not None and nth_of_month(day) not in self.nth:
            return False
        if self.after is not None:
            back = (day.weekday() - self.after.weekday) % 7 or 7
            anchor = day - dt.timedelta(days=back)
            if nth_of_month(anchor) != self.after.nth:
                return False
        return True


@dataclass(frozen=True)
class HoursRule:
    """One opening period on the selected days."""

    selector: DaySelector
    open: dt.time
    close: dt.time
    reception_until: Optional[dt.time] = None
    label: Optional[str] = None


@dataclass(frozen=True)
class ClosedRule:
    """A closing rule: public holidays, 年末年始 or fixed weekdays, optionally scoped and with exceptions."""

    kind: str
    label: str
    days: Optional[frozenset[int]] = None
    excepts: tuple[DaySelector, ...] = ()
    except_label: Optional[str] = None
    year_end: Optional[YearEnd] = None


@dataclass(frozen=True)
class ServiceWindow:
    """A time when the office is open but PIN procedures are not handled."""

    label: str
    reason: str
    selector: Optional[DaySelector] = None
    start: Optional[dt.time] = None
    end: Optional[dt.time] = None


@dataclass(frozen=True)
class UncertainDays:
    """Days of a month on which the page mentions extra openings without dates."""

    month: int
    from_day: int
    to_day: int
    note: str
    label: Optional[str] = None  # the page's words for those days (3月下旬の休日)

    def contains(self, day: dt.date) -> bool:
        """True when `day` is in the range."""
        return day.month == self.month and self.from_day <= day.day <= self.to_day


@dataclass(frozen=True)
class Office:
    """A counter that handles the procedures, with its hours and closing rules."""

    id: str
    name: str
    municipality: str
    source: Source
    location: Optional[str] = None
    phone: Optional[str] = None
    hours: tuple[HoursRule, ...] = ()
    hours_complete: bool = True
    hours_note: Optional[str] = None
    closed: tuple[ClosedRule, ...] = ()
    no_pin_service: tuple[ServiceWindow, ...] = ()
    uncertain_days: tuple[UncertainDays, ...] = ()
    notes: tuple[str, ...] = ()
    address: Optional[str] = None
    brief: Optional[str] = None  # where it is, shortened from `location` for the one-line office list
    key_notes: tuple[str, ...] = ()  # notes the first answer carries (reservation)
    must_know: tuple[MustKnow, ...] = ()

    @property
    def has_hours(self) -> bool:
        """True when the KB knows this office's opening hours."""
        return bool(self.hours)


@dataclass(frozen=True)
class Phone:
    """A phone number with an optional label (直通, 代表, ...)."""

    number: str
    label: Optional[str] = None


@dataclass(frozen=True)
class Contact:
    """Who to ask when the KB has no answer (a city file read without validation may lack any field)."""

    department: Optional[str] = None
    phones: tuple[Phone, ...] = ()
    source: Optional[Source] = None
    hours: Optional[str] = None
    address: Optional[str] = None
    fax: Optional[str] = None
    in_person: Optional[str] = None  # where the department takes questions in person (a page without a phone)


@dataclass(frozen=True)
class IdCategory:
    """A class of ID documents (A, B, photo, ...) with the page's examples."""

    id: str
    label: str
    examples: tuple[str, ...]
    brief: Optional[str] = None  # what the letter stands for, shortened for the first answer


@dataclass(frozen=True)
class IdRule:
    """A rule about which ID documents are enough, with the applicant types it is stated for."""

    text: str
    applies_to: tuple[str, ...] = ()
    procedures: tuple[str, ...] = ()  # empty: every procedure of the page
    visit: Optional[int] = None  # the visit it is for, when the page splits the documents by visit
    label: Optional[str] = None  # whose documents, as the page heads the rule (本人の本人確認書類)

    def fits(self, procedure: Optional[str], applicant: Optional[str]) -> bool:
        """True when the rule is stated for this procedure and applicant (an unknown one matches every rule)."""
        return (procedure is None or not self.procedures or procedure in self.procedures) and (
            applicant is None or not self.applies_to or applicant in self.applies_to
        )


@dataclass(frozen=True)
class IdDocuments:
    """The municipality's ID-document lists and rules, as far as its page gives them."""

    categories: tuple[IdCategory, ...]
    examples: tuple[str, ...]
    rules: tuple[IdRule, ...]
    notes: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class Procedure:
    """One procedure as a municipality's page covers it."""

    id: str
    notes: tuple[str, ...]
    offices: tuple[str, ...]
    source: Source
    applicants: Mapping[str, Requirements] = field(default_factory=lambda: MappingProxyType({}))
    key_notes: tuple[str, ...] = ()
    must_know: tuple[MustKnow, ...] = ()


@dataclass(frozen=True)
class Municipality:
    """Everything the KB knows about one municipality.

    The validated KB (kb.store) fills every field; the tolerant directory (kb.directory), which must work when
    the rest does not, fills only the id, name, aliases and contact.
    """

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    contact: Contact = Contact()
    source: Optional[Source] = None
    id_documents: Optional[IdDocuments] = None
    procedures: Mapping[str, Procedure] = field(default_factory=lambda: MappingProxyType({}))
    offices: tuple[Office, ...] = ()

    def names(self) -> tuple[str, ...]:
        """Every way of writing the city known to the KB: name first, then aliases, each once."""
        return tuple(dict.fromkeys((self.name, *self.aliases)))

    def office(self, office_id: str) -> Optional[Office]:
        """The office with this id, or None."""
        return next((o for o in self.offices if o.id == office_id), None)


@dataclass(frozen=True)
class Pin:
    """One of the four PINs on the card."""

    id: str
    label: str
    format: str
    min_length: int
    max_length: int
    format_text: str
    lock_after: int
    used_for: str
    source: Source
    confirmed_by: tuple[Source, ...] = ()


@dataclass(frozen=True)
class StoreReset:
    """Reset at a convenience-store kiosk with the smartphone app."""

    pins: tuple[str, ...]
    not_available_for: tuple[str, ...]
    needs: tuple[str, ...]
    other_pin_required: Mapping[str, str]
    summary: str
    source: Source
    place: Optional[str] = None
    notes: tuple[str, ...] = ()
    see_also: tuple[Fact, ...] = ()

    def available_for(self, pin_id: str) -> bool:
        """True when this PIN can be reset at a kiosk."""
        return pin_id in self.pins

    def other_pin(self, pin_id: str) -> Optional[str]:
        """The PIN the resident must know to reset `pin_id` at a kiosk."""
        return self.other_pin_required.get(pin_id)


@dataclass(frozen=True)
class Validity:
    """How long the card's certificates are valid."""

    text: str
    until: str
    source: Source


@dataclass(frozen=True)
class Renewal:
    """When and how certificate renewal opens."""

    window_months_before_expiry: int
    text: str
    source: Source
    notice: Optional[str] = None
    notes: tuple[str, ...] = ()
    still_an_id: Optional[MustKnow] = None  # an expired certificate's card is still an ID (text with its subject)


@dataclass(frozen=True)
class YearEnd:
    """The 年末年始 closing period as (month, day) bounds, inclusive, wrapping over New Year."""

    start: tuple[int, int]
    end: tuple[int, int]
    label: str

    def contains(self, day: dt.date) -> bool:
        """True when `day` falls in the period."""
        key = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end


@dataclass(frozen=True)
class Typo:
    """A typo on a seed page: KB quotes keep the page's words, residents read the correct term."""

    page: str
    correct: str
    source: Source


@dataclass(frozen=True)
class National:
    """Nation-wide rules."""

    pins: tuple[Pin, ...]
    pin_notes: tuple[Fact, ...]
    store_reset: StoreReset
    validity: Validity
    renewal: Renewal
    change_at_home: tuple[Fact, ...]
    reset_at_office: tuple[Fact, ...]
    year_end: YearEnd
    typos: tuple[Typo, ...] = ()

    def pin(self, pin_id: str) -> Pin:
        """The PIN with this id; raises UnknownIdError."""
        from kb.errors import UnknownIdError

        for pin in self.pins:
            if pin.id == pin_id:
                return pin
        raise UnknownIdError(f"unknown pin type: {pin_id!r}")


class Certainty(Enum):
    """How far the page lets the bot say whether an office is open at a moment."""

    KNOWN = "known"  # days and hours are on the page
    NO_HOURS = "no_hours"  # the page gives no hours for this office
    NO_DAYS = "no_days"  # the page gives a time of day but no weekdays or closing days
    UNCERTAIN_DAY = "uncertain_day"  # the page mentions openings on such days without dates (千葉市「3月下旬の休日」)


class Reason(Enum):
    """Why PIN procedures cannot be started at a moment (the replies word it)."""

    HOLIDAY = "holiday"  # detail: the holiday's name
    YEAR_END = "year_end"  # detail: the page's label (年末年始)
    WEEKLY_CLOSED = "weekly_closed"  # detail: the page's label (月曜日、日曜日)
    NOT_LISTED_DAY = "not_listed_day"  # the page lists no hours on this weekday
    OUTSIDE_HOURS = "outside_hours"  # before opening, between sessions or after closing
    AFTER_RECEPTION = "after_reception"  # open, but reception for the day has ended
    NO_PIN_SERVICE = "no_pin_service"  # open, but not for PIN procedures (detail: the page's label)


@dataclass(frozen=True)
class OpeningStatus:
    """Whether PIN procedures can be started at an office at a moment, and when next."""

    is_open: bool
    certainty: Certainty = Certainty.KNOWN
    closes_at: Optional[dt.time] = None
    reception_until: Optional[dt.time] = None
    later_today: tuple[tuple[dt.time, dt.time], ...] = ()  # (start, reception end) of the day's later sessions
    next_open: Optional[dt.datetime] = None
    reason: Optional[Reason] = None
    detail: Optional[str] = None
    service_reason: Optional[str] = None  # the page's reason for a no-PIN-service window (システムメンテナンス)
    notes: tuple[str, ...] = ()
