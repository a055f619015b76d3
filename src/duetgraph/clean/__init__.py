"""duetgraph.clean (see DESIGN.md §1)."""
