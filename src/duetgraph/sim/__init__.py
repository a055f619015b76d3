"""duetgraph.sim (see DESIGN.md §1)."""

from duetgraph.sim.duet import (
    DuetSimConfig,
    PlantedString,
    default_strings,
    simulate_duet,
    string_activity,
    strings_from_json,
    strings_to_json,
)

__all__ = [
    "DuetSimConfig",
    "PlantedString",
    "default_strings",
    "simulate_duet",
    "string_activity",
    "strings_from_json",
    "strings_to_json",
]
