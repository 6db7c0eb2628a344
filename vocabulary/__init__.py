"""The one vocabulary of slot values (vocabulary/slots.yml) and the one way of matching it (stdlib + PyYAML)."""

from vocabulary.match import SLOTS_FILE, Vocabulary, load_vocabulary, match_in, match_value

__all__ = ["SLOTS_FILE", "Vocabulary", "load_vocabulary", "match_in", "match_value"]
