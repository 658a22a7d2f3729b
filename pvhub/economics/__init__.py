"""Economics (issue #20): what a surface, site or bundle is worth under each business model.

``assumptions`` and ``cashflow`` are pure (numbers in, cash flows out); ``settings`` stores the
office's versions of the assumptions; ``service`` reads the register and the estimates.
"""
