"""Symbolic (CrossHair) contracts over the specification's pure arithmetic and decision helpers.

See ``docs/symbolic.md``. The contracts live in :mod:`conformance.symbolic.contracts`; they are
checked by ``tests/test_symbolic.py`` with a short time budget and can be run for longer by hand.
"""
