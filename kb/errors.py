"""Exceptions raised by the knowledge-base library."""

from __future__ import annotations


class KBValidationError(ValueError):
    """The knowledge files are malformed; `problems` holds one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("knowledge base is invalid:\n" + "\n".join(self.problems))


class UnknownIdError(KeyError):
    """An id (municipality, procedure, applicant, office, pin) that the KB does not define."""

    def __str__(self) -> str:  # KeyError would repr() the message and add quotes
        return str(self.args[0]) if self.args else "unknown id"
