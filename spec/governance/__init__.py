"""Governance: treasury and parameter-change proposals, masternode votes, tallies and superblocks."""
