"""Forks: the registry of named rule sets, and which one is in force (protocol steps "UPG-1", "UPG-6").

* **UPG-1** a fork is a named set of rule changes with its own module that states only what changes
  and calls the previous fork for the rest (:mod:`spec.forks.genesis` is fork 0, the rules from the
  first block; :mod:`spec.forks.governed_tickets` is fork 1, :mod:`spec.forks.state_trie` fork 2,
  :mod:`spec.forks.sidechains` fork 3).
  :data:`FORKS` lists them in activation
  order; every preset's ``[forks] order`` must name exactly these (``PRESET_INVALID`` otherwise),
  and gives each later fork its deployment (agenda id, vote bit, window, quorum, threshold, start
  and expiry heights; spec/presets/).
* **UPG-6** the fork in force for a block is a pure function of the chain before it
  (:func:`fork_for_block`): the deployment records after the parent, stepped at a window start
  (spec/forks/deployment.py).

The activation machinery itself (UPG-2..6) is not a fork: it is in force from genesis, because the
vote that activates fork 1 has to happen under fork 0 (docs/upgrades.md explains the decision).
"""

from __future__ import annotations

from spec.errors import InvalidPreset
from spec.forks.deployment import Deployments, begin_window, fork_index
from spec.forks.genesis import Genesis
from spec.forks.governed_tickets import GovernedTickets
from spec.forks.sidechains import Sidechains
from spec.forks.state_trie import StateTrie
from spec.presets import DEVNET, MAINNET, Preset

FORKS: tuple[Genesis, ...] = (Genesis(), GovernedTickets(), StateTrie(), Sidechains())
"""UPG-1: every fork in activation order (index = fork number)."""

FORK_NAMES: tuple[str, ...] = tuple(fork.name for fork in FORKS)
GENESIS = FORK_NAMES[0]


def check_preset_forks(preset: Preset) -> Preset:
    """UPG-1: the preset names exactly the registered forks, in order."""
    names = tuple(fork.name for fork in preset.forks)
    if names != FORK_NAMES:
        raise InvalidPreset(f"preset {preset.name} names forks {names}, the spec has {FORK_NAMES}")
    return preset


for _preset in (MAINNET, DEVNET):
    check_preset_forks(_preset)


def fork_by_name(name: str) -> Genesis:
    """The fork called ``name``; ``PRESET_INVALID`` if the spec has none."""
    for fork in FORKS:
        if fork.name == name:
            return fork
    raise InvalidPreset(f"no fork named {name!r}; known: {', '.join(FORK_NAMES)}")


def fork_in_force(deployments: Deployments, preset: Preset) -> Genesis:
    """UPG-6: the fork of records already stepped for a block (see :func:`fork_for_block`)."""
    return FORKS[fork_index(deployments, preset)]


def fork_for_block(deployments: Deployments, height: int, preset: Preset) -> Genesis:
    """UPG-6: the fork in force for the block at ``height`` on a parent with records ``deployments``."""
    return fork_in_force(begin_window(deployments, height, preset), preset)
