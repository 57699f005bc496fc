"""The winner's reward out of the slashed collateral (SC-DSP-25, docs/disputes.md).

Properties (stated in docs/disputes.md, "Rewards"):

* **conservation**: of the collateral a settlement newly slashed, what is paid and what is burnt
  add up to it exactly, and a claim releases exactly the amount paid, once;
* **no profitable collusion**: a federation member whose own collateral the settlement slashed
  (it proved its own federation's fraud, alone or with others) is paid less than it lost;
* **bounded**: the reward is at most ``winner_reward``, and nothing is paid when nobody was slashed.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import fraudchain as fc
from conformance import sidechainbuilder as sb
from spec.errors import DisputeUnknownGame
from spec.ledger.transaction import TxOutput
from spec.presets import DEVNET
from spec.sidechain.games import (
    BondClaim,
    BondPayout,
    Penalty,
    apply_bond_claim,
    compute_winner_reward,
    pay_rewards,
)
from spec.sidechain.registry import SidechainsState
from spec.sidechain.state import apply_block_to_sidechains

PRESET = DEVNET
BOB = b"\x51"  # OP_TRUE: another payee
PARAMS = PRESET.dispute
COLLATERALS = st.lists(st.integers(1, 10**15), max_size=12)


@given(COLLATERALS, st.integers(1, 10**15), st.integers(1, 10_000))
def test_reward_conserves_the_slashed_collateral(slashed: list[int], cap: int, bps: int) -> None:
    paid, burnt = compute_winner_reward(slashed, cap, bps)
    assert paid + burnt == sum(slashed) and paid >= 0 and burnt >= 0
    assert paid <= cap
    if not slashed:
        assert (paid, burnt) == (0, 0)


@given(
    st.lists(st.integers(1, 10**15), min_size=1, max_size=12),
    st.integers(1, 10**15),
    st.integers(1, 10_000),
    st.data(),
)
def test_a_member_proving_its_own_fraud_loses_more_than_it_gains(
    slashed: list[int], cap: int, bps: int, data: st.DataObject
) -> None:
    """Any coalition holding at least one slashed member loses at least that member's collateral,
    more than the whole reward (which a single payee receives)."""
    paid, _ = compute_winner_reward(slashed, cap, bps)
    coalition = data.draw(st.sets(st.integers(0, len(slashed) - 1), min_size=1))
    lost = sum(slashed[i] for i in coalition)
    assert paid < lost
    assert paid < min(slashed)


def test_reward_examples() -> None:
    """Capped by ``winner_reward``, then by the smallest collateral; the burnt share rounded up."""
    assert compute_winner_reward([10**9] * 3, 5 * 10**8, 2000) == (4 * 10**8, 3 * 10**9 - 4 * 10**8)
    assert compute_winner_reward([10**9, 7, 10**9], 5 * 10**8, 2000) == (5, 2 * 10**9 + 2)
    assert compute_winner_reward([4], 10, 1) == (3, 1)  # 4 * 9999 // 10000: one atom burnt
    assert compute_winner_reward([], 10, 2000) == (0, 0)


def _proven() -> tuple[SidechainsState, tuple[Penalty, ...]]:
    """An equivocation proof naming Alice's script, applied in a block at ``fc.PROOF_AT``."""
    chain = fc.chain(PRESET)
    proof = replace(fc.equivocation(chain.checkpoint_1), payout_script=sb.ALICE)
    block = sb.block(fc.PROOF_AT, [sb.message_output(proof, 0, PRESET)])
    result = apply_block_to_sidechains(
        chain.state, block, fc.PROOF_AT, sb.keys(), PRESET, (), lambda _h: sb.keys()
    )
    return result.state, result.penalties


def test_a_proof_takes_the_next_game_id_and_its_reward_is_claimed_once() -> None:
    state, penalties = _proven()
    assert [(p.claim_id, p.payout_script) for p in penalties] == [(0, sb.ALICE)]
    assert state.next_game == 1 and not state.bond_payouts
    collateral = PRESET.masternodes.collateral
    rewarded = pay_rewards(state, penalties, [[collateral] * 3], PARAMS)
    paid, _ = compute_winner_reward([collateral] * 3, PARAMS.winner_reward, PARAMS.burn_share_bps)
    assert rewarded.bond_payouts == {0: BondPayout(sb.ALICE, paid)}
    with pytest.raises(DisputeUnknownGame):
        apply_bond_claim(state, BondClaim(0), TxOutput(paid, sb.ALICE))
    claimed, released = apply_bond_claim(rewarded, BondClaim(0), TxOutput(paid, sb.ALICE))
    assert released == paid and not claimed.bond_payouts
    with pytest.raises(DisputeUnknownGame):
        apply_bond_claim(claimed, BondClaim(0), TxOutput(paid, sb.ALICE))


def test_nobody_slashed_pays_nothing_and_a_game_bond_grows_by_the_reward() -> None:
    state, penalties = _proven()
    assert pay_rewards(state, penalties, [[]], PARAMS) is state
    game = Penalty(3, 0, 16, 7, BOB)
    bonded = replace(state, bond_payouts={7: BondPayout(BOB, 100)})
    after = pay_rewards(bonded, (game,), [[50]], PARAMS)
    assert after.bond_payouts[7] == BondPayout(
        BOB, 100 + compute_winner_reward([50], PARAMS.winner_reward, PARAMS.burn_share_bps)[0]
    )
    with pytest.raises(ValueError):
        pay_rewards(state, penalties, [], PARAMS)
