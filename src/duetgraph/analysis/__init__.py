"""duetgraph.analysis: from edge posteriors to strings, hubs, tension, scene facts and reports.

Reads a `Duet` and a `StringPosterior` (written by inference); numpy only, imports neither
`train` internals nor `viz` nor `cli` (DESIGN.md §1).

- `posterior`: the `StringPosterior` type, its file format and string tables.
- `strings`: on/off segments over time, hubs, lead and follow, body-part links (posterior only).
- `scene`: facing on the clock face, distance, contacts, level, tension/release (positions).
- `granger`: a model-free baseline, a linear Granger test per joint pair (positions only).
- `report`: the time-stamped "choreographic syntax" report as Markdown and JSON.
"""

from duetgraph.analysis.posterior import StringPosterior, write_strings_csv, write_strings_json
from duetgraph.analysis.report import Report, ReportConfig, build_report, write_report
from duetgraph.analysis.scene import SceneFacts, moments, scene_facts
from duetgraph.analysis.strings import (
    BodyPartLink,
    Hub,
    LeadFollow,
    StringSegment,
    StringSegments,
    body_part_summary,
    lead_follow,
    string_hubs,
    string_segments,
)
from duetgraph.analysis.tension import segment_tension, string_tension, window_tension

__all__ = [
    "BodyPartLink",
    "Hub",
    "LeadFollow",
    "Report",
    "ReportConfig",
    "SceneFacts",
    "StringPosterior",
    "StringSegment",
    "StringSegments",
    "body_part_summary",
    "build_report",
    "lead_follow",
    "moments",
    "scene_facts",
    "segment_tension",
    "string_hubs",
    "string_segments",
    "string_tension",
    "window_tension",
    "write_report",
    "write_strings_csv",
    "write_strings_json",
]
