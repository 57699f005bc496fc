"""Dispute games played in mainchain blocks (SC-DSP-14..18, spec/sidechain/games.py).

Properties: an honest defender never loses on chain, whatever the challenger claims and however it
times its moves; a fraudulent checkpoint challenged inside its window is always reverted and its
federation penalised, whatever the lying defender does; bonds are paid once and conserved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import disputebuilder as db
from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from conformance.generators.masternode import LABELS, funded_list, slashing_registry
from spec.chain.state import penalise_federations
from spec.encoding import decode, encode
from spec.errors import (
    BadPegPayout,
    DisputeBondTooSmall,
    DisputeHeaderMismatch,
    DisputeUnknownGame,
    DisputeWindowClosed,
    DisputeWrongTurn,
    EvmAddressError,
    InvalidEnumTag,
    SidechainBadMessageOutput,
    SpecError,
    StateItemBadValue,
)
from spec.ledger.transaction import TxOutput
from spec.ledger.utxo import UtxoEntry
from spec.masternode.quorum import QuorumType
from spec.masternode.registry import MasternodeList, MasternodeStatus
from spec.masternode.slashing import burnt_collaterals
from spec.presets import DEVNET
from spec.sidechain.chain import FEE_SINKS, vm_table
from spec.sidechain.dispute import Party, max_moves
from spec.sidechain.games import (
    MOVE_BISECT,
    DisputeMoveMessage,
    DisputeOpenMessage,
    Penalty,
    compute_expiry,
    decode_move_message,
    decode_open_message,
    game_codecs,
    is_expired,
    on_chain_params,
)
from spec.sidechain.header import BlockCredit, encode_sidechain_header
from spec.sidechain.items import NEXT_GAME_CODEC, sidechain_items, sidechains_from_items
from spec.sidechain.registry import SidechainsState, total_escrow
from spec.sidechain.transactions import match_sidechain_message, sidechain_message_script
from spec.vm.interface import VmKind
from tests.hypothesis_profiles import examples

PRESET = DEVNET
NEXT = decode(NEXT_GAME_CODEC, (1).to_bytes(8, "big"))
BOND = PRESET.dispute.min_challenger_bond
CLOCK = PRESET.dispute.clock_blocks
CREDITS = st.builds(BlockCredit, st.binary(max_size=64), st.integers(0, 10**12))


def decode_open(output: TxOutput) -> DisputeOpenMessage:
    message = match_sidechain_message(output.script_pubkey, PRESET)
    assert isinstance(message, DisputeOpenMessage)
    return message


def _opened(sc: gc.Scenario, **opening: object) -> SidechainsState:
    state = gc.initial(sc.spec)
    for height, outputs in gc.checkpoint_blocks(sc):
        state = gc.apply(state, height, outputs, PRESET).state
    output = gc.opening(sc, bond=BOND, preset=PRESET)
    if opening:
        message = decode_open(output)
        output = sb.message_output(replace(message, **opening), output.value, PRESET)  # type: ignore[arg-type]
    return gc.apply(state, gc.CHECKPOINT_1_AT + 1, [[output]], PRESET).state


def test_a_fraudulent_checkpoint_is_reverted_move_by_move() -> None:
    """Open, bisect, one-step, revert: the lying federation's checkpoint leaves the record, its
    quorum is named for the penalty, the challenger's bond is paid once and the sidechain resumes."""
    sc = gc.scenario(5, PRESET, federation_lies_at=(2, 3, 4))
    played = gc.play(sc, PRESET)
    penalties = [p for r in played.results for p in r.penalties]
    assert penalties == [
        Penalty(gc.SPEC_G.sidechain_id, QuorumType.FINALITY, gc.CHECKPOINT_1_AT, 0, gc.CHALLENGER_PAYEE)
    ]
    assert [c.height for c in played.state.chains[gc.SPEC_G.sidechain_id].checkpoints] == [0]
    moves = len(played.blocks) - 4  # checkpoints, opening, bond claim
    assert moves <= max_moves(5)
    assert played.results[-1].released[1] == BOND  # the claim releases the bond into its transaction
    assert not played.state.games and not played.state.bond_payouts
    with pytest.raises(DisputeUnknownGame):  # paid once
        gc.apply(played.state, played.blocks[-1][0] + 1, [gc.bond_claim(0, BOND, PRESET)], PRESET)
    honest = gc.scenario(5, PRESET)
    resumed = gc.apply(
        played.state, played.blocks[-1][0] + 1, [[sb.message_output(honest.checkpoint_1)]], PRESET
    )
    assert len(resumed.state.chains[gc.SPEC_G.sidechain_id].checkpoints) == 2


def test_an_honest_defender_keeps_the_checkpoint_and_the_bond_is_forfeited() -> None:
    sc = gc.scenario(6, PRESET, challenger_lies_at=(5,))
    played = gc.play(sc, PRESET)
    assert not any(r.penalties for r in played.results)
    assert len(played.state.chains[gc.SPEC_G.sidechain_id].checkpoints) == 2
    assert not played.state.games and not played.state.bond_payouts


def test_a_silent_defender_loses_at_its_deadline() -> None:
    """SC-DSP-16: no claim is needed: the first block past the deadline ends the game."""
    sc = gc.scenario(3, PRESET, federation_lies_at=(0, 2))
    state = _opened(sc)
    game = state.games[0].game
    expiry = compute_expiry(game, on_chain_params(PRESET.dispute))
    assert expiry == gc.CHECKPOINT_1_AT + 1 + PRESET.dispute.move_blocks + 1
    still = gc.apply(state, expiry - 1, [], PRESET)
    assert 0 in still.state.games and not still.penalties
    ended = gc.apply(state, expiry, [], PRESET)
    assert not ended.state.games and ended.penalties
    assert ended.state.bond_payouts[0].amount == BOND
    kind, data = gc.honest_move(sc, game, PRESET)
    with pytest.raises(DisputeUnknownGame):
        gc.apply(ended.state, expiry, [[gc.move_output(0, Party.DEFENDER, kind, data, PRESET)]], PRESET)


def test_invalid_openings_and_moves_have_their_codes() -> None:
    sc = gc.scenario(4, PRESET, federation_lies_at=(3,))
    state = gc.initial()
    for height, outputs in gc.checkpoint_blocks(sc):
        state = gc.apply(state, height, outputs, PRESET).state
    at = gc.CHECKPOINT_1_AT + 1
    good = gc.opening(sc, bond=BOND, preset=PRESET)
    message = decode_open(good)

    def open_with(value: int = BOND, **changes: object) -> list[Sequence[TxOutput]]:
        return [[sb.message_output(replace(message, **changes), value, PRESET)]]  # type: ignore[arg-type]

    cases: list[tuple[type[Exception], int, list[Sequence[TxOutput]]]] = [
        (DisputeBondTooSmall, at, open_with(BOND - 1)),
        (SidechainBadMessageOutput, at, open_with(0)),
        (DisputeHeaderMismatch, at, open_with(header=replace(sc.block.header, timestamp=1))),
        (DisputeHeaderMismatch, at, open_with(parent_header=encode_sidechain_header(sc.block.header))),
        (DisputeWindowClosed, gc.CHECKPOINT_1_AT + gc.SPEC_G.challenge_period, open_with()),
    ]
    for error, height, outputs in cases:
        with pytest.raises(error):
            gc.apply(state, height, outputs, PRESET)
    opened = gc.apply(state, at, [[good]], PRESET).state
    game = opened.games[0].game
    kind, data = gc.honest_move(sc, game, PRESET)
    move_cases: list[tuple[type[Exception], int, object]] = [
        (DisputeWrongTurn, at + 1, gc.move_output(0, Party.CHALLENGER, kind, data, PRESET)),
        (DisputeUnknownGame, at + 1, gc.move_output(1, Party.DEFENDER, kind, data, PRESET)),
        (InvalidEnumTag, at + 1, gc.move_output(0, 2, kind, data, PRESET)),  # type: ignore[arg-type]
        (InvalidEnumTag, at + 1, gc.move_output(0, Party.DEFENDER, 9, data, PRESET)),
        # on chain a late move finds the game already ended by SC-DSP-16's timeout
        (DisputeUnknownGame, at + PRESET.dispute.move_blocks + 1, gc.move_output(0, 0, kind, data, PRESET)),  # type: ignore[arg-type]
    ]
    for error, height, output in move_cases:
        with pytest.raises(error):
            gc.apply(opened, height, [[output]], PRESET)  # type: ignore[list-item]
    with pytest.raises(DisputeUnknownGame):
        gc.apply(opened, at + 1, [gc.bond_claim(0, BOND, PRESET)], PRESET)


def test_a_bond_claim_must_pay_the_payee_exactly() -> None:
    sc = gc.scenario(2, PRESET, federation_lies_at=(1,))
    played = gc.play(sc, PRESET)
    before_claim = played.results[-2].state
    height = played.blocks[-1][0]
    claim, payout = gc.bond_claim(0, BOND, PRESET)
    for wrong in (replace(payout, value=BOND - 1), replace(payout, script_pubkey=b"\x51")):
        with pytest.raises(BadPegPayout):
            gc.apply(before_claim, height, [[claim, wrong]], PRESET)
    with pytest.raises(BadPegPayout):
        gc.apply(before_claim, height, [[claim]], PRESET)


def test_messages_round_trip_canonically() -> None:
    sc = gc.scenario(2, PRESET, federation_lies_at=(1,))
    opening = gc.opening(sc, bond=BOND, preset=PRESET)
    message = decode_open(opening)
    assert sidechain_message_script(message, PRESET) == opening.script_pubkey
    body = encode(game_codecs(PRESET).open, message)
    assert decode_open_message(body, PRESET) == message
    move = gc.move_output(7, Party.CHALLENGER, MOVE_BISECT, b"\x01\x02", PRESET)
    decoded = match_sidechain_message(move.script_pubkey, PRESET)
    assert isinstance(decoded, DisputeMoveMessage)
    assert decode_move_message(encode(game_codecs(PRESET).move, decoded), PRESET) == decoded


def test_a_lost_game_slashes_the_federation_in_the_transition_step() -> None:
    """SC-DSP-13/17: ``penalise_federations`` slashes every member of the quorum in charge; SC-DSP-25:
    it lists the collateral values each penalty newly slashed (none for a second penalty of the
    same quorum, nor for a quorum without a record)."""
    registry = slashing_registry(PRESET)
    interval = PRESET.masternodes.finality_quorum_interval
    record = registry.records[interval]
    before = funded_list(LABELS, PRESET)
    utxos = {
        outpoint: UtxoEntry(TxOutput(1_000 + index, b""), 0, False)
        for index, outpoint in enumerate(sorted(before.entries))
    }

    def penalise(*penalties: Penalty) -> tuple[MasternodeList, tuple[tuple[int, ...], ...]]:
        return penalise_federations(before, registry, penalties, PRESET, utxos)

    posted = next(
        h for h in range(interval, interval * 4)
        if penalise(Penalty(3, QuorumType.FINALITY, h, 0, b""))[0] != before
    )  # fmt: skip
    penalty = Penalty(3, QuorumType.FINALITY, posted, 0, b"")
    after, slashed = penalise(penalty, replace(penalty, claim_id=1))
    burnt = burnt_collaterals(before, after)
    assert {after.entries[o].operator_public_key for o in burnt} == set(record.members)
    assert all(after.entries[o].status is MasternodeStatus.SLASHED for o in burnt)
    assert sorted(slashed[0]) == sorted(utxos[o].output.value for o in burnt) and slashed[1] == ()
    assert penalise(replace(penalty, quorum_type=QuorumType.POSE)) == (before, ((),))


def _delay(draw: Callable[[st.SearchStrategy[Any]], Any], liar: Party) -> gc.Delay:
    """The liar's timing is drawn (silence included); the honest party moves within its deadline."""
    choices = draw(st.lists(st.one_of(st.none(), st.integers(1, 200)), min_size=1, max_size=12))
    cursor: Iterator[int | None] = iter(choices * 20)

    def delay(party: Party, game: object) -> int | None:
        if party is liar:
            return next(cursor)
        honest: int = draw(st.integers(1, PRESET.dispute.move_blocks))
        return honest

    return delay


@settings(max_examples=examples(25))
@given(data=st.data())
def test_an_honest_defender_never_loses_on_chain(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 9))  # 0: an empty block, its one credit step (SC-DSP-1)
    steps = max(n, 1)
    lies = data.draw(st.sets(st.integers(0, steps - 1), min_size=0, max_size=steps))
    lies |= {steps - 1}  # the challenger disputes the final root
    sc = gc.scenario(n, PRESET, challenger_lies_at=sorted(lies))
    # the challenger may misstate the block (SC-DSP-2): any count, any credits; only the header's
    # own statement opens a game, so no statement can make the honest defender's proofs fail
    stated = data.draw(
        st.one_of(st.none(), st.tuples(st.integers(0, 2 * n + 1), st.lists(CREDITS, max_size=3)))
    )
    if stated is not None and (stated[0], tuple(stated[1])) != (n, ()):
        with pytest.raises(SpecError) as raised:
            _opened(sc, tx_count=stated[0], credits=tuple(stated[1]))
        assert raised.value.code == "DSP_OPENING_MISMATCH"
        return
    played = gc.play(sc, PRESET, delay=_delay(data.draw, Party.CHALLENGER))
    assert not any(r.penalties for r in played.results)
    assert len(played.state.chains[gc.SPEC_G.sidechain_id].checkpoints) == 2
    assert not played.state.games and not played.state.bond_payouts  # the bond is forfeited
    assert played.blocks[-1][0] - played.blocks[2][0] <= 2 * CLOCK + 1


@settings(max_examples=examples(25))
@given(data=st.data())
def test_a_fraudulent_checkpoint_challenged_in_the_window_is_reverted(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 9))
    lies = data.draw(st.sets(st.integers(0, n - 1), min_size=0, max_size=n))
    lies |= {n - 1}
    sc = gc.scenario(n, PRESET, federation_lies_at=sorted(lies))
    open_at = data.draw(st.integers(gc.CHECKPOINT_1_AT, gc.CHECKPOINT_1_AT + gc.SPEC_G.challenge_period - 1))
    open_at = max(open_at, gc.CHECKPOINT_1_AT + 1)  # one block after the checkpoint's own
    bond = data.draw(st.integers(BOND, 3 * BOND))
    played = gc.play(sc, PRESET, open_at=open_at, bond=bond, delay=_delay(data.draw, Party.DEFENDER))
    penalties = [p for r in played.results for p in r.penalties]
    assert penalties == [
        Penalty(gc.SPEC_G.sidechain_id, QuorumType.FINALITY, gc.CHECKPOINT_1_AT, 0, gc.CHALLENGER_PAYEE)
    ]
    assert [c.height for c in played.state.chains[gc.SPEC_G.sidechain_id].checkpoints] == [0]
    assert played.results[-1].released[1] == bond  # the challenger gets its whole bond back
    assert played.blocks[-2][0] - open_at <= 2 * CLOCK + 1


WITHDRAWN = 7_000
OUTBOX = (sb.withdrawal(WITHDRAWN), sb.message(sb.CHAIN_A, 3_000))
FUNDED = [(gc.ACTIVATION + 1, [[sb.deposit_output(gc.SPEC_G.sidechain_id, 10_000)]])]


@settings(max_examples=examples(20))
@given(data=st.data())
def test_a_reverted_checkpoint_never_paid_a_withdrawal(data: st.DataObject) -> None:
    """SC-DSP-19: whenever the game over checkpoint 1 is opened in its window and however long
    either side takes, a withdrawal or relay of checkpoint 1 tried at any height is refused until
    the game ends; a lying checkpoint is then reverted and never paid anything, an honest one pays."""
    fraud = data.draw(st.booleans())
    n = data.draw(st.integers(1, 6))
    lies = {"federation_lies_at": [n - 1]} if fraud else {"challenger_lies_at": [n - 1]}
    sc = gc.scenario(n, PRESET, outbox=OUTBOX, **lies)  # type: ignore[arg-type]
    period = gc.SPEC_G.challenge_period
    open_at = data.draw(st.integers(gc.CHECKPOINT_1_AT + 1, gc.CHECKPOINT_1_AT + period - 1))
    liar = Party.DEFENDER if fraud else Party.CHALLENGER
    played = gc.play(sc, PRESET, open_at=open_at, delay=_delay(data.draw, liar), prefix=FUNDED)
    end = played.blocks[-1][0]
    claim = list(sb.claim_outputs(sb.outbox_proof(gc.SPEC_G, 1, OUTBOX, 0)))
    relay = [sb.relay_output(sb.outbox_proof(gc.SPEC_G, 1, OUTBOX, 1))]
    tries = data.draw(st.lists(st.integers(gc.CHECKPOINT_1_AT + 1, end), min_size=1, max_size=6))
    for height in tries:
        before = [r.state for (h, _), r in zip(played.blocks, played.results, strict=True) if h < height]
        running = [
            g
            for g in before[-1].games.values()
            if not is_expired(g.game, height, on_chain_params(PRESET.dispute))
        ]
        for outputs in (claim, relay):
            try:
                gc.apply(before[-1], height, [outputs], PRESET)
            except SpecError as error:
                if height < gc.CHECKPOINT_1_AT + period:
                    assert error.code == "SC_CHALLENGE_PERIOD"
                elif running:
                    assert error.code == "SC_UNDER_DISPUTE"
                else:
                    assert fraud and error.code == "SC_UNKNOWN_CHECKPOINT"
            else:  # paid: only an honest checkpoint, matured, once its game has ended
                assert not fraud and height >= gc.CHECKPOINT_1_AT + period and not running
    escrow = played.state.chains[gc.SPEC_G.sidechain_id].escrow
    if fraud:
        assert [c.height for c in played.state.chains[gc.SPEC_G.sidechain_id].checkpoints] == [0]
        with pytest.raises(SpecError, match="SC_UNKNOWN_CHECKPOINT"):
            gc.apply(played.state, end + 1, [claim], PRESET)
        assert escrow == 10_000 and not played.state.spent_withdrawals
    else:
        after = gc.apply(played.state, max(end + 1, gc.CHECKPOINT_1_AT + period), [claim, relay], PRESET)
        assert after.state.chains[gc.SPEC_G.sidechain_id].escrow == escrow - 10_000
        assert after.released == (0, WITHDRAWN, 0)


ACKED = (sb.CHAIN_A, 0, 0)
"""SC-MSG-3: a message from A (checkpoint 0 posted at 10) relayed at 13 to the game sidechain,
whose checkpoint 1 (cursor 13, posted at 16) acknowledges it."""
ACK_OUTBOX = (sb.message(gc.SPEC_G.sidechain_id, 3_000),)
ACK_PREFIX = [
    (gc.ACTIVATION, [[sb.deposit_output(sb.CHAIN_A, 3_000)],
                     [sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 0, ACK_OUTBOX))]]),
    (13, [[sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, ACK_OUTBOX, 0))]]),
]  # fmt: skip
ACK_POSTED = (14, 16)


@settings(max_examples=examples(20))
@given(data=st.data())
def test_a_reverted_checkpoint_never_acknowledged_a_message_for_good(data: st.DataObject) -> None:
    """SC-MSG-3 with SC-DSP-12/19: the message checkpoint 1 acknowledges leaves the pending set only
    once that checkpoint is matured with no open game; a lying checkpoint 1, reverted, never
    acknowledged it for good (it stays pending and is refunded once); refunds tried at any height
    are refused while a standing checkpoint acknowledges it; supply and escrows are conserved."""
    fraud = data.draw(st.booleans())
    n = data.draw(st.integers(1, 5))
    lies = {"federation_lies_at": [n - 1]} if fraud else {"challenger_lies_at": [n - 1]}
    sc = gc.scenario(n, PRESET, cursor=13, **lies)  # type: ignore[arg-type]
    period, settles = gc.SPEC_G.challenge_period, ACK_POSTED[1] + gc.SPEC_G.challenge_period
    open_at = data.draw(st.integers(ACK_POSTED[1] + 1, ACK_POSTED[1] + period - 1))
    liar = Party.DEFENDER if fraud else Party.CHALLENGER
    delay = _delay(data.draw, liar)
    played = gc.play(sc, PRESET, open_at=open_at, delay=delay, prefix=ACK_PREFIX, checkpoints_at=ACK_POSTED)
    total = 3_000  # A's deposit; the bond is no escrow and relays move value between escrows
    for (height, _), result in zip(played.blocks, played.results, strict=True):
        if height < 13:
            continue
        state = result.state
        if ACKED not in state.pending_messages:  # acknowledged for good: never by a reverted checkpoint
            assert not fraud and height >= settles and not state.games
        assert total_escrow(state) == total
    end = played.blocks[-1][0]
    refund = [sb.refund_output(*ACKED)]
    tries = data.draw(st.lists(st.integers(ACK_POSTED[1] + 1, end + period), min_size=1, max_size=5))
    for height in tries:
        before = [r.state for (h, _), r in zip(played.blocks, played.results, strict=True) if h < height][-1]
        at_messages = gc.apply(before, height, [], PRESET).state  # timeouts and settlements run first
        standing = len(at_messages.chains[gc.SPEC_G.sidechain_id].checkpoints) == 2
        try:
            after = gc.apply(before, height, [refund], PRESET)
        except SpecError as error:
            if ACKED not in at_messages.pending_messages:
                assert error.code == "SC_MESSAGE_NOT_PENDING" and not fraud and height >= settles
            else:
                assert error.code == "SC_MESSAGE_ACKNOWLEDGED" and standing
        else:  # refunded: only a message whose acknowledging checkpoint was reverted
            assert fraud and not standing and height >= 13 + gc.SPEC_G.message_timeout
            assert after.inbound[0].sidechain_id == sb.CHAIN_A and after.inbound[0].amount == 3_000
            assert total_escrow(after.state) == total_escrow(before)
    final = gc.apply(played.state, max(end + 1, settles), [], PRESET).state
    assert (ACKED in final.pending_messages) == fraud


def test_games_and_bonds_are_committed_state_items() -> None:
    """SC-STATE-1 kinds 0x15..0x17: every state of a whole game round-trips through its items, and
    ``getproof`` names each of their keys."""
    from reference.rpc import SIDECHAIN_ITEM_KINDS, state_item_key
    from spec.chain.layout import StateLayout

    played = gc.play(gc.scenario(5, PRESET, federation_lies_at=(2, 3, 4)), PRESET)
    names = {kind: name for name, kind in SIDECHAIN_ITEM_KINDS.items()}
    seen: set[int] = set()
    for result in played.results:
        items = sidechain_items(result.state)
        assert sidechains_from_items(items) == result.state
        for key in items:
            seen.add(key[0])
            parts = [int.from_bytes(key[i : i + 8], "big") for i in range(1, len(key), 8)]
            assert state_item_key([names[key[0]], *parts], StateLayout.FULL, PRESET) == key
    assert {0x15, 0x16, 0x17} <= seen
    zero = {bytes([0x17]): encode(NEXT_GAME_CODEC, replace(NEXT, next_game=0))}
    with pytest.raises(StateItemBadValue):
        sidechains_from_items(zero)


@pytest.mark.parametrize("vm", [VmKind.EVM, VmKind.WASM])
def test_evm_and_wasm_games_execute_under_the_kinds_fee_sink(vm: VmKind) -> None:
    """SC-DSP-14: an on-chain game re-executes under SCB-3's context, the kind's fee sink included
    (an EVM transaction under an empty fee recipient is invalid), so an honest defender of an EVM or
    WASM checkpoint wins and a lying federation's checkpoint is reverted."""
    sc = gc.scenario(4, PRESET, challenger_lies_at=(3,), vm=vm)
    game = _opened(sc).games[0].game
    assert game.opening.fee_recipient == FEE_SINKS[vm] == vm_table(PRESET)[vm].fee_recipient
    assert game.opening.gas_limit == vm_table(PRESET)[vm].max_tx_gas
    assert game.opening.vm_kind == vm
    played = gc.play(sc, PRESET)
    assert not any(r.penalties for r in played.results)
    assert len(played.state.chains[gc.SPEC_G.sidechain_id].checkpoints) == 2
    assert not played.state.games and not played.state.bond_payouts
    fraud = gc.play(gc.scenario(4, PRESET, federation_lies_at=(1, 2, 3), vm=vm), PRESET)
    penalties = [p for r in fraud.results for p in r.penalties]
    assert penalties == [
        Penalty(gc.SPEC_G.sidechain_id, QuorumType.FINALITY, gc.CHECKPOINT_1_AT, 0, gc.CHALLENGER_PAYEE)
    ]
    assert [c.height for c in fraud.state.chains[gc.SPEC_G.sidechain_id].checkpoints] == [0]
    if vm is VmKind.EVM:
        with pytest.raises(EvmAddressError):  # the context an empty fee recipient would give
            db.one_step_proof(sc.block, replace(game, opening=replace(game.opening, fee_recipient=b"")))
