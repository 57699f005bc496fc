"""The watcher's memory across restarts and its bound (reference/watch_store.py, the pruning of
reference/watcher.py; docs/node.md "Watching sidechains").

* a watch service killed at any point of a dispute (before its opening, between a save and a
  post, between the defender's bisection and its answer, after the checkpoint's window closed)
  is restarted from its database with nothing fed again (the follower never re-applies the
  honest block a forged checkpoint names) and still wins the game; without the store the same
  restart loses it;
* a corrupt store (a flipped byte, a row that does not decode, a table SQLite cannot read) is set
  aside with an error and the node, its chain and its watcher start;
* over many checkpoints the blocks, headers and stored rows stay within the documented bound,
  and nothing inside an open window is dropped;
* a worker process killed (SIGKILL) at random instants of its saves leaves a store holding every
  acknowledged tip, whole (slow);
* a held block keeps only the nodes its steps read, and every re-execution and one-step proof
  over them is the one over the whole store.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from reference.node import Node
from reference.rpc import RpcServer
from reference.watch_service import Applied, WatchService
from reference.watch_store import WatchStore
from reference.watcher import SidechainDefender, WatchedBlock, compute_held_nodes, one_step_proof
from spec.chain.state import ChainState
from spec.ledger.transaction import TxOutput
from spec.masternode.finality import QuorumRegistry
from spec.masternode.quorum import QuorumType
from spec.merkle import merkle_root
from spec.sidechain.chain import vm_table
from spec.sidechain.dispute import DisputeOpening, Game, compute_trace, max_moves
from spec.sidechain.header import SidechainHeader, compute_header_hash
from spec.sidechain.registry import CheckpointRecord, SidechainsState
from spec.sidechain.state import apply_block_to_sidechains
from spec.vm.interface import ExecutionContext, VmKind
from tests import watch_store_worker as worker
from tests.watch_harness import PAYEE, PRESET, SIDECHAIN, Mainchain, Wallet, forged_scenario, watched


def _open(path: Path, wallet: Wallet, store: bool = True) -> tuple[WatchService, sqlite3.Connection]:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    state = cast(ChainState, None)
    watch = WatchService(PRESET, PAYEE, lambda: state, wallet, store=WatchStore(db) if store else None)
    return watch, db


def _game(
    sc: gc.Scenario, path: Path, kill_at: int | None, *, store: bool = True, mid_save: bool = False
) -> Any:
    """The forged checkpoint's game with a defender, the watcher killed at its ``kill_at``-th tip
    (before deciding; after its first save and before posting with ``mid_save``) and reopened
    from ``path``; the final state, the events, the penalties."""
    wallet = Wallet()
    watch, db = _open(path, wallet, store)
    defender = gc_defender(sc)
    chain = Mainchain(sc, watch)
    applied = [Applied(watched(sc), sc.block.header, ())]
    chain.connect_checkpoints(sc)
    height = gc.CHECKPOINT_1_AT
    for index in range(max_moves(len(sc.block.txs)) + 6):
        height += 1
        if index == kill_at and not mid_save:  # killed after its last tip, reopened from disk: the
            db.close()  # follower feeds nothing again; the node's rescan reads the blocks since
            watch, db = _open(path, wallet, store)  # the tip it last ran on (``connected``)
            chain.watch = watch
        posts = watch.decide(chain.state, height, chain.connected, applied, ())
        chain.connected.clear()
        applied = []
        watch.persist()
        if index == kill_at and mid_save:  # killed after its first save, before posting
            db.close()
            watch, db = _open(path, wallet, store)
            chain.watch = watch
            height -= 1
            continue
        before = len(wallet.posted)
        watch.post(posts, height - 1)
        watch.persist()
        outputs: list[list[TxOutput]] = [list(o) for o in wallet.posted[before:]]
        outputs.extend(list(o) for o in defender.on_tip(chain.state))
        chain.connect(height, outputs)
    db.close()
    return chain.state, [kind for _, kind, _ in chain.events], chain.penalties


def gc_defender(sc: gc.Scenario) -> SidechainDefender:
    defender = SidechainDefender(PRESET)
    defender.defend(sc.block.header, sc.defender_roots, watched(sc))
    return defender


WON = ["game_opened", "game_won", "checkpoint_reverted", "bond_claimed"]


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4, 6])
def test_a_watcher_killed_mid_game_reloads_and_still_wins(tmp_path: Path, kill_at: int) -> None:
    """Killed with its opening posted (1: the game opens in the block before), between the
    defender's bisection and its answer (2, 4: 8 transactions, 3 bisections each side), after its
    answer (3) and at the one-step proof (6)."""
    sc = forged_scenario(8)
    state, events, penalties = _game(sc, tmp_path / "node.sqlite", kill_at)
    assert events == WON, events
    assert [(p.sidechain_id, p.quorum_type, p.posted_height, p.claim_id) for p in penalties] == [
        (SIDECHAIN, QuorumType.FINALITY, gc.CHECKPOINT_1_AT, 0)
    ]
    assert [c.height for c in state.chains[SIDECHAIN].checkpoints] == [0]


def test_a_watcher_killed_between_its_save_and_its_post_opens_again(tmp_path: Path) -> None:
    """The opening is saved unposted before the bond leaves; a kill there re-opens it once."""
    sc = forged_scenario(4)
    state, events, _ = _game(sc, tmp_path / "node.sqlite", 0, mid_save=True)
    assert events == WON, events
    assert not state.games and not state.bond_payouts


def test_without_the_store_the_same_restart_loses_the_game(tmp_path: Path) -> None:
    """The control: the memory-only watcher forgets its trace and lets its clock run out."""
    sc = forged_scenario(8)
    state, events, penalties = _game(sc, tmp_path / "node.sqlite", 2, store=False)
    assert events[0] == "game_opened" and "game_won" not in events, events
    assert not penalties and len(state.chains[SIDECHAIN].checkpoints) == 2


def test_a_game_outliving_the_window_keeps_its_block_and_trace(tmp_path: Path) -> None:
    """With a 2-block challenge window the game runs past it: what the game needs is not pruned."""
    sc = forged_scenario(8)
    sc = replace(sc, spec=replace(sc.spec, challenge_period=2))
    state, events, _ = _game(sc, tmp_path / "node.sqlite", 3)
    assert events == WON, events
    assert [c.height for c in state.chains[SIDECHAIN].checkpoints] == [0]


def _corrupt_store_node(tmp_path: Path) -> tuple[Path, int]:
    datadir = tmp_path / "node"
    node = Node.init(datadir, "devnet")
    try:
        watch = node.start_watching()
        sc = forged_scenario(2)
        watch.decide(
            gc.initial(sc.spec), 1, [], [Applied(watched(sc), sc.block.header, sc.block.trace[1:])], []
        )
        watch.watcher.headers[(SIDECHAIN, 1)] = sc.block.header
        watch._posted[b"script"] = 7
        assert watch.persist() > 0
        height = node.store.state.height
    finally:
        node.close()
    return datadir, height


def _info(node: Node) -> dict[str, Any]:
    request = b'{"jsonrpc": "2.0", "id": 1, "method": "getwatcherinfo"}'
    answer = cast(dict[str, Any], asyncio.run(RpcServer(node).answer(request)))
    return cast(dict[str, Any], answer["result"])


@pytest.mark.parametrize("damage", ["flipped byte", "bad encoding", "unreadable table"])
def test_a_corrupt_store_is_set_aside_and_the_node_starts(tmp_path: Path, damage: str) -> None:
    datadir, height = _corrupt_store_node(tmp_path)
    db = sqlite3.connect(datadir / "node.sqlite", isolation_level=None)
    if damage == "flipped byte":
        db.execute(
            "UPDATE watch_items SET data = CAST(replace(CAST(data AS TEXT), 'a', 'b') AS BLOB) "
            "WHERE kind = 'block'"
        )
    elif damage == "bad encoding":
        import hashlib

        junk = b'{"trace": ["zz"], "posted": true}'
        db.execute(
            "INSERT INTO watch_items VALUES ('challenged', ?, ?, ?)",
            (bytes(32), junk, hashlib.sha256(junk).digest()),
        )
    else:
        db.execute("DROP TABLE watch_items")
        db.execute("CREATE TABLE watch_items (kind TEXT)")
        db.execute("INSERT INTO watch_items VALUES ('block')")
    db.close()
    for attempt in range(2):  # and again: the second start finds a clean store
        node = Node(datadir)
        try:
            watch = node.start_watching()
            assert node.store.state.height == height  # the chain is untouched
            info = _info(node)
            if attempt == 0:
                assert len(info["store_problems"]) == 1, info
                assert [e["kind"] for e in info["events"]] == ["store_corrupt"]
                expected = {"flipped byte": "checksum mismatch", "bad encoding": "challenged: ValueError"}
                assert expected.get(damage, "cannot be read") in info["store_problems"][0]
            else:
                assert info["store_problems"] == [] and info["events"] == []
            if damage == "unreadable table":
                assert not watch.watcher.blocks
            else:
                assert (SIDECHAIN, 1) in watch.watcher.headers  # the sound rows are kept
                assert bool(watch.watcher.blocks) == (damage != "flipped byte")
            kept = node.store.db.execute("SELECT COUNT(*) FROM watch_corrupt").fetchone()[0]
            # a flipped block takes the defence that names it along
            assert kept == {"flipped byte": 2, "bad encoding": 1, "unreadable table": 0}[damage]
            watch.persist()
        finally:
            node.close()


def _block(height: int, width: int) -> WatchedBlock:
    nodes = {bytes([height % 256, i]) * 16: bytes([i]) * 100 for i in range(width)}
    return WatchedBlock(SIDECHAIN, height, (height.to_bytes(4, "big"),), (), nodes)


def test_pruning_keeps_memory_and_disk_bounded_over_many_checkpoints(tmp_path: Path) -> None:
    """200 checkpoints, one per mainchain block, challenge period 5: at every tip the watcher holds
    the blocks of the checkpoints still in their window plus the one not yet checkpointed
    (period + 1), their headers and the parent's (period + 2), and the store the same rows."""
    period, width = 5, 20
    spec = replace(gc.SPEC_G, challenge_period=period)
    base = gc.initial(spec)
    record = base.chains[SIDECHAIN]
    wallet = Wallet()
    watch, db = _open(tmp_path / "node.sqlite", wallet)
    header0 = gc.scenario(1, PRESET).checkpoint_0.header
    checkpoints: list[CheckpointRecord] = []
    sizes: list[int] = []

    def header_at(height: int) -> SidechainHeader:
        return replace(header0, height=height, tx_root=merkle_root([height.to_bytes(4, "big")]))

    watch.decide(base, 101, [], [Applied(_block(1, width), header_at(1), ())], [])
    for height in range(1, 201):
        tip = 100 + height
        header = header_at(height)
        watch.watcher.headers[(SIDECHAIN, height)] = header  # as on_block records it
        checkpoints.append(CheckpointRecord(height, compute_header_hash(header), 0, bytes(32), tip))
        state: SidechainsState = replace(
            base, chains={SIDECHAIN: replace(record, checkpoints=tuple(checkpoints))}
        )
        applied = [Applied(_block(height + 1, width), header_at(height + 1), ())]  # the next, in flight
        watch.decide(state, tip + 1, [], applied, [])
        watch.persist()
        held = sorted(block.height for block in watch.watcher.blocks.values())
        in_window = [c.height for c in checkpoints if c.posted_height + period > tip + 1]
        assert held == sorted({*in_window, height + 1}), (height, held)  # nothing live dropped
        assert len(held) <= period + 1 and len(watch.watcher.headers) <= period + 2
        counts = watch.store.count() if watch.store else {}
        assert counts.get("block", 0) == len(held) and counts.get("header", 0) == len(watch.watcher.headers)
        sizes.append(watch.store.size() if watch.store else 0)
    assert max(sizes[50:]) <= max(sizes[10:50]) * 1.01  # flat (up to the heights' digits), not the history
    assert max(sizes) <= (period + 1) * (width * 420 + 200) + (period + 2) * 300
    db.close()


@pytest.mark.parametrize("vm", list(VmKind))
def test_held_nodes_are_enough_for_the_trace_and_every_one_step_proof(vm: VmKind) -> None:
    sc = gc.scenario(5, PRESET, vm=vm)
    header, block = sc.block.header, watched(sc)
    entry = vm_table(PRESET)[vm]
    context = ExecutionContext(
        SIDECHAIN, header.height, header.timestamp, entry.fee_recipient, entry.max_tx_gas
    )
    trace = sc.block.trace[1:]
    held = compute_held_nodes(PRESET, vm, block.nodes, sc.block.trace[0], (), block.txs, trace, context)
    assert set(held) <= set(block.nodes) and len(held) < len(block.nodes)
    assert compute_trace(PRESET, vm, held, sc.block.trace[0], (), block.txs, context) == trace
    small = replace(block, nodes=held)
    opening = DisputeOpening(
        header, vm, len(block.txs), sc.block.trace[0], entry.max_tx_gas, entry.fee_recipient, (),
        bytes(32), bytes(32), 0, 0,
    )  # fmt: skip
    for i in range(len(block.txs)):  # a one-step game at each transaction
        game = Game(
            opening, 0, 0, i, i + 1, sc.block.trace[i], bytes(32), bytes(32), None, 0, 0, (0, 0), 0, None
        )
        assert one_step_proof(PRESET, small, game) == one_step_proof(PRESET, block, game)


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_a_store_killed_mid_save_reloads_one_whole_tip(tmp_path: Path) -> None:
    """SIGKILL at random instants of a worker process saving tip after tip
    (tests/watch_store_worker.py): every reopened store loads without a problem, holds every tip
    acknowledged, and holds exactly one tip's memory (the last committed: the whole of it, nothing
    of the next). Slow (about 20 s: six processes start; ``RUSTY_SLOW=1``)."""
    database = tmp_path / "node.sqlite"
    rng = random.Random(16)
    acknowledged = -1
    for _ in range(6):
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.watch_store_worker", str(database)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        for _ in range(rng.randint(3, 12)):
            acknowledged = int(process.stdout.readline())
        time.sleep(rng.uniform(0.0, 0.02))
        process.send_signal(signal.SIGKILL)
        process.wait()
        db = sqlite3.connect(database, isolation_level=None)
        _, memory, problems = worker.memory_of(db)
        db.close()
        assert problems == []
        tip = memory.scanned
        assert tip is not None and tip >= acknowledged  # nothing acknowledged lost
        acknowledged = tip
        heights = range(max(0, tip - worker.KEEP + 1), tip + 1)
        assert sorted(b.height for b in memory.watcher.blocks.values()) == list(heights)
        assert all(b == worker.block_at(b.height) for b in memory.watcher.blocks.values())
        assert memory.watcher.headers == {(worker.SIDECHAIN, h): worker.header_at(h) for h in heights}
        assert memory.watcher.challenged == {h.to_bytes(32, "big"): worker.trace_at(h) for h in heights}
    assert acknowledged >= 6


def test_an_opening_is_not_posted_while_it_cannot_be_saved(tmp_path: Path) -> None:
    """A save that fails (here: the database closed under it) posts nothing and forgets the
    opening; once saving works again the next tip opens it (its bond never leaves unsaved)."""
    sc = forged_scenario(2)
    wallet = Wallet()
    state = gc.initial(sc.spec)
    transactions = []
    for at, posted in gc.checkpoint_blocks(sc):
        block = sb.block(at, *posted)
        state = apply_block_to_sidechains(state, block, at, sb.keys(), PRESET).state
        transactions.append(tuple(block))
    fields = {"sidechains": state, "height": gc.CHECKPOINT_1_AT, "quorums": QuorumRegistry({})}
    chain = cast(ChainState, type("Tip", (), fields)())
    db = sqlite3.connect(tmp_path / "node.sqlite", isolation_level=None)
    store = WatchStore(db)
    watch = WatchService(PRESET, PAYEE, lambda: chain, wallet, store=store)
    watch._connected.extend(transactions)
    watch._applied.append(Applied(watched(sc), sc.block.header, ()))
    db.close()
    assert asyncio.run(watch.on_tip()) == [] and wallet.posted == []
    assert not watch.watcher.opened and not watch.watcher.challenged
    store.db = sqlite3.connect(tmp_path / "node.sqlite", isolation_level=None)
    assert len(asyncio.run(watch.on_tip())) == 1 and len(wallet.posted) == 1
    assert store.count()["challenged"] == 1


def test_a_save_writes_only_what_changed(tmp_path: Path) -> None:
    """The second save of an unchanged memory writes nothing; a new tip writes its own rows only."""
    sc = forged_scenario(2)
    watch, db = _open(tmp_path / "node.sqlite", Wallet())
    state = gc.initial(sc.spec)
    applied = [Applied(watched(sc), sc.block.header, sc.block.trace[1:])]
    watch.decide(state, 20, [], applied, [])
    assert watch.persist() == 3  # the block, the defence, the scanned height
    assert watch.persist() == 0
    watch.decide(state, 21, [], [], [])
    assert watch.persist() == 1  # the scanned height
    db.close()


def test_an_empty_block_is_held_with_its_credit_step_nodes(tmp_path: Path) -> None:
    """A sidechain block without transactions (the follower applies them: credits only, or none)
    holds the nodes of its one step, the credit step (SC-DSP-1/5: here no credits, so the node of
    its pre-state root alone), and is stored and reloaded like any other."""
    sc = forged_scenario(2)
    watch, db = _open(tmp_path / "node.sqlite", Wallet())
    empty = WatchedBlock(SIDECHAIN, 1, (), (), sc.block.nodes)
    pre = sc.block.trace[0]
    applied = Applied(empty, sc.block.header, (pre,), pre, VmKind.FERRIS)
    watch.decide(gc.initial(sc.spec), 20, [], [applied], [])
    (held,) = watch.watcher.blocks.values()
    assert held.nodes == {pre: sc.block.nodes[pre]} and held.txs == ()
    watch.persist()
    db.close()
    again, db = _open(tmp_path / "node.sqlite", Wallet())
    assert list(again.watcher.blocks.values()) == [held]
    db.close()


def test_the_fuzz_harness_accepts_its_seeds() -> None:
    """``watch_store_load`` (fuzz/watch_store_harnesses.py) on its seeds: every damaged row is set aside."""
    from fuzz.watch_store_harnesses import fuzz_watch_store_load, watch_store_seeds

    for data in watch_store_seeds()["watch_store_load"].values():
        fuzz_watch_store_load(data)
    fuzz_watch_store_load(b"".join(watch_store_seeds()["watch_store_load"].values()))


def test_held_nodes_cover_a_block_with_credits() -> None:
    """Step 0 applies the block's credits first (SC-DSP-1): its witness, and so the held nodes,
    include what the credits read (a new account and an existing one)."""
    from conformance import disputebuilder as db
    from spec.sidechain.header import BlockCredit

    credits = (BlockCredit(bytes([0x77]) * 32, 5_000), BlockCredit(db.ferris_accounts()[1], 7_000))
    block = db.build_ferris_block(4, preset=PRESET, credits=credits)
    header, trace = block.header, block.trace
    context = ExecutionContext(
        db.SIDECHAIN_ID, header.height, header.timestamp, block.fee_recipient, block.gas_limit
    )
    held = compute_held_nodes(
        PRESET, VmKind.FERRIS, block.nodes, trace[0], credits, block.txs, trace[1:], context
    )
    assert compute_trace(PRESET, VmKind.FERRIS, held, trace[0], credits, block.txs, context) == trace[1:]
    full = WatchedBlock(db.SIDECHAIN_ID, header.height, block.txs, credits, block.nodes)
    small = replace(full, nodes=held)
    opening = DisputeOpening(
        header, VmKind.FERRIS, len(block.txs), trace[0], block.gas_limit, block.fee_recipient, (),
        bytes(32), bytes(32), 0, 0, credits,
    )  # fmt: skip
    for i in range(len(block.txs)):
        game = Game(opening, 0, 0, i, i + 1, trace[i], bytes(32), bytes(32), None, 0, 0, (0, 0), 0, None)
        assert one_step_proof(PRESET, small, game) == one_step_proof(PRESET, full, game)
