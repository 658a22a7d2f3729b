"""Pages of bundling: runs of the optimiser, the bundles and why each site is where it is."""
