"""Masternodes: the deterministic masternode list, quorums, DKG and threshold signing sessions."""
