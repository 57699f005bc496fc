"""Vectors of the ``dispute`` flow: whole games replayed move by move, invalid moves, fraud proofs.

Games run over a real EVM block (conformance/disputebuilder.py): an honest defender against a
wrong counter-claim, an honest challenger against a lying federation, timeouts on either side,
an invalid transaction; every invalid case is a valid prefix of a game plus one rejected move.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace

from conformance.disputebuilder import (
    KEYS,
    SENDERS,
    SIDECHAIN_ID,
    WASM_HOLDERS,
    Block,
    bisect_move,
    build_block,
    build_ferris_block,
    build_wasm_block,
    empty_block,
    execute_block,
    ferris_accounts,
    lying_header,
    mover,
    one_step_proof,
    opening_against,
    trace_with_credits,
)
from conformance.evm_tx import TxFields, sign
from conformance.model import JSON, CaseSpec
from conformance.wasm_contracts import address_of as wasm_address
from spec.crypto import bls
from spec.encoding import encode
from spec.errors import VmError
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import Preset
from spec.sidechain.dispute import (
    BisectMove,
    DisputeOpening,
    Game,
    OneStepProof,
    Party,
    apply_bisect_move,
    apply_one_step,
    claim_timeout,
    compute_trace,
    encode_bisect_move,
    encode_one_step_proof,
    get_deadline,
    open_game,
    record_credit_step_witness,
)
from spec.sidechain.header import (
    BlockCredit,
    Checkpoint,
    SidechainHeader,
    compute_checkpoint_message,
    encode_checkpoint,
    encode_sidechain_header,
)
from spec.trie import RUSTY_TRIE_HASHER
from spec.vm.interface import (
    OUTBOX_ENTRY_CODEC,
    ExecutionContext,
    OutboxEntry,
    OutboxKind,
    RecordingNodes,
    StateWitness,
    VmKind,
    decode_witness,
    encode_witness,
    state_hasher,
)


def _fake(tag: int) -> bytes:
    return bytes([0xF0, tag % 256]) * 16


def opening_to_json(opening: DisputeOpening) -> dict[str, JSON]:
    """The JSON shape of conformance/handlers/dispute.py."""
    return {
        "header": encode_sidechain_header(opening.header).hex(),
        "vm_kind": opening.vm_kind,
        "tx_count": opening.tx_count,
        "parent_state_root": opening.parent_state_root.hex(),
        "gas_limit": opening.gas_limit,
        "fee_recipient": opening.fee_recipient.hex(),
        "federation": [member.hex() for member in opening.federation],
        "challenger_trace_root": opening.challenger_trace_root.hex(),
        "challenger_final_root": opening.challenger_final_root.hex(),
        "challenger_bond": opening.challenger_bond,
        "opened_at": opening.opened_at,
        **(
            {"credits": [{"recipient": c.recipient.hex(), "amount": c.amount} for c in opening.credits]}
            if opening.credits
            else {}
        ),
    }


def _bisect(party: Party, at: int, move: BisectMove) -> dict[str, JSON]:
    return {"kind": "bisect", "party": int(party), "at": at, "data": encode_bisect_move(move).hex()}


def _one_step(party: Party, at: int, proof: OneStepProof) -> dict[str, JSON]:
    return {"kind": "one_step", "party": int(party), "at": at, "data": encode_one_step_proof(proof).hex()}


class Recorder:
    """Plays a game and records its moves in the vector's JSON shape."""

    def __init__(self, preset: Preset, block: Block, opening: DisputeOpening) -> None:
        self.preset = preset
        self.params = preset.dispute
        self.block = block
        self.opening = opening
        self.game: Game = open_game(opening, self.params)
        self.moves: list[JSON] = []

    def step(self, defender: Sequence[bytes], challenger: Sequence[bytes], delay: int = 3) -> None:
        """The party to move answers from its committed trace ``delay`` blocks after the last move."""
        game = self.game
        at = game.last_move_at + delay
        party = mover(game)
        if game.hi - game.lo == 1:
            proof = one_step_proof(self.block, game)
            self.game = apply_one_step(game, party, proof, at, self.preset)
            self.moves.append(_one_step(party, at, proof))
        else:
            move = bisect_move(defender if party is Party.DEFENDER else challenger, game)
            self.game = apply_bisect_move(game, party, move, at, self.params)
            self.moves.append(_bisect(party, at, move))

    def play_out(self, defender: Sequence[bytes], challenger: Sequence[bytes]) -> None:
        """Both parties answer until the game ends."""
        while self.game.outcome is None:
            self.step(defender, challenger)

    def timeout(self) -> None:
        """The party to move misses its deadline; the timeout is claimed one block later."""
        at = get_deadline(self.game, self.params) + 1
        self.game = claim_timeout(self.game, at, self.params)
        self.moves.append({"kind": "timeout", "at": at})

    def case(self, name: str, description: str, extra: JSON = None, error: str | None = None) -> CaseSpec:
        """The ``play`` case of the moves so far, plus ``extra`` (a rejected move) if given."""
        moves = [*self.moves, extra] if extra is not None else list(self.moves)
        return CaseSpec(
            "play",
            name,
            description,
            {"opening": opening_to_json(self.opening), "moves": moves},
            expect_error=error,
        )


def _honest(block: Block) -> list[bytes]:
    """The block's true trace: the state root after each transaction."""
    return list(block.trace[1:])


def _wrong_from(honest: Sequence[bytes], start: int) -> list[bytes]:
    """``honest`` up to ``start``, then a fake root after every later transaction."""
    return [*honest[:start], *(_fake(i) for i in range(start, len(honest)))]


def _defence(preset: Preset, block: Block, wrong: Sequence[bytes], bond: int | None = None) -> Recorder:
    """A game of an honest federation's checkpoint against the counter-claim ``wrong`` (no move yet)."""
    opening = opening_against(block, wrong)
    return Recorder(preset, block, opening if bond is None else replace(opening, challenger_bond=bond))


def _challenge(preset: Preset, block: Block, lie: Sequence[bytes], bond: int | None = None) -> Recorder:
    """A game of a checkpoint of the trace ``lie`` against an honest challenger (no move yet)."""
    opening = opening_against(block, _honest(block), header=lying_header(block, lie))
    return Recorder(preset, block, opening if bond is None else replace(opening, challenger_bond=bond))


def _defended(preset: Preset, block: Block, wrong: Sequence[bytes], bond: int | None = None) -> Recorder:
    """:func:`_defence`, played to the end."""
    game = _defence(preset, block, wrong, bond)
    game.play_out(_honest(block), wrong)
    return game


def _challenged(preset: Preset, block: Block, lie: Sequence[bytes], bond: int | None = None) -> Recorder:
    """:func:`_challenge`, played to the end."""
    game = _challenge(preset, block, lie, bond)
    game.play_out(lie, _honest(block))
    return game


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-1..10 vectors."""
    yield from _games(preset)
    yield from _invalid_moves(preset)
    yield from _openings(preset)
    yield from _decoders()
    yield from _encoders_and_bound()
    yield from _fraud_proofs()
    yield from _federation_penalty(preset)


def _games(preset: Preset) -> Iterator[CaseSpec]:
    for n in (1, 2, 5, 8):
        block = build_block(n, preset=preset)
        lie = _wrong_from(_honest(block), n // 2)
        yield _defended(preset, block, lie).case(
            f"defender_wins_{n}_txs", f"honest federation, wrong counter-claim from tx {n // 2}"
        )
        yield _challenged(preset, block, lie).case(
            f"challenger_wins_{n}_txs", f"lying federation from tx {n // 2}: reverted, penalised"
        )
    yield from _other_vm_games(preset)
    block = build_block(6, preset=preset)
    honest = _honest(block)
    lie = [*honest[:3], *(_fake(i) for i in range(3))]
    game = _challenge(preset, block, lie)
    game.step(lie, honest)
    game.step(lie, honest)
    game.timeout()
    yield game.case("defender_times_out", "the lying federation stops answering after one round")
    game = _defence(preset, block, lie)
    game.step(honest, lie)
    game.timeout()
    yield game.case("challenger_times_out", "the challenger does not answer the first bisection")
    game = _defence(preset, block, lie)
    game.timeout()
    yield game.case("defender_never_answers", "an honest checkpoint is lost by not defending it")
    game = _defence(preset, block, lie)
    for _ in range(3):
        game.step(honest, lie, delay=preset.dispute.move_blocks)
    yield game.case("slow_moves_charge_the_clocks", "every move at its deadline: the clocks run down")
    game = _defence(preset, block, lie)
    game.step(honest, lie, delay=0)
    game.step(honest, lie, delay=0)
    yield game.case("moves_in_the_opening_block", "both answer in the block that opened the game")
    rich = preset.dispute.min_challenger_bond * 3
    yield _defended(preset, block, lie, rich).case(
        "larger_challenger_bond_lost", "a challenger that bonded 3x the minimum loses it"
    )
    yield _challenged(preset, block, lie, rich).case(
        "larger_challenger_bond_won", "a challenger that bonded 3x the minimum wins"
    )
    yield _invalid_transaction(preset)


def _other_vm_games(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-5 through the FerrisScript and WASM one-step executors: whole games over real blocks."""
    for vm, build, sizes in (("ferris", build_ferris_block, (1, 5)), ("wasm", build_wasm_block, (1, 4))):
        for n in sizes:
            block = build(n, preset=preset)
            lie = _wrong_from(_honest(block), n // 2)
            yield _defended(preset, block, lie).case(
                f"{vm}_defender_wins_{n}_txs",
                f"{vm} sidechain: honest federation, wrong claim from tx {n // 2}",
            )
            yield _challenged(preset, block, lie).case(
                f"{vm}_challenger_wins_{n}_txs",
                f"{vm} sidechain: lying federation from tx {n // 2}: reverted",
            )
    yield from _credit_games(preset)
    block = build_wasm_block(3, preset=preset)
    honest = _honest(block)
    lie = [honest[0], honest[1], _fake(7)]
    game = _defence(preset, block, lie)
    while game.game.hi - game.game.lo > 1:
        game.step(honest, lie)
    proof = one_step_proof(block, game.game)
    items = decode_witness(proof.witness, RUSTY_TRIE_HASHER).preimages
    code = next(item for item in items if item.startswith(b"\x00asm"))
    without_code = OneStepProof(
        proof.tx, proof.tx_proof, encode_witness(StateWitness(tuple(i for i in items if i != code)))
    )
    yield game.case(
        "wasm_witness_without_code",
        "a WASM call's witness without the contract's code (VM-2)",
        _one_step(Party.DEFENDER, game.game.last_move_at + 1, without_code),
        "VM_WITNESS_INCOMPLETE",
    )


def _credit_games(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-1/5: the step from ``lo = 0`` credits the block's deposits first (VMF-8), so a
    deposit credited never or twice is proven by the one-step over transaction 0."""
    accounts = ferris_accounts()
    credits = (BlockCredit(accounts[0], 5000), BlockCredit(accounts[2], 7000), BlockCredit(b"short", 9))
    block = build_ferris_block(3, preset=preset, credits=credits)
    honest = _honest(block)
    yield _defended(preset, block, _wrong_from(honest, 0)).case(
        "ferris_credits_defender_wins",
        "two deposits credited and one refunded (a recipient that is no account id) before tx 0: "
        "the honest federation wins the one-step at tx 0",
    )
    yield _defended(preset, block, _wrong_from(honest, 2)).case(
        "ferris_credits_dispute_at_last_tx",
        "a block with deposits, the challenger disagreeing only at tx 2: the one-step at tx 2 starts "
        "from the agreed root after tx 1 and credits nothing again (credits come before tx 0 only)",
    )
    for name, description, claimed in (
        ("ferris_deposit_never_credited", "the federation's trace leaves out the deposits", ()),
        ("ferris_deposit_credited_twice", "the federation's trace credits every deposit twice", credits * 2),
    ):
        lie = list(trace_with_credits(block, claimed))
        yield _challenged(preset, block, lie).case(
            name, f"{description}: the one-step at tx 0 credits the mainchain's deposits"
        )
    evm = build_block(3, preset=preset)
    evm_credits = (
        BlockCredit(SENDERS[1], 4000),
        BlockCredit(b"\x42" * 20, 6000),
        BlockCredit(b"\x42" * 32, 9),
    )
    evm_block = execute_block(replace(evm, trace=evm.trace[:1]), evm.txs, evm_credits)
    yield _defended(preset, evm_block, _wrong_from(_honest(evm_block), 0)).case(
        "evm_credits_defender_wins",
        "an EVM block crediting a sender and a fresh address, and refunding a 32-byte recipient that "
        "is no address (EVM-7), before tx 0: the honest federation wins the one-step at tx 0",
    )
    yield _challenged(preset, evm_block, list(trace_with_credits(evm_block, ()))).case(
        "evm_deposit_never_credited",
        "the federation's trace of an EVM block leaves out the deposits: the one-step at tx 0 credits them",
    )
    # SC-DSP-5: the one-step executes under the block's context (VM-2): a contract creation whose
    # init code stores NUMBER (0x43 0x60 0x00 0x55 0x00) writes the header's height into state.
    base = build_block(0, preset=preset)
    chain_id = preset.evm.chain_id_base + SIDECHAIN_ID
    create = sign(
        TxFields(
            nonce=0, gas=100_000, to=None, data=bytes([0x43, 0x60, 0x00, 0x55, 0x00]), chain_id=chain_id
        ),
        KEYS[0],
    )
    number_block = execute_block(base, [create])
    yield _defended(preset, number_block, [_fake(0)]).case(
        "evm_block_number_in_state",
        "an EVM block whose one transaction stores the block number (NUMBER) in a new contract: "
        "the one-step reads the height from the opening's header",
    )
    stamp = sign(
        TxFields(
            nonce=0, gas=100_000, to=None, data=bytes([0x42, 0x60, 0x00, 0x55, 0x00]), chain_id=chain_id
        ),
        KEYS[0],
    )
    yield _defended(preset, execute_block(base, [stamp]), [_fake(0)]).case(
        "evm_timestamp_in_state",
        "an EVM block whose one transaction stores the block's timestamp (TIMESTAMP) in a new "
        "contract: the one-step reads the timestamp from the opening's header",
    )
    # VMW-10: a WASM block credits its deposits with the block transition's own credit step.
    wasm = build_wasm_block(3, preset=preset)
    holders = [wasm_address(label) for label in WASM_HOLDERS]
    wasm_credits = (
        BlockCredit(holders[1], 4000),
        BlockCredit(b"\x5a" * 32, 6000),
        BlockCredit(b"\x5a" * 20, 9),
    )
    wasm_block = execute_block(replace(wasm, trace=wasm.trace[:1]), wasm.txs, wasm_credits)
    yield from _traces(preset, block, evm_block, wasm_block)
    yield from _empty_block_games(preset, block, evm_block, wasm_block)
    yield _defended(preset, wasm_block, _wrong_from(_honest(wasm_block), 0)).case(
        "wasm_credits_defender_wins",
        "a WASM block crediting a holder and a fresh address, and refunding a 20-byte recipient that "
        "is no address (VMW-10), before its deploy: the honest federation wins the one-step at tx 0",
    )
    for name, description, claimed in (
        ("wasm_deposit_never_credited", "leaves out the deposits", ()),
        ("wasm_deposit_credited_twice", "credits every deposit twice", wasm_credits * 2),
    ):
        wasm_lie = list(trace_with_credits(wasm_block, claimed))
        yield _challenged(preset, wasm_block, wasm_lie).case(
            name,
            f"the federation's trace of a WASM block {description}: the one-step at tx 0 credits "
            "the mainchain's deposits (VMW-10) and the federation loses",
        )


def _empty_block_games(preset: Preset, ferris: Block, evm: Block, wasm: Block) -> Iterator[CaseSpec]:
    """SC-DSP-1/5 (issue 16): a block with credits and no transactions is one step, its credit
    step, re-executed from the witness of ``r_0``: games of every kind, then invalid proofs."""
    for vm, base in (("ferris", ferris), ("evm", evm), ("wasm", wasm)):
        block = empty_block(base, base.credits)
        yield _defended(preset, block, [_fake(0)]).case(
            f"{vm}_empty_block_defender_wins",
            f"SC-DSP-1/5: a {vm} block with its deposits (one refunded) and no transactions: the game "
            "is the one credit step (0, 1), the honest federation's state root is the root after "
            "the credits and wins",
        )
        federation = {"ferris": ferris_accounts()[3], "evm": SENDERS[3], "wasm": b"\x5b" * 32}[vm]
        minted = empty_block(base, (*base.credits, BlockCredit(federation, 10**9))).steps
        yield _challenged(preset, block, minted).case(
            f"{vm}_empty_block_minted",
            f"SC-DSP-1/5: the federation's state root of a {vm} block without transactions credits "
            "it 10^9 atoms no deposit holds: the credit step re-executed from r_0 gives another "
            "root, the checkpoint is reverted",
        )
    block = empty_block(ferris, ferris.credits)
    for name, description, claimed in (
        ("ferris_empty_block_never_credited", "leaves out the deposits", ()),
        ("ferris_empty_block_credited_twice", "credits every deposit twice", ferris.credits * 2),
    ):
        yield _challenged(preset, block, empty_block(ferris, claimed).steps).case(
            name, f"SC-DSP-1/5: the state root of a block without transactions {description}"
        )
    bare = empty_block(ferris, ())
    yield _defended(preset, bare, [_fake(0)]).case(
        "empty_block_no_credits_defender_wins",
        "SC-DSP-1/5: a block with neither credits nor transactions: the credit step changes nothing "
        "(the witness is the node of r_0 alone) and the state root r_0 wins",
    )
    timed_out = _challenge(preset, block, empty_block(ferris, ()).steps)
    timed_out.timeout()
    yield timed_out.case(
        "empty_block_defender_timeout",
        "SC-DSP-4: the defender of a wrong empty block never proves its credit step: it loses",
    )
    game = _challenge(preset, block, empty_block(ferris, ()).steps)
    at = game.game.last_move_at + 1
    proof = one_step_proof(block, game.game)
    nodes = decode_witness(proof.witness, state_hasher(VmKind.FERRIS)).preimages
    root_node = block.nodes[block.trace[0]]
    below = next(node for node in nodes if node != root_node)
    for name, description, bad, error in (
        ("empty_block_one_step_with_tx", "the credit step's proof carries a transaction",
         replace(proof, tx=ferris.txs[0]), "DSP_EMPTY_TRACE"),
        ("empty_block_one_step_with_tx_proof", "the credit step's proof carries a transaction proof",
         replace(proof, tx_proof=(_fake(5),)), "DSP_EMPTY_TRACE"),
        ("empty_block_witness_without_root", "the credit step's witness lacks the node of r_0",
         replace(proof, witness=encode_witness(StateWitness(tuple(n for n in nodes if n != root_node)))),
         "DSP_WITNESS_ROOT_MISMATCH"),
        ("empty_block_witness_incomplete", "the credit step's witness lacks a node a credit reads",
         replace(proof, witness=encode_witness(StateWitness(tuple(n for n in nodes if n != below)))),
         "VM_WITNESS_INCOMPLETE"),
    ):  # fmt: skip
        yield game.case(name, f"SC-DSP-5: {description}", _one_step(Party.DEFENDER, at, bad), error)
    yield game.case(
        "empty_block_bisect",
        "SC-DSP-3: a bisection in the one-step game of a block without transactions",
        _bisect(Party.DEFENDER, at, BisectMove(0, block.steps[0], ())),
        "DSP_WRONG_TURN",
    )
    yield from _claims_and_witnesses(preset, ferris, block)
    yield _trace_case(
        preset,
        "trace_ferris_empty_block",
        "SC-DSP-1: a block of deposits and no transactions: its trace is the one root after the credits",
        block,
    )


def _claims_and_witnesses(preset: Preset, full: Block, empty: Block) -> Iterator[CaseSpec]:
    """SC-DSP-1 ``is_trace_claimed`` (the watcher's decision to challenge) and SC-DSP-5
    ``credit_step_witness`` (the empty block's proof witness a defender posts)."""

    def claimed(name: str, description: str, header: SidechainHeader, trace: Sequence[bytes]) -> CaseSpec:
        data: dict[str, JSON] = {
            "header": encode_sidechain_header(header).hex(),
            "trace": [root.hex() for root in trace],
        }
        return CaseSpec("is_trace_claimed", name, description, data)

    steps = list(full.steps)
    yield claimed("honest", "a block of transactions and its own trace", full.header, steps)
    yield claimed("other_last_root", "another last root", full.header, [*steps[:-1], _fake(1)])
    yield claimed("other_first_root", "the last root right, another root before it: not the trace_root",
                  full.header, [_fake(2), *steps[1:]])  # fmt: skip
    yield claimed("empty_block", "an empty block: its state root is its one credit step", empty.header,
                  list(empty.steps))  # fmt: skip
    yield claimed("empty_block_other_root", "an empty block and another root", empty.header, [_fake(3)])
    yield claimed("empty_block_any_trace_root", "an empty block whose header's trace_root is not the "
                  "empty root: the state root alone is claimed",
                  replace(empty.header, trace_root=_fake(4)), list(empty.steps))  # fmt: skip
    yield claimed("no_trace", "no root at all", full.header, [])

    def witness(
        name: str, description: str, block: Block, nodes: Sequence[bytes], error: str | None = None
    ) -> CaseSpec:
        kind = VmKind(block.vm_kind)
        hasher = state_hasher(kind)
        data: dict[str, JSON] = {
            "vm_kind": int(kind),
            "witness": encode_witness(StateWitness(tuple(sorted(nodes, key=hasher.digest)))).hex(),
            "pre_root": block.trace[0].hex(),
            "credits": [{"recipient": c.recipient.hex(), "amount": c.amount} for c in block.credits],
        }
        return CaseSpec("credit_step_witness", name, description, data, expect_error=error)

    store = list(empty.nodes.values())
    yield witness("ferris_credits", "the nodes the deposits read, from the whole store", empty, store)
    yield witness("no_credits", "no credits: the node of r_0 alone", empty_block(full, ()), store)
    genesis = build_ferris_block(0, preset=preset, credits=empty.credits)
    blank = replace(genesis, trace=(RUSTY_TRIE_HASHER.empty_root, *genesis.trace[1:]), credits=())
    yield witness("empty_state", "the empty state and no credits: the node 0x80 (MPT-3)", blank, [])
    needed = decode_witness(
        encode_witness(record_credit_step_witness(preset, VmKind(empty.vm_kind), empty.nodes, empty.trace[0],
                                                  empty.credits)),
        RUSTY_TRIE_HASHER,
    ).preimages  # fmt: skip
    root_node = empty.nodes[empty.trace[0]]
    below = next(node for node in needed if node != root_node)
    yield witness("node_missing", "a node a credit reads is not held", empty,
                  [n for n in needed if n != below], "VM_WITNESS_INCOMPLETE")  # fmt: skip


def _trace_case(
    preset: Preset,
    name: str,
    description: str,
    block: Block,
    txs: Sequence[bytes] | None = None,
    drop_node: bool = False,
    error: str | None = None,
) -> CaseSpec:
    """SC-DSP-1 ``compute_trace``: the witness is exactly the pre-state nodes the re-execution reads
    (nodes the credits and earlier transactions create come from the execution itself)."""
    kind = VmKind(block.vm_kind)
    txs = block.txs if txs is None else tuple(txs)
    header = block.header
    context = ExecutionContext(
        header.sidechain_id, header.height, header.timestamp, block.fee_recipient, block.gas_limit
    )
    recording = RecordingNodes(block.nodes)
    with contextlib.suppress(VmError):
        compute_trace(preset, kind, recording, block.trace[0], block.credits, txs, context)
    preimages = [recording.read[h] for h in sorted(recording.read)]
    if drop_node:
        preimages = [p for p in preimages if p != block.nodes[block.trace[0]]]
    data: dict[str, JSON] = {
        "vm_kind": int(kind),
        "witness": encode_witness(StateWitness(tuple(preimages))).hex(),
        "pre_root": block.trace[0].hex(),
        "credits": [{"recipient": c.recipient.hex(), "amount": c.amount} for c in block.credits],
        "txs": [tx.hex() for tx in txs],
        "context": {
            "sidechain_id": context.sidechain_id,
            "height": context.height,
            "timestamp": context.timestamp,
            "fee_recipient": context.fee_recipient.hex(),
            "gas_limit": context.gas_limit,
        },
    }
    return CaseSpec("compute_trace", name, description, data, expect_error=error)


def _traces(preset: Preset, ferris: Block, evm: Block, wasm: Block) -> Iterator[CaseSpec]:
    """SC-DSP-1: the honest trace a watcher re-executes (``compute_trace``), valid and invalid."""
    for vm, block in (("ferris", ferris), ("evm", evm), ("wasm", wasm)):
        yield _trace_case(
            preset,
            f"trace_{vm}_with_credits",
            f"SC-DSP-1: the trace r_1 .. r_n of a {vm} block whose credits come before tx 0, from "
            "the pre-state nodes only: later transactions read the nodes earlier ones created",
            block,
        )
    yield _trace_case(
        preset,
        "trace_evm_replayed_transaction",
        "SC-DSP-1: a block that repeats its first EVM transaction: the replay is invalid",
        evm,
        txs=(evm.txs[0], evm.txs[0]),
        error="VM_EVM_NONCE",
    )
    yield _trace_case(
        preset,
        "trace_witness_without_root",
        "SC-DSP-1: the pre-state witness lacks the root node",
        ferris,
        drop_node=True,
        error="VM_WITNESS_INCOMPLETE",
    )


def _invalid_transaction(preset: Preset) -> CaseSpec:
    block = build_block(2, preset=preset)
    honest = _honest(block)
    txs = (block.txs[0], block.txs[0])
    lie = [honest[0], _fake(2)]
    header = replace(lying_header(block, lie), tx_root=merkle_root(txs))
    game = Recorder(preset, replace(block, txs=txs), opening_against(block, honest, header=header))
    game.step(lie, honest)
    game.step(lie, honest)
    # the replayed transaction has a stale nonce: the witness is what its execution read until then
    witness = encode_witness(StateWitness(tuple(sorted_preimages(block, game.game.agreed_root))))
    proof = OneStepProof(txs[1], inclusion_proof(txs, 1), witness)
    at = game.game.last_move_at + 1
    game.game = apply_one_step(game.game, Party.DEFENDER, proof, at, game.preset)
    game.moves.append(_one_step(Party.DEFENDER, at, proof))
    return game.case("invalid_transaction", "the federation included a transaction twice (VM_EVM_NONCE)")


def sorted_preimages(block: Block, root: bytes) -> list[bytes]:
    """Every preimage of the block's store (a superset witness), sorted by hash."""
    del root
    return [block.nodes[digest] for digest in sorted(block.nodes)]


def _invalid_moves(preset: Preset) -> Iterator[CaseSpec]:
    params = preset.dispute
    block = build_block(5, preset=preset)
    honest = _honest(block)
    lie = [*honest[:2], _fake(2), _fake(3), _fake(4)]
    game = _defence(preset, block, lie)
    first = game.game
    at = first.last_move_at + 1
    good = bisect_move(honest, first)
    late = get_deadline(first, params) + 1
    early = first.last_move_at - 1
    for name, description, party, when, move, error in (
        ("wrong_turn", "the challenger moves first", Party.CHALLENGER, at, good, "DSP_WRONG_TURN"),
        ("late_move", "the defender moves after its deadline", Party.DEFENDER, late, good, "DSP_LATE_MOVE"),
        (
            "move_before_last",
            "a move below the last move's height",
            Party.DEFENDER,
            early,
            good,
            "DSP_LATE_MOVE",
        ),
        (
            "bisection_point_out_of_range",
            "a claim at hi",
            Party.DEFENDER,
            at,
            replace(good, position=first.hi),
            "DSP_BISECTION_POINT",
        ),
        (
            "bisection_point_not_midpoint",
            "a claim below the midpoint",
            Party.DEFENDER,
            at,
            replace(good, position=good.position - 1),
            "DSP_BISECTION_POINT",
        ),
        (
            "root_not_in_trace",
            "a root the trace root does not commit",
            Party.DEFENDER,
            at,
            replace(good, root=_fake(9)),
            "DSP_PROOF_INVALID",
        ),
        (
            "proof_too_short",
            "a proof of the wrong length",
            Party.DEFENDER,
            at,
            replace(good, proof=good.proof[1:]),
            "DSP_PROOF_INVALID",
        ),
    ):
        yield game.case(name, description, _bisect(party, when, move), error)
    yield game.case(
        "timeout_too_early",
        "a timeout claimed at the deadline itself",
        {"kind": "timeout", "at": get_deadline(first, params)},
        "DSP_NOT_EXPIRED",
    )
    stub = OneStepProof(block.txs[0], (), b"\x00")
    yield game.case(
        "one_step_too_early",
        "a one-step proof before the game narrowed",
        _one_step(Party.DEFENDER, at, stub),
        "DSP_WRONG_TURN",
    )
    game.step(honest, lie)
    answer = bisect_move(lie, game.game)
    at = game.game.last_move_at + 1
    yield game.case(
        "defender_moves_twice",
        "the defender answers its own claim",
        _bisect(Party.DEFENDER, at, bisect_move(honest, game.game)),
        "DSP_WRONG_TURN",
    )
    forged_answer = replace(answer, root=_fake(10))
    yield game.case(
        "challenger_root_not_in_its_trace",
        "the challenger's answer is not in its trace root",
        _bisect(Party.CHALLENGER, at, forged_answer),
        "DSP_PROOF_INVALID",
    )
    while game.game.hi - game.game.lo > 1:
        game.step(honest, lie)
    proof = one_step_proof(block, game.game)
    at = game.game.last_move_at + 1
    late_bisect = BisectMove(game.game.lo, game.game.agreed_root, ())
    yield game.case(
        "bisect_at_one_step",
        f"a bisection when ({game.game.lo}, {game.game.hi}) is one step",
        _bisect(Party.DEFENDER, at, late_bisect),
        "DSP_WRONG_TURN",
    )
    root_only = encode_witness(StateWitness((block.nodes[game.game.agreed_root],)))
    unsorted = encode_witness(StateWitness(tuple(reversed(_witness_items(proof)))))
    for name, description, party, sent, error in (
        (
            "witness_not_matching_root",
            "a witness without the agreed root's node",
            Party.DEFENDER,
            replace(proof, witness=encode_witness(StateWitness(()))),
            "DSP_WITNESS_ROOT_MISMATCH",
        ),
        (
            "witness_incomplete",
            "a witness with only the root node",
            Party.DEFENDER,
            replace(proof, witness=root_only),
            "VM_WITNESS_INCOMPLETE",
        ),
        (
            "transaction_not_in_block",
            "the one-step proof names another transaction",
            Party.DEFENDER,
            replace(proof, tx=block.txs[0]),
            "DSP_PROOF_INVALID",
        ),
        (
            "witness_not_canonical",
            "the witness's preimages out of order",
            Party.DEFENDER,
            replace(proof, witness=unsorted),
            "VM_WITNESS_NOT_CANONICAL",
        ),
        (
            "challenger_owes_no_one_step",
            "the challenger submits the one-step proof",
            Party.CHALLENGER,
            proof,
            "DSP_WRONG_TURN",
        ),
    ):
        yield game.case(name, description, _one_step(party, at, sent), error)
    unknown = Recorder(preset, block, replace(game.opening, vm_kind=9))
    unknown.moves = list(game.moves)
    unknown.game = replace(game.game, opening=unknown.opening)
    yield unknown.case(
        "vm_without_executor",
        "VM kind 9: no sidechain VM, no one-step executor",
        _one_step(Party.DEFENDER, at, proof),
        "DSP_UNKNOWN_VM",
    )
    game.play_out(honest, lie)
    yield game.case(
        "move_after_the_end",
        "a move in a finished game",
        {"kind": "timeout", "at": at + 10**6},
        "DSP_GAME_OVER",
    )


def _witness_items(proof: OneStepProof) -> tuple[bytes, ...]:
    from spec.vm.evm import HASHER
    from spec.vm.interface import decode_witness

    return decode_witness(proof.witness, HASHER).preimages


def _openings(preset: Preset) -> Iterator[CaseSpec]:
    block = build_block(3, preset=preset)
    honest = _honest(block)
    lie = [*honest[:2], _fake(1)]

    def case(name: str, description: str, opening: DisputeOpening, error: str) -> CaseSpec:
        return CaseSpec(
            "play", name, description, {"opening": opening_to_json(opening), "moves": []}, expect_error=error
        )

    yield case(
        "no_disagreement",
        "the counter-claim is the checkpoint's state root",
        opening_against(block, honest),
        "DSP_NO_DISAGREEMENT",
    )
    small = replace(opening_against(block, lie), challenger_bond=preset.dispute.min_challenger_bond - 1)
    yield case("bond_too_small", "a bond one atom below the minimum", small, "DSP_BOND_TOO_SMALL")
    yield case(
        "tx_count_zero",
        "the challenger states no transactions (the credit step alone) for a block of three: not "
        "the header's tx_count (SC-HDR-1)",
        replace(opening_against(block, lie), tx_count=0),
        "DSP_OPENING_MISMATCH",
    )
    yield case(
        "tx_count_misstated_and_no_disagreement",
        "SC-DSP-2's order: a misstated tx_count and the checkpoint's own final root: the statement "
        "is checked first",
        replace(opening_against(block, honest), tx_count=block.tx_count - 1),
        "DSP_OPENING_MISMATCH",
    )
    yield case(
        "tx_count_misstated",
        "the challenger states one transaction more than the header's tx_count (SC-HDR-1): its "
        "proofs would fold over another tree shape",
        replace(opening_against(block, lie), tx_count=block.tx_count + 1),
        "DSP_OPENING_MISMATCH",
    )
    yield case(
        "credits_misstated",
        "the challenger states a credit the header's credits_root does not hold",
        replace(opening_against(block, lie), credits=(BlockCredit(SENDERS[0], 1),)),
        "DSP_OPENING_MISMATCH",
    )
    yield CaseSpec(
        "play",
        "opened",
        "a fresh game: the defender to move",
        {"opening": opening_to_json(opening_against(block, lie)), "moves": []},
    )


def _decoders() -> Iterator[CaseSpec]:
    move = BisectMove(3, _fake(1), (_fake(2), _fake(3)))
    data = encode_bisect_move(move)
    yield CaseSpec("decode_bisect_move", "valid", "position, root, two proof hashes", {"data": data.hex()})
    yield CaseSpec(
        "decode_bisect_move",
        "truncated",
        "one byte short",
        {"data": data[:-1].hex()},
        expect_error="DECODE_TRUNCATED",
    )
    yield CaseSpec(
        "decode_bisect_move",
        "trailing",
        "one byte more",
        {"data": (data + b"\x00").hex()},
        expect_error="DECODE_TRAILING_BYTES",
    )
    proof = OneStepProof(b"\x02\x03", (_fake(4),), encode_witness(StateWitness((b"\x80",))))
    data = encode_one_step_proof(proof)
    yield CaseSpec(
        "decode_one_step_proof", "valid", "a transaction, one proof hash, a witness", {"data": data.hex()}
    )
    yield CaseSpec(
        "decode_one_step_proof",
        "truncated",
        "one byte short",
        {"data": data[:-1].hex()},
        expect_error="DECODE_TRUNCATED",
    )


def _fraud_proofs() -> Iterator[CaseSpec]:
    secret = bls.key_gen(b"dispute/federation" + b"\x00" * 14)
    key = bls.sk_to_pk(secret)
    header = build_block(1).header
    other = replace(header, state_root=_fake(1))
    first = Checkpoint(header, bls.sign(secret, compute_checkpoint_message(header)))
    second = Checkpoint(other, bls.sign(secret, compute_checkpoint_message(other)))

    def equivocation(
        name: str, description: str, a: Checkpoint, b: Checkpoint, error: str | None = None
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "first": encode_checkpoint(a).hex(),
            "second": encode_checkpoint(b).hex(),
            "public_key": key.hex(),
        }
        return CaseSpec("equivocation", name, description, data, expect_error=error)

    yield equivocation("two_headers_one_height", "two signed checkpoints at one height", first, second)
    yield equivocation("same_header", "one checkpoint twice", first, first, "DSP_NOT_FRAUD")
    yield equivocation(
        "unsigned_second",
        "the second signature is the first's",
        first,
        replace(second, signature=first.signature),
        "DSP_NOT_FRAUD",
    )
    yield equivocation(
        "different_heights",
        "checkpoints at two heights",
        first,
        Checkpoint(replace(other, height=9), second.signature),
        "DSP_NOT_FRAUD",
    )
    malformed = replace(second, signature=b"\x00" * 96)
    yield equivocation(
        "malformed_signature", "the second signature is no curve point", first, malformed, "DSP_NOT_FRAUD"
    )
    later = replace(other, height=header.height + 1)
    signed_later = Checkpoint(later, bls.sign(secret, compute_checkpoint_message(later)))
    yield equivocation(
        "signed_at_two_heights",
        "two validly signed checkpoints at consecutive heights",
        first,
        signed_later,
        "DSP_NOT_FRAUD",
    )
    elsewhere = replace(header, sidechain_id=header.sidechain_id + 1)
    signed_elsewhere = Checkpoint(elsewhere, bls.sign(secret, compute_checkpoint_message(elsewhere)))
    yield equivocation(
        "two_sidechains", "one height of two sidechains", first, signed_elsewhere, "DSP_NOT_FRAUD"
    )
    entries = [
        OutboxEntry(OutboxKind.WITHDRAWAL, 0, b"\x01" * 20, 500, b""),
        OutboxEntry(OutboxKind.MESSAGE, 4, b"\x02" * 20, 10**9, b"hi"),
        OutboxEntry(OutboxKind.WITHDRAWAL, 0, b"\x03" * 20, 10**9, b""),
        OutboxEntry(OutboxKind.MESSAGE, 0, b"\x04" * 20, 10**9, b""),
        OutboxEntry(OutboxKind.WITHDRAWAL, 0, b"\x05" * 20, 10**6, b""),
    ]
    leaves = [encode(OUTBOX_ENTRY_CODEC, entry) for entry in entries]
    with_outbox = replace(header, outbox_root=merkle_root(leaves))

    def overdraw(
        name: str, description: str, index: int, proof_index: int, error: str | None = None
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "header": encode_sidechain_header(with_outbox).hex(),
            "entry": leaves[index].hex(),
            "index": proof_index,
            "count": len(leaves),
            "proof": [h.hex() for h in inclusion_proof(leaves, proof_index)],
            "escrow": 10**6,
        }
        return CaseSpec("escrow_overdraw", name, description, data, expect_error=error)

    yield overdraw("withdrawal_above_escrow", "a withdrawal of 10^9 against an escrow of 10^6", 2, 2)
    yield overdraw("withdrawal_within_escrow", "a withdrawal of 500", 0, 0, "DSP_NOT_FRAUD")
    yield overdraw("message_not_withdrawal", "a message to another sidechain", 1, 1, "DSP_NOT_FRAUD")
    yield overdraw("entry_not_in_outbox", "the proof of another leaf", 2, 1, "DSP_PROOF_INVALID")
    yield overdraw(
        "message_to_the_mainchain", "a message entry (target 0) above the escrow", 3, 3, "DSP_NOT_FRAUD"
    )
    yield overdraw("withdrawal_equal_to_escrow", "a withdrawal of exactly the escrow", 4, 4, "DSP_NOT_FRAUD")


def _federation_penalty(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-11/13: the quorum in charge at the reverted checkpoint's posting is slashed whole."""
    from conformance.generators.masternode import LABELS, funded_list, slashing_registry
    from conformance.handlers.chain import pose_quorums_json, quorums_json
    from conformance.handlers.masternode import list_json
    from spec.masternode.finality import QuorumRegistry, finality_quorum_height
    from spec.masternode.quorum import QuorumType
    from spec.masternode.registry import pose_quorum_height

    registry = slashing_registry(preset)
    interval = preset.masternodes.finality_quorum_interval
    posted = next(h for h in range(interval, 4 * interval) if finality_quorum_height(h, preset) == interval)
    before = funded_list(LABELS, preset)
    period = 2 * preset.dispute.clock_blocks + 2

    def case(
        name: str,
        description: str,
        quorum_type: int,
        at: int,
        challenge_period: int = period,
        quorums: QuorumRegistry = registry,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorums": quorums_json(quorums),
            "pose_quorums": pose_quorums_json(quorums),
            "masternodes": list_json(before),
            "quorum_type": quorum_type,
            "posted_height": at,
            "challenge_period": challenge_period,
        }
        return CaseSpec("federation_penalty", name, f"SC-DSP-13: {description}", data)

    yield case(
        "finality_quorum_slashed",
        f"the finality quorum I accepted the checkpoint at {posted}: every member slashed",
        QuorumType.FINALITY,
        posted,
    )
    yield case(
        "first_height_of_term",
        f"posted at {posted - 1}: the quorum in charge has no committed key: nobody",
        QuorumType.FINALITY,
        posted - 1,
        period - 1,
    )
    yield case(
        "no_pose_quorum", "a PoSe federation with no recorded PoSe quorum: nobody", QuorumType.POSE, posted
    )
    pose_posted = next(h for h in range(interval, 8 * interval) if pose_quorum_height(h, preset) is not None)
    pose_base = pose_quorum_height(pose_posted, preset)
    assert pose_base is not None
    with_pose = QuorumRegistry(
        registry.records, {pose_base: replace(registry.records[interval], base_height=pose_base)}
    )
    yield case(
        "pose_quorum_slashed",
        f"a PoSe federation: the PoSe quorum based at {pose_base}, in charge at {pose_posted}, slashed whole",
        QuorumType.POSE,
        pose_posted,
        quorums=with_pose,
    )


def _encoders_and_bound() -> Iterator[CaseSpec]:
    move = BisectMove(3, _fake(1), (_fake(2), _fake(3)))
    yield CaseSpec(
        "encode_bisect_move",
        "valid",
        "position, root, two proof hashes",
        {"position": move.position, "root": move.root.hex(), "proof": [h.hex() for h in move.proof]},
    )
    proof = OneStepProof(b"\x02\x03", (_fake(4),), encode_witness(StateWitness((b"\x80",))))
    yield CaseSpec(
        "encode_one_step_proof",
        "valid",
        "a transaction, one proof hash, a witness",
        {"tx": proof.tx.hex(), "tx_proof": [h.hex() for h in proof.tx_proof], "witness": proof.witness.hex()},
    )
    for count in (0, 1, 2, 3, 4, 5, 8, 9, 100, 1000, 1 << 20):
        yield CaseSpec(
            "max_moves", f"txs_{count}", f"the move bound of {count} transactions", {"tx_count": count}
        )
