"""duetgraph: reveal the invisible strings between two dancers.

Data flows one way (see DESIGN.md §1):
io → clean → data → model ← train → analysis → viz.
"""

from duetgraph.duet import Duet
from duetgraph.errors import DuetgraphError, InputError, OutputError

__all__ = ["Duet", "DuetgraphError", "InputError", "OutputError"]
__version__ = "0.1.0"
