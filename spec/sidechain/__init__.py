"""Sidechains: registry, blocks, checkpoints, two-way peg and cross-chain messages (docs/sidechains.md)."""
