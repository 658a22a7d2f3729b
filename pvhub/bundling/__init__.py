"""Bundling: the optimiser's runs that group sites into tender packages, and the bundles themselves."""
