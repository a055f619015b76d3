"""duetgraph.sim (see DESIGN.md §1)."""
