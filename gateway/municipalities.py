"""The gateway's view of the cities: the knowledge base's own city directory (kb.directory), nothing of its own."""

from __future__ import annotations

from kb.directory import City, CityDirectory

# The gateway's historical names for the same classes.
Municipality = City
MunicipalityDirectory = CityDirectory

__all__ = ["City", "CityDirectory", "Municipality", "MunicipalityDirectory"]
