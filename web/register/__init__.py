"""Pages of the register: sites, surfaces, their review, imports."""
