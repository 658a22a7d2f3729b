"""Pure OR-Tools models for pvhub: bundling (capacitated clustering) and award (winner determination).

No database and no web framework here: plain data in, plain data out.
"""
