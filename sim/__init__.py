"""Deterministic discrete-event network simulation of Rusty Coin on SimPy (docs/simulation.md).

The simulator drives the spec's own functions (fork choice, the finality schedule and member rule,
quorum selection, compact-block construction and reconstruction, Kademlia lookups, headers-first
sync, the DKG) on simulated nodes; it never re-implements a consensus rule.
"""
