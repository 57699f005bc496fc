"""The forged-checkpoint scenario and the mainchain a watcher sees, shared by the watcher tests
(``tests/test_watch_service.py``, ``tests/test_watch_persistence.py``).

:func:`forged_scenario` is the block whose checkpoint 1 ``rusty node --sidechain-fault`` forges;
:class:`Wallet` is the node's ``publish_outputs``; :class:`Mainchain` connects mainchain blocks
through the spec's sidechains transition (SC-BLK-1) and records, per block, the events the node
logs (``WatchService.describe``), the penalties and the blocks since the watcher's last tip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from reference.sidechains import forge_header
from reference.watch_service import WatchService
from reference.watcher import WatchedBlock
from spec.ledger.transaction import Transaction, TxOutput
from spec.merkle import merkle_root
from spec.presets import DEVNET
from spec.sidechain.games import Penalty
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import apply_block_to_sidechains
from spec.vm.interface import VmKind

PRESET = DEVNET
PAYEE = b"\x76\xa9\x14" + b"\x42" * 20 + b"\x88\xac"
SIDECHAIN = gc.SPEC_G.sidechain_id


def forged_scenario(tx_count: int, vm: VmKind = VmKind.FERRIS) -> gc.Scenario:
    """An honest block whose checkpoint 1 is the header ``--sidechain-fault`` forges for it."""
    sc = gc.scenario(tx_count, PRESET, vm=vm)
    forged = forge_header(sc.block.header, sc.block.trace[1:])
    assert forged.header.tx_root == sc.block.header.tx_root  # the same block, other roots
    assert forged.trace[:-1] == sc.block.trace[1:-1] and forged.trace[-1] != sc.block.trace[-1]
    assert forged.header.trace_root == merkle_root(list(forged.trace))
    return replace(
        sc,
        block=replace(sc.block, header=forged.header),
        checkpoint_1=sb.sign(forged.header, gc.SPEC_G.federation),
        defender_roots=forged.trace,
    )


class Wallet:
    """The node's ``publish_outputs``: records every transaction; ``broke`` refuses to pay."""

    def __init__(self) -> None:
        self.posted: list[list[TxOutput]] = []
        self.broke = False

    def __call__(self, outputs: Sequence[TxOutput]) -> Transaction | None:
        if self.broke:
            return None
        self.posted.append(list(outputs))
        return sb.block(0, outputs)[1]


def watched(sc: gc.Scenario) -> WatchedBlock:
    """The scenario's sidechain block as the watcher holds it."""
    return WatchedBlock(SIDECHAIN, 1, sc.block.txs, (), sc.block.nodes)


class Mainchain:
    """The mainchain from the scenario's genesis: each connected block is applied to the sidechains
    state; ``events`` gets ``(height, kind, text)`` of every event ``watch`` describes for it,
    ``penalties`` its penalties, ``connected`` its transactions (the caller clears it once the
    watcher has seen them). ``watch`` may be replaced (a watcher reopened from its store)."""

    def __init__(self, sc: gc.Scenario, watch: WatchService) -> None:
        self.watch = watch
        self.state: SidechainsState = gc.initial(sc.spec)
        self.connected: list[tuple[Transaction, ...]] = []
        self.events: list[tuple[int, str, str]] = []
        self.penalties: list[Penalty] = []

    def connect(self, height: int, outputs: Sequence[Sequence[TxOutput]]) -> None:
        """The block at ``height``: a coinbase and one transaction per output list."""
        transactions = sb.block(height, *outputs)
        result = apply_block_to_sidechains(self.state, transactions, height, sb.keys(), PRESET)
        self.events.extend(
            (height, kind, text) for kind, text in self.watch.describe(self.state, result.state, height)
        )
        self.penalties.extend(result.penalties)
        self.connected.append(transactions)
        self.state = result.state

    def connect_checkpoints(self, sc: gc.Scenario) -> None:
        """The blocks that post the scenario's two checkpoints."""
        for at, posted in gc.checkpoint_blocks(sc):
            self.connect(at, posted)
