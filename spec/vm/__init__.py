"""Sidechain virtual machines: one execution interface (spec/vm/interface.py) for every VM kind."""
