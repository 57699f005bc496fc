"""Conformance suites of the Rusty Coin specification: vector generators, the adapter protocol, the runner."""
