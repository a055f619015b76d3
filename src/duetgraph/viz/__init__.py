"""duetgraph.viz (see DESIGN.md §1)."""
