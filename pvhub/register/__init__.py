"""The register: sites and their surfaces, their review, imports and exports."""
