"""duetgraph.model (see DESIGN.md §1)."""
