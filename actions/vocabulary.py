"""The action server's access to the one slot vocabulary (vocabulary/slots.yml, shared with the NLU)."""

from vocabulary import match_value

__all__ = ["match_value"]
