"""REST routes of the register: sites, surfaces, imports, exports."""
