"""Vectors of dispute games played in mainchain blocks (flow ``peg``, handler ``apply_blocks``;
SC-DSP-14..18, spec/sidechain/games.py).

Whole games move by move (a fraudulent checkpoint reverted after bisection and the one-step proof,
an honest defender keeping its checkpoint, a silent defender losing at its deadline, a game over
checkpoint 0 whose parent is the empty genesis state, a game cancelled and refunded when another over
the same checkpoint reverts it, a game expiring while an earlier one still runs), each block's
penalties and the games and payable bonds in the state; invalid cases are a valid prefix plus one
rejected block, each naming its code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from conformance import disputebuilder as db
from conformance import gamechain as gc
from conformance import sidechainbuilder as sb
from conformance.handlers.sidechain import spec_json
from conformance.model import JSON, CaseSpec
from spec.ledger.transaction import Transaction, TxOutput, encode_transaction
from spec.masternode.quorum import QuorumType
from spec.merkle import merkle_root
from spec.presets import Preset
from spec.sidechain.dispute import BisectMove, Party, encode_bisect_move, encode_one_step_proof
from spec.sidechain.games import (
    MOVE_BISECT,
    MOVE_ONE_STEP,
    DisputeOpenMessage,
    compute_expiry,
    compute_winner_reward,
    on_chain_params,
)
from spec.sidechain.header import BlockCredit, encode_sidechain_header
from spec.sidechain.registry import SidechainSpec
from spec.sidechain.transactions import match_sidechain_message
from spec.vm.interface import StateWitness, VmKind, encode_witness

FORK = "sidechains"
Blocks = list[tuple[int, Sequence[Sequence[TxOutput]]]]


def _case(case: str, description: str, data: dict[str, JSON], error: str | None = None) -> CaseSpec:
    return CaseSpec("apply_blocks", case, description, data, expect_error=error, fork=FORK)


def _data(
    preset: Preset, blocks: Blocks, game_spec: SidechainSpec = gc.SPEC_G, items_at: Sequence[int] = ()
) -> dict[str, JSON]:
    out: list[JSON] = []
    for height, txs in blocks:
        transactions: tuple[Transaction, ...] = sb.block(height, *txs)
        block: dict[str, JSON] = {
            "height": height,
            "transactions": [encode_transaction(t, preset).hex() for t in transactions],
        }
        if height in items_at:
            block["items"] = True
        out.append(block)
    return {
        "sidechains": [spec_json(s) for s in (sb.SPEC_A, sb.SPEC_B, game_spec)],
        "activation_height": gc.ACTIVATION,
        "keys": {str(t): sb.federation_public(t).hex() for t in (QuorumType.FINALITY, QuorumType.POSE)},
        "blocks": out,
    }


def _played(played: gc.Played) -> Blocks:
    return [(height, list(outputs)) for height, outputs in played.blocks]


def _opening(sc: gc.Scenario, preset: Preset, value: int | None = None, **changes: object) -> TxOutput:
    output = gc.opening(sc, bond=preset.dispute.min_challenger_bond, preset=preset)
    message = match_sidechain_message(output.script_pubkey, preset)
    assert isinstance(message, DisputeOpenMessage)
    changed = replace(message, **changes)  # type: ignore[arg-type]
    return sb.message_output(changed, output.value if value is None else value, preset)


def generate_dispute_games(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-14..18 vectors for ``preset``."""
    bond = preset.dispute.min_challenger_bond
    fraud = gc.scenario(5, preset, federation_lies_at=(2, 3, 4))
    played = gc.play(fraud, preset)
    honest = gc.scenario(5, preset)
    after = played.blocks[-1][0] + 1
    yield _case(
        "game_fraud_reverted",
        "SC-DSP-14..18: a game over a lying federation's checkpoint 1 (5 transfers, trace wrong from "
        "transaction 2): opening with a bond, bisection moves, the one-step proof re-executes "
        "transaction 2 and the challenger wins: checkpoint 1 reverted, the finality quorum penalised, "
        "the bond claimed back; then an honest checkpoint 1 resumes the sidechain",
        _data(preset, [*_played(played), (after, [[sb.message_output(honest.checkpoint_1)]])]),
    )
    played_honest = gc.play(gc.scenario(6, preset, challenger_lies_at=(5,)), preset)
    yield _case(
        "game_honest_defender",
        "SC-DSP-14..17: a challenger that disputes an honest checkpoint (6 transfers, it lies about "
        "the last root) loses at the one-step proof: nothing reverted, nobody penalised, its bond "
        "forfeited",
        _data(preset, _played(played_honest)),
    )
    silent = gc.play(
        gc.scenario(3, preset, federation_lies_at=(0, 2)), preset, delay=lambda party, game: None
    )
    yield _case(
        "game_defender_timeout",
        "SC-DSP-16: the defender never moves: the first block after its deadline (opening + "
        "move_blocks + 1) ends the game by timeout without any claim; checkpoint 1 reverted",
        _data(preset, _played(silent)),
    )
    late = gc.play(
        gc.scenario(4, preset, federation_lies_at=(3,)),
        preset,
        delay=lambda party, game: preset.dispute.move_blocks if party is Party.DEFENDER else 1,
    )
    yield _case(
        "game_moves_at_deadlines",
        "SC-DSP-4/16: the defender moves at the last height of each deadline (accepted), charged to "
        "its clock; the challenger answers at once",
        _data(preset, _played(late)),
    )

    for vm in (VmKind.EVM, VmKind.WASM):
        name = vm.name.lower()
        spec = gc.SPECS[vm]
        defended = gc.play(gc.scenario(4, preset, challenger_lies_at=(3,), vm=vm), preset)
        yield _case(
            f"game_{name}_honest_defender",
            f"SC-DSP-14: a game over an honest {vm.name} checkpoint (4 transactions, the challenger "
            "lies about the last root): the one-step re-executes under SCB-3's context, the kind's "
            "fee sink (FEE_SINKS) included, so the defender's roots are the block's and it wins: "
            "nothing reverted, nobody penalised, the bond forfeited",
            _data(preset, _played(defended), spec),
        )
        reverted = gc.play(gc.scenario(4, preset, federation_lies_at=(1, 2, 3), vm=vm), preset)
        yield _case(
            f"game_{name}_fraud_reverted",
            f"SC-DSP-14..18: a lying federation's {vm.name} checkpoint 1 (trace wrong from "
            "transaction 1) is reverted by the one-step proof, the quorum penalised, the bond claimed",
            _data(preset, _played(reverted), spec),
        )

    yield from _empty_blocks(preset)
    yield from _first_checkpoint_and_cancelled(preset)
    yield from _claims_wait_for_games(preset)
    yield from _acknowledgements_wait_for_games(preset)

    # ---- invalid: a valid prefix, then one rejected block ----------------------------------
    prefix: Blocks = [(h, list(o)) for h, o in gc.checkpoint_blocks(fraud)]
    at = gc.CHECKPOINT_1_AT + 1
    opening_cases: list[tuple[str, str, int, TxOutput, str]] = [
        ("game_open_bond_too_small", "SC-DSP-2: a bond below the minimum", at,
         _opening(fraud, preset, bond - 1), "DSP_BOND_TOO_SMALL"),
        ("game_open_no_bond", "SC-TX-1: an opening output carries no value", at,
         _opening(fraud, preset, 0), "SC_BAD_MESSAGE_OUTPUT"),
        ("game_open_header_mismatch", "SC-DSP-14: the header is not the accepted checkpoint's", at,
         _opening(fraud, preset, header=replace(fraud.block.header, timestamp=1)), "DSP_HEADER_MISMATCH"),
        ("game_open_parent_mismatch", "SC-DSP-14: the parent header is not checkpoint 0's", at,
         _opening(fraud, preset, parent_header=encode_sidechain_header(fraud.block.header)),
         "DSP_HEADER_MISMATCH"),
        ("game_open_window_closed", "SC-DSP-11: opened when checkpoint 1's challenge period is over",
         gc.CHECKPOINT_1_AT + gc.SPEC_G.challenge_period, _opening(fraud, preset), "DSP_WINDOW_CLOSED"),
        ("game_open_unknown_checkpoint", "SC-DSP-11: no checkpoint 2 is accepted", at,
         _opening(fraud, preset, header=replace(fraud.block.header, height=2)), "SC_UNKNOWN_CHECKPOINT"),
        ("game_open_no_disagreement", "SC-DSP-2: the challenger's final root is the checkpoint's", at,
         _opening(fraud, preset, challenger_final_root=fraud.block.header.state_root),
         "DSP_NO_DISAGREEMENT"),
        ("game_open_tx_count_zero", "SC-DSP-2: an opening stating zero transactions for a block "
         "of five (the credit step alone): not the header's tx_count", at,
         _opening(fraud, preset, tx_count=0), "DSP_OPENING_MISMATCH"),
        ("game_open_tx_count_mismatch_and_no_disagreement", "SC-DSP-2's order: a misstated "
         "tx_count and the checkpoint's own final root: the statement is checked first", at,
         _opening(fraud, preset, tx_count=4, challenger_final_root=fraud.block.header.state_root),
         "DSP_OPENING_MISMATCH"),
        ("game_open_tx_count_mismatch", "SC-DSP-2: the challenger states one transaction fewer than "
         "the header's tx_count (SC-HDR-1)", at,
         _opening(fraud, preset, tx_count=fraud.block.header.tx_count - 1), "DSP_OPENING_MISMATCH"),
        ("game_open_credits_mismatch", "SC-DSP-2: the challenger states a credit the header's "
         "credits_root does not hold (SC-HDR-1)", at,
         _opening(fraud, preset, credits=(BlockCredit(b"\x01" * 32, 1),)), "DSP_OPENING_MISMATCH"),
    ]  # fmt: skip
    for name, description, height, output, code in opening_cases:
        yield _case(name, description, _data(preset, [*prefix, (height, [[output]])]), code)

    opened: Blocks = [*prefix, (at, [[gc.opening(fraud, bond=bond, preset=preset)]])]
    state = gc.initial()
    for height, outputs in opened:
        state = gc.apply(state, height, outputs, preset).state
    game = state.games[0].game
    kind, data = gc.honest_move(fraud, game, preset)
    bisect = BisectMove(3, fraud.defender_roots[2], ())
    move_cases: list[tuple[str, str, int, TxOutput, str]] = [
        ("game_move_wrong_turn", "SC-DSP-3: the challenger moves when the defender is to move",
         at + 1, gc.move_output(0, Party.CHALLENGER, kind, data, preset), "DSP_WRONG_TURN"),
        ("game_move_unknown_game", "SC-DSP-15: a move in a game that was never opened",
         at + 1, gc.move_output(1, Party.DEFENDER, kind, data, preset), "DSP_UNKNOWN_GAME"),
        ("game_move_after_deadline", "SC-DSP-16: the game ended by timeout before a late move",
         at + preset.dispute.move_blocks + 1, gc.move_output(0, Party.DEFENDER, kind, data, preset),
         "DSP_UNKNOWN_GAME"),
        ("game_move_bad_party", "SC-DSP-15: party 2 is neither side",
         at + 1, gc.move_output(0, 2, kind, data, preset), "DECODE_INVALID_TAG"),  # type: ignore[arg-type]
        ("game_move_bad_kind", "SC-DSP-15: move kind 2 is unknown",
         at + 1, gc.move_output(0, Party.DEFENDER, 2, data, preset), "DECODE_INVALID_TAG"),
        ("game_move_not_midpoint", "SC-DSP-3: the defender bisects at 3, the midpoint of (0, 5) is 2",
         at + 1, gc.move_output(0, Party.DEFENDER, MOVE_BISECT, encode_bisect_move(bisect), preset),
         "DSP_BISECTION_POINT"),
        ("game_move_bad_proof", "SC-DSP-3: the defender's root at 2 without its Merkle proof",
         at + 1, gc.move_output(0, Party.DEFENDER, MOVE_BISECT,
                                encode_bisect_move(replace(bisect, position=2)), preset),
         "DSP_PROOF_INVALID"),
        ("game_move_early_one_step", "SC-DSP-5: a one-step proof while the interval is (0, 5)",
         at + 1, gc.move_output(0, Party.DEFENDER, MOVE_ONE_STEP, encode_one_step_proof(
             db.one_step_proof(
                 fraud.block, replace(game, lo=1, hi=2, agreed_root=fraud.block.trace[1]))), preset),
         "DSP_WRONG_TURN"),
        ("game_move_truncated", "SC-DSP-10: the move's data is not a canonical bisection move",
         at + 1, gc.move_output(0, Party.DEFENDER, MOVE_BISECT, data[:-1], preset), "DECODE_TRUNCATED"),
    ]  # fmt: skip
    for name, description, height, output, code in move_cases:
        yield _case(name, description, _data(preset, [*opened, (height, [[output]])]), code)

    ended = _played(played)
    claim_at = ended[-1][0]
    claim, payout = gc.bond_claim(0, bond, preset)
    yield _case(
        "game_bond_claimed_twice",
        "SC-DSP-18: the challenger's bond is paid once",
        _data(preset, [*ended, (claim_at + 1, [[claim, payout]])]),
        "DSP_UNKNOWN_GAME",
    )
    yield _case(
        "game_bond_claim_wrong_payout",
        "SC-DSP-18: the output after a bond claim pays one atom less than the bond",
        _data(preset, [*ended[:-1], (claim_at, [[claim, replace(payout, value=bond - 1)]])]),
        "SC_BAD_PAYOUT",
    )
    yield _case(
        "game_bond_claim_no_payout",
        "SC-DSP-18: a bond claim that is its transaction's last output, with no payout after it",
        _data(preset, [*ended[:-1], (claim_at, [[claim]])]),
        "SC_BAD_PAYOUT",
    )
    yield from _reward_cases(preset, ended, bond)
    yield _case(
        "game_bond_claim_running_game",
        "SC-DSP-18: no bond is payable while the game runs",
        _data(preset, [*opened, (at + 1, [[claim, payout]])]),
        "DSP_UNKNOWN_GAME",
    )


EMPTY_BLOCK_DEPOSIT_AT = gc.CHECKPOINT_0_AT - 1


def empty_block_credits(vm: VmKind) -> tuple[BlockCredit, ...]:
    """The deposits (at :data:`EMPTY_BLOCK_DEPOSIT_AT`) an empty block 1 of ``vm`` credits: an
    account of the kind, and a recipient the kind cannot credit (refunded: no state change)."""
    recipient = {
        VmKind.FERRIS: db.ferris_accounts()[1],
        VmKind.EVM: b"\x42" * 20,
        VmKind.WASM: b"\x33" * 32,
    }[vm]
    return (BlockCredit(recipient, 900_000), BlockCredit(b"\x01" * 7, 5_000))


def empty_block_scenario(
    preset: Preset,
    vm: VmKind,
    *,
    federation_lies_at: Sequence[int] = (),
    challenger_lies_at: Sequence[int] = (),
) -> tuple[gc.Scenario, Blocks]:
    """Checkpoint 1 over a block of deposits and no transactions (its cursor takes the deposits of
    :data:`EMPTY_BLOCK_DEPOSIT_AT`), and the block posting those deposits."""
    credits = empty_block_credits(vm)
    sc = gc.scenario(
        0,
        preset,
        vm=vm,
        credits=credits,
        cursor=EMPTY_BLOCK_DEPOSIT_AT,
        federation_lies_at=federation_lies_at,
        challenger_lies_at=challenger_lies_at,
    )
    deposits = [[sb.deposit_output(gc.SPECS[vm].sidechain_id, c.amount, c.recipient)] for c in credits]
    return sc, [(EMPTY_BLOCK_DEPOSIT_AT, deposits)]


def _empty_blocks(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-1/5 (issue 16): games over a block with credits and no transactions: one credit step."""
    for vm in VmKind:
        name = vm.name.lower()
        sc, deposits = empty_block_scenario(preset, vm, federation_lies_at=(0,))
        played = gc.play(sc, preset, prefix=deposits)
        yield _case(
            f"game_{name}_empty_block_fraud_reverted",
            f"SC-DSP-1/5: a {vm.name} block with two deposits (one refunded) and no transactions "
            "whose state root is not the root after its credits: the game is the one credit step "
            "(interval (0, 1)); the defender's one-step proof re-executes the credits from the "
            "witness of r_0 to another root: checkpoint 1 reverted, the quorum penalised, the bond "
            "claimed",
            _data(preset, _played(played), gc.SPECS[vm]),
        )
    sc, deposits = empty_block_scenario(preset, VmKind.FERRIS, challenger_lies_at=(0,))
    yield _case(
        "game_empty_block_honest_defender",
        "SC-DSP-1/5: a challenger disputes an honest FerrisScript block of deposits and no "
        "transactions: the credit step's one-step proof re-executes to the defender's state root, "
        "the challenger's bond is forfeited",
        _data(preset, _played(gc.play(sc, preset, prefix=deposits))),
    )
    silent = gc.play(
        empty_block_scenario(preset, VmKind.FERRIS, federation_lies_at=(0,))[0],
        preset,
        prefix=deposits,
        delay=lambda party, game: None,
    )
    yield _case(
        "game_empty_block_defender_timeout",
        "SC-DSP-4/16: the defender of a forged empty block never proves its credit step: the game "
        "ends by timeout, checkpoint 1 reverted",
        _data(preset, _played(silent)),
    )
    fraud, _ = empty_block_scenario(preset, VmKind.FERRIS, federation_lies_at=(0,))
    at = gc.CHECKPOINT_1_AT + 1
    opened: Blocks = [
        *deposits,
        *[(h, list(o)) for h, o in gc.checkpoint_blocks(fraud)],
        (at, [[gc.opening(fraud, bond=preset.dispute.min_challenger_bond, preset=preset)]]),
    ]
    state = gc.initial()
    for height, outputs in opened:
        state = gc.apply(state, height, outputs, preset).state
    game = state.games[0].game
    assert (game.lo, game.hi) == (0, 1)
    proof = db.one_step_proof(fraud.block, game)
    other = gc.scenario(1, preset)
    cases = [
        ("game_empty_block_one_step_with_tx", "SC-DSP-5: the credit step's proof carries a "
         "transaction (the block has none)", replace(proof, tx=other.block.txs[0]), "DSP_EMPTY_TRACE"),
        ("game_empty_block_one_step_without_root", "SC-DSP-5: the credit step's witness holds no "
         "node of r_0", replace(proof, witness=encode_witness(StateWitness(()))),
         "DSP_WITNESS_ROOT_MISMATCH"),
        ("game_empty_block_bisect", "SC-DSP-3: a bisection in a one-step game", None, "DSP_WRONG_TURN"),
    ]  # fmt: skip
    for case, description, bad, code in cases:
        if bad is None:
            kind, data = MOVE_BISECT, encode_bisect_move(BisectMove(0, fraud.block.steps[0], ()))
        else:
            kind, data = MOVE_ONE_STEP, encode_one_step_proof(bad)
        output = gc.move_output(0, Party.DEFENDER, kind, data, preset)
        yield _case(case, description, _data(preset, [*opened, (at + 1, [[output]])]), code)


def with_slashed(data: dict[str, JSON], height: int, slashed: list[list[int]]) -> dict[str, JSON]:
    """``data`` whose block at ``height`` carries ``slashed`` (SC-DSP-25: the collaterals the
    mainchain transition newly slashed for each of its penalties)."""
    blocks = data["blocks"]
    assert isinstance(blocks, list)
    for block in blocks:
        assert isinstance(block, dict)
        if block["height"] == height:
            block["slashed"] = [list(values) for values in slashed]
    return data


def _reward_cases(preset: Preset, ended: Blocks, bond: int) -> Iterator[CaseSpec]:
    """SC-DSP-25 for a game: the reward joins the challenger's payable bond, claimed at once."""
    collateral = preset.masternodes.collateral
    params = preset.dispute
    settled_at, claim_at = ended[-2][0], ended[-1][0]
    reward, _ = compute_winner_reward([collateral, collateral], params.winner_reward, params.burn_share_bps)
    for name, description, amount, error in (
        (
            "game_reward_joins_the_bond",
            "SC-DSP-25: the lost game's penalty slashed two collaterals; the challenger's payable bond "
            "grows by min(winner_reward, collateral) less burn_share_bps, claimed in one output",
            bond + reward,
            None,
        ),
        (
            "game_reward_claimed_as_bond_only",
            "SC-DSP-25/18: a claim paying the bond alone, without the reward it now includes",
            bond,
            "SC_BAD_PAYOUT",
        ),
    ):
        blocks = [*ended[:-1], (claim_at, [gc.bond_claim(0, amount, preset)])]
        yield _case(
            name, description, with_slashed(_data(preset, blocks), settled_at, [[collateral] * 2]), error
        )


def _blocks_until_expiry(preset: Preset, blocks: Blocks, spec: SidechainSpec, game_id: int) -> Blocks:
    """``blocks``, then an empty block at game ``game_id``'s deadline (its defender is silent) and
    one with the bond claims the state then owes (game ids in order)."""
    state = gc.initial(spec)
    for height, outputs in blocks:
        state = gc.apply(state, height, outputs, preset).state
    expiry = compute_expiry(state.games[game_id].game, on_chain_params(preset.dispute))
    state = gc.apply(state, expiry, [], preset).state
    claims = [gc.bond_claim(key, payout.amount, preset) for key, payout in sorted(state.bond_payouts.items())]
    return [*blocks, (expiry, []), (expiry + 1, claims)]


def _claims_wait_for_games(preset: Preset) -> Iterator[CaseSpec]:
    """SC-DSP-19: a game opened in the last block of checkpoint 1's window outlasts its maturity;
    the withdrawal and the message of its outbox wait for the game's end (valid and invalid)."""
    spec = gc.SPEC_G
    withdrawn, relayed = 7_000, 3_000
    outbox = (sb.withdrawal(withdrawn), sb.message(sb.CHAIN_A, relayed))
    funded: Blocks = [(gc.ACTIVATION + 1, [[sb.deposit_output(spec.sidechain_id, withdrawn + relayed)]])]
    open_at = gc.CHECKPOINT_1_AT + spec.challenge_period - 1
    matured = open_at + 1
    claim = list(sb.claim_outputs(sb.outbox_proof(spec, 1, outbox, 0)))
    relay = [sb.relay_output(sb.outbox_proof(spec, 1, outbox, 1))]
    defended = gc.play(
        gc.scenario(4, preset, challenger_lies_at=(3,), outbox=outbox), preset, open_at=open_at, prefix=funded
    )
    opened = _played(defended)[: len(funded) + 3]
    yield _case(
        "game_claim_under_dispute",
        "SC-DSP-19: checkpoint 1 has matured but the game opened in the last block of its window "
        "is still open: its withdrawal waits",
        _data(preset, [*opened, (matured, [claim])]),
        "SC_UNDER_DISPUTE",
    )
    yield _case(
        "game_relay_under_dispute",
        "SC-DSP-19: the message of checkpoint 1's outbox is not relayed while the game is open",
        _data(preset, [*opened, (matured, [relay])]),
        "SC_UNDER_DISPUTE",
    )
    end = defended.blocks[-1][0]
    yield _case(
        "game_claims_after_defender_won",
        "SC-DSP-19: the honest defender won; the withdrawal and the message held during the game "
        "are paid and relayed in the next block",
        _data(preset, [*_played(defended), (end + 1, [claim, relay])]),
    )
    other_outbox = (sb.withdrawal(500),)
    a_0 = sb.genesis_checkpoint(sb.SPEC_A, 0)
    other: Blocks = [
        (gc.ACTIVATION, [[sb.deposit_output(sb.CHAIN_A, 500)], [sb.message_output(a_0)]]),
        (gc.ACTIVATION + 1, [[sb.message_output(sb.next_checkpoint(sb.SPEC_A, a_0, 0, other_outbox))]]),
    ]
    fraud = gc.play(gc.scenario(4, preset, federation_lies_at=(1, 2, 3)), preset, prefix=other)
    other_claim = list(sb.claim_outputs(sb.outbox_proof(sb.SPEC_A, 1, other_outbox, 0)))
    yield _case(
        "game_other_sidechain_claim_paid",
        "SC-DSP-19 holds the disputed sidechain only: while a game over the game sidechain's "
        "checkpoint 1 is open, sidechain A's matured checkpoint 1 pays its withdrawal",
        _data(preset, [*_played(fraud)[: len(other) + 3], (gc.CHECKPOINT_1_AT + 2, [other_claim])]),
    )
    reverted = gc.play(
        gc.scenario(4, preset, federation_lies_at=(1, 2, 3), outbox=outbox),
        preset,
        open_at=open_at,
        prefix=funded,
    )
    yield _case(
        "game_claim_after_revert",
        "SC-DSP-19 with SC-DSP-12: the withdrawal held during the game is never paid: the lying "
        "checkpoint 1 was reverted (its height no longer holds a checkpoint)",
        _data(preset, [*_played(reverted), (reverted.blocks[-1][0] + 1, [claim])]),
        "SC_UNKNOWN_CHECKPOINT",
    )


def _acknowledgements_wait_for_games(preset: Preset) -> Iterator[CaseSpec]:
    """SC-MSG-3 with SC-DSP-12/19: a message from A relayed to the game sidechain at 13 is
    acknowledged by its checkpoint 1 (cursor 13, posted at 16); the acknowledgement is held while
    a game could revert that checkpoint (valid and invalid)."""
    spec = gc.SPEC_G
    amount, relay_at, posted = 3_000, 13, (14, 16)
    outbox = (sb.message(spec.sidechain_id, amount),)
    prefix: Blocks = [
        (gc.ACTIVATION, [[sb.deposit_output(sb.CHAIN_A, amount)], [
            sb.message_output(sb.genesis_checkpoint(sb.SPEC_A, 0, outbox))]]),
        (relay_at, [[sb.relay_output(sb.outbox_proof(sb.SPEC_A, 0, outbox, 0))]]),
    ]  # fmt: skip
    refund = [sb.refund_output(sb.CHAIN_A, 0, 0)]
    fraud = gc.scenario(4, preset, federation_lies_at=(1, 2, 3), cursor=relay_at)
    honest = gc.scenario(4, preset, challenger_lies_at=(3,), cursor=relay_at)
    early, late = posted[1] + 1, posted[1] + spec.challenge_period - 1
    matured = late + 1

    def played(sc: gc.Scenario, open_at: int) -> Blocks:
        return _played(gc.play(sc, preset, open_at=open_at, prefix=prefix, checkpoints_at=posted))

    reverted = played(fraud, early)
    opened = reverted[: len(prefix) + 3]
    yield _case(
        "game_ack_refund_while_game_open",
        "SC-MSG-3/4, SC-DSP-19: the message is timed out (relayed at 13, timeout 4) but checkpoint "
        "1, whose cursor acknowledges it, is under an open game: the refund waits",
        _data(preset, [*opened, (early + 1, [refund])]),
        "SC_MESSAGE_ACKNOWLEDGED",
    )
    yield _case(
        "game_ack_reverted_refunded",
        "SC-MSG-3/4 with SC-DSP-12: the lying checkpoint 1 that acknowledged the message is "
        "reverted; the message stayed pending, so it is refunded and bounced to A: a reverted "
        "checkpoint never acknowledged it for good",
        _data(preset, [*reverted, (reverted[-1][0] + 1, [refund])]),
    )
    defended = played(honest, early)
    yield _case(
        "game_ack_held_after_defender_won",
        "SC-MSG-3: the honest defender won, but checkpoint 1 has not matured: its acknowledgement "
        "is still held and the message not refundable",
        _data(preset, [*defended, (defended[-1][0] + 1, [refund])]),
        "SC_MESSAGE_ACKNOWLEDGED",
    )
    defended_late = played(honest, late)
    yield _case(
        "game_ack_held_past_maturity",
        "SC-MSG-3, SC-DSP-19: a game opened in the last block of checkpoint 1's window is open when "
        "the checkpoint matures: the acknowledgement stays held and the refund waits",
        _data(preset, [*defended_late[: len(prefix) + 3], (matured, [refund])]),
        "SC_MESSAGE_ACKNOWLEDGED",
    )
    end = defended_late[-1][0]
    yield _case(
        "game_ack_settled_after_game",
        "SC-MSG-3 (SC-BLK-4): the late game ends with the defender's win; the next block settles "
        "the acknowledgement (checkpoint 1 matured, no open game) and the message leaves the "
        "pending set",
        _data(preset, [*defended_late, (end + 1, [])]),
    )
    yield _case(
        "game_ack_refund_after_settled",
        "SC-MSG-3/4: once the acknowledgement is settled the message is not pending: no refund",
        _data(preset, [*defended_late, (end + 1, [refund])]),
        "SC_MESSAGE_NOT_PENDING",
    )


def _first_checkpoint_and_cancelled(preset: Preset) -> Iterator[CaseSpec]:
    """A game over checkpoint 0 (its parent is the empty genesis state) and a game cancelled when
    another over the same checkpoint is won (SC-DSP-14, SC-DSP-17)."""
    bond = preset.dispute.min_challenger_bond
    evm = gc.scenario(4, preset, vm=VmKind.EVM)
    header_0 = evm.checkpoint_0.header
    first = DisputeOpenMessage(
        header=header_0,
        parent_header=b"",
        tx_count=1,
        credits=(),
        challenger_trace_root=merkle_root([bytes(32)]),
        challenger_final_root=bytes(32),
        payout_script=gc.CHALLENGER_PAYEE,
    )
    opened_0: Blocks = [
        *gc.checkpoint_blocks(evm),
        (gc.CHECKPOINT_1_AT + 1, [[sb.message_output(first, bond, preset)]]),
    ]
    yield _case(
        "game_over_checkpoint_0",
        "SC-DSP-14/16/17: a game over an EVM sidechain's checkpoint 0: its parent is the empty "
        "genesis state, so the agreed root is the EVM kind's empty trie root (state_hasher(EVM)); "
        "the defender is silent, the challenger wins at the deadline: checkpoints 0 and 1 reverted, "
        "the bond claimed",
        _data(preset, _blocks_until_expiry(preset, opened_0, gc.SPEC_E, 0), gc.SPEC_E),
    )
    fraud = gc.scenario(5, preset, federation_lies_at=(2, 3, 4))
    at = gc.CHECKPOINT_1_AT + 1
    two: Blocks = [
        *gc.checkpoint_blocks(fraud),
        (at, [[gc.opening(fraud, bond=bond, preset=preset)]]),
        (at + 1, [[gc.opening(fraud, bond=bond + 1, preset=preset)]]),
    ]
    yield _case(
        "game_cancelled_by_revert",
        "SC-DSP-17/18: two games over checkpoint 1 (opened one block apart, the second with one atom "
        "more bond); the first is won by its challenger at the silent defender's deadline, reverting "
        "checkpoint 1: the second game, over the reverted height itself, is cancelled and its bond "
        "refunded (both bonds then claimed)",
        _data(preset, _blocks_until_expiry(preset, two, gc.SPEC_G, 0)),
    )
    ferris_first = replace(
        first, header=fraud.checkpoint_0.header, tx_count=fraud.checkpoint_0.header.tx_count
    )
    lower: Blocks = [
        *gc.checkpoint_blocks(fraud),
        (at, [[gc.opening(fraud, bond=bond, preset=preset)]]),
        (at + 1, [[sb.message_output(ferris_first, bond, preset)]]),
    ]
    yield _case(
        "game_lower_game_survives_revert",
        "SC-DSP-17: game 0 over checkpoint 1 is won by its challenger at the silent defender's "
        "deadline, reverting checkpoints 1 and up; game 1 over checkpoint 0 (opened a block later) "
        "disputes a lower height, so it is not cancelled and stays open",
        _data(preset, _blocks_until_expiry(preset, lower, gc.SPEC_G, 0)),
    )
    # SC-DSP-16 in game id order: game 0 still running (its defender moves at its last height),
    # game 1 (opened a block later, its defender silent) expires in the same block
    move_blocks = preset.dispute.move_blocks
    opened_both: Blocks = [*two]
    state = gc.initial()
    for height, outputs in opened_both:
        state = gc.apply(state, height, outputs, preset).state
    game_0 = state.games[0].game
    kind, data = gc.honest_move(fraud, game_0, preset)
    moved_at = at + move_blocks
    opened_both.append((moved_at, [[gc.move_output(0, Party.DEFENDER, kind, data, preset)]]))
    yield _case(
        "game_expires_after_running_game",
        "SC-DSP-14/16/17, SC-STATE-1: two games over checkpoint 1 (ids 0 and 1, opened one block "
        "apart); game 0's defender moves at its last height, so when game 1's silent defender "
        "passes its deadline game 0 is still running: the timeout check goes on past it (game id "
        "order) and game 1's challenger wins, reverting checkpoint 1 and cancelling game 0; the "
        "committed items (kind 0x15: both openings) are listed after the move",
        _data(preset, _blocks_until_expiry(preset, opened_both, gc.SPEC_G, 1), items_at=(moved_at,)),
    )
