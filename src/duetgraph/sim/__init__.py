"""duetgraph.sim (see DESIGN.md §1)."""

from duetgraph.sim.charged import ChargedConfig, simulate_charged
from duetgraph.sim.duet import (
    DuetSimConfig,
    PlantedString,
    default_strings,
    simulate_duet,
    string_activity,
    strings_from_json,
    strings_to_json,
)
from duetgraph.sim.kuramoto import KuramotoConfig, KuramotoTrajectories, simulate_kuramoto
from duetgraph.sim.leapfrog import InitialState, Trajectories
from duetgraph.sim.nri_format import (
    load_nri_kuramoto_split,
    load_nri_split,
    make_nri_dataset,
    write_nri_split,
)
from duetgraph.sim.springs import SpringsConfig, simulate_springs

__all__ = [
    "DuetSimConfig",
    "PlantedString",
    "default_strings",
    "simulate_duet",
    "string_activity",
    "strings_from_json",
    "strings_to_json",
    "ChargedConfig",
    "InitialState",
    "KuramotoConfig",
    "KuramotoTrajectories",
    "SpringsConfig",
    "Trajectories",
    "load_nri_kuramoto_split",
    "load_nri_split",
    "make_nri_dataset",
    "simulate_charged",
    "simulate_kuramoto",
    "simulate_springs",
    "write_nri_split",
]
