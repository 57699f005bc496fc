"""EVM sidechain execution (spec/vm/evm.py, EVM-1..8): properties over generated transfers and calls.

* stateless == full (VM-2, VM-6): the recorded witness alone gives the same outcome and new nodes;
* gas and fees are never negative and never above the gas limit / what the sender could pay;
* value is conserved: balances after = balances before - burned base fee - withdrawn value;
* out of gas (and revert) undo the state changes but charge the fee (VM-3);
* an invalid transaction raises a ``VM_*`` code (VM-3) and the witness reading fails cleanly;
* the post-state reads back from ``nodes`` + ``new_nodes`` (EVM-8) and equals :func:`compute_state`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.evm_tx import TxFields, address_of, private_key, sign
from conformance.generators.vm_evm import LOOP_CODE, REVERT_CODE, STORE_CODE
from spec.errors import EvmAddressError, EvmTxDecode, VmError, WitnessIncomplete
from spec.presets import MAINNET
from spec.sidechain.header import Deposit
from spec.trie import keccak256
from spec.vm.evm import (
    HASHER,
    EvmAccount,
    apply_deposit,
    apply_transaction,
    compute_state,
    credit_deposit,
    decode_transaction,
    iter_accounts,
)
from spec.vm.interface import (
    ExecutionContext,
    OutboxKind,
    TxOutcome,
    TxStatus,
    record_witness,
    witness_nodes,
)
from tests.hypothesis_profiles import examples

EVM = MAINNET.evm
CONTEXT = ExecutionContext(
    sidechain_id=3, height=9, timestamp=1_700_000_000, fee_recipient=b"\xfe" * 20, gas_limit=10**7
)
CHAIN_ID = EVM.chain_id_base + CONTEXT.sidechain_id
KEYS = [private_key(bytes([i])) for i in range(3)]
SENDERS = [address_of(key) for key in KEYS]
STORE, REVERTER, LOOPER = (bytes([0xC0 + i]) * 20 for i in range(3))
PLAIN = b"\x77" * 20
TARGETS = [STORE, REVERTER, LOOPER, PLAIN, SENDERS[1], EVM.withdrawal_address, None]

NewNodes = tuple[tuple[bytes, bytes], ...]


def _apply(
    nodes: Mapping[bytes, bytes], root: bytes, tx: bytes, context: ExecutionContext
) -> tuple[TxOutcome, NewNodes]:
    return apply_transaction(MAINNET, nodes, root, tx, context)


def _state(balances: list[int], stored: int) -> tuple[bytes, dict[bytes, bytes]]:
    accounts = {
        sender: EvmAccount(balance=balance) for sender, balance in zip(SENDERS, balances, strict=True)
    }
    accounts[STORE] = EvmAccount(code=STORE_CODE, storage={0: stored, 5: 1})
    accounts[REVERTER] = EvmAccount(code=REVERT_CODE, balance=3)
    accounts[LOOPER] = EvmAccount(code=LOOP_CODE)
    return compute_state(accounts)


def _balances(nodes: Mapping[bytes, bytes], root: bytes) -> dict[bytes, tuple[int, int, bytes]]:
    return {
        key: (account.nonce, account.balance, account.storage_root)
        for key, account in iter_accounts(nodes, root)
    }


transactions = st.fixed_dictionaries(
    {
        "sender": st.integers(0, 2),
        "target": st.sampled_from(TARGETS),
        "value": st.one_of(st.just(0), st.integers(1, 10**6)),
        "gas": st.integers(21_000, 120_000),
        "tx_type": st.sampled_from([0, 1, 2]),
        "max_fee": st.integers(1, 20),
        "priority_fee": st.integers(0, 20),
        "word": st.integers(0, 3),
        "recipient": st.binary(min_size=0, max_size=70),
    }
)
balances = st.lists(st.integers(0, 10**9), min_size=3, max_size=3)


def _tx(spec: dict[str, object]) -> bytes:
    target = spec["target"]
    data = b""
    if target == STORE:
        data = int(spec["word"]).to_bytes(32, "big")  # type: ignore[call-overload]
    elif target == EVM.withdrawal_address:
        data = bytes(spec["recipient"])  # type: ignore[call-overload]
    elif target is None:
        data = bytes.fromhex("600060005360016000f3")
    fields = TxFields(
        nonce=0,
        gas=int(spec["gas"]),  # type: ignore[call-overload]
        to=target,  # type: ignore[arg-type]
        value=int(spec["value"]),  # type: ignore[call-overload]
        data=data,
        tx_type=int(spec["tx_type"]),  # type: ignore[call-overload]
        chain_id=CHAIN_ID,
        max_fee=int(spec["max_fee"]),  # type: ignore[call-overload]
        priority_fee=min(int(spec["priority_fee"]), int(spec["max_fee"])),  # type: ignore[call-overload]
    )
    return sign(fields, KEYS[int(spec["sender"])])  # type: ignore[call-overload]


@settings(max_examples=examples(40))
@given(balances, st.integers(0, 3), transactions)
def test_stateless_equals_full_and_value_is_conserved(
    start: list[int], stored: int, spec: dict[str, object]
) -> None:
    root, nodes = _state(start, stored)
    tx = _tx(spec)
    try:
        outcome, new_nodes = _apply(nodes, root, tx, CONTEXT)
    except VmError as error:
        assert error.code.startswith("VM_EVM_")
        with pytest.raises(type(error)):  # the same verdict without any state beyond the root
            _apply(nodes, root, tx, CONTEXT)
        return
    witness = record_witness(apply_transaction, MAINNET, nodes, root, tx, CONTEXT)
    assert _apply(witness_nodes(witness, HASHER), root, tx, CONTEXT) == (outcome, new_nodes)
    gas = int(spec["gas"])  # type: ignore[call-overload]
    assert 21_000 <= outcome.gas_used <= gas
    assert 0 <= outcome.fee <= gas * int(spec["max_fee"])  # type: ignore[call-overload]
    merged = {**nodes, **dict(new_nodes)}
    before, after = _balances(nodes, root), _balances(merged, outcome.post_root)
    withdrawn = sum(entry.amount for entry in outcome.outbox)
    burned = outcome.gas_used * EVM.base_fee_per_gas
    assert sum(b for _, b, _ in after.values()) == sum(b for _, b, _ in before.values()) - burned - withdrawn
    assert keccak256(EVM.withdrawal_address) not in after  # withdrawn value leaves the sidechain (EVM-6)
    sender_key = keccak256(SENDERS[int(spec["sender"])])  # type: ignore[call-overload]
    assert after[sender_key][0] == 1
    if outcome.status == TxStatus.FAILED:
        assert outcome.events == () and outcome.outbox == ()
    if outcome.outbox:
        assert spec["target"] == EVM.withdrawal_address and outcome.status == TxStatus.SUCCEEDED
        (entry,) = outcome.outbox
        assert (entry.kind, entry.target_chain, entry.recipient, entry.amount, entry.sender) == (
            OutboxKind.WITHDRAWAL,
            0,
            spec["recipient"],
            spec["value"],
            SENDERS[int(spec["sender"])],  # type: ignore[call-overload]  # VM-5: the CALLER
        )


@settings(max_examples=examples(20))
@given(
    balances, st.integers(21_000, 200_000), st.sampled_from([LOOPER, REVERTER, STORE]), st.integers(1, 10**4)
)
def test_failure_undoes_state_but_charges_the_fee(
    start: list[int], gas: int, target: bytes, value: int
) -> None:
    """VM-3: out of gas or a revert: only the sender's nonce and fee and the fee recipient's tip change."""
    start = [max(start[0], 10**8), *start[1:]]
    root, nodes = _state(start, 1)
    data = bytes(32) if target == STORE else b""
    tx = sign(
        TxFields(
            nonce=0,
            gas=gas if target != STORE else 21_000 + 4 * 32 + 100,
            to=target,
            value=value,
            data=data,
            chain_id=CHAIN_ID,
        ),
        KEYS[0],
    )
    outcome, new_nodes = _apply(nodes, root, tx, CONTEXT)
    assert outcome.status == TxStatus.FAILED
    assert outcome.fee > 0 and outcome.gas_used > 0
    if target == LOOPER:
        assert outcome.gas_used == gas  # out of gas consumes all of it
    before = _balances(nodes, root)
    after = _balances({**nodes, **dict(new_nodes)}, outcome.post_root)
    tip = outcome.gas_used * (outcome.fee // outcome.gas_used - EVM.base_fee_per_gas)
    sender, recipient = keccak256(SENDERS[0]), keccak256(CONTEXT.fee_recipient)
    expected = dict(before)
    expected[sender] = (1, before[sender][1] - outcome.fee, before[sender][2])
    if tip:
        expected[recipient] = (0, tip, HASHER.empty_root)
    assert after == expected


def test_out_of_gas_in_the_store_contract_keeps_its_storage() -> None:
    root, nodes = _state([10**9, 0, 0], 2)
    tx = sign(
        TxFields(
            nonce=0, gas=21_000 + 4 * 31 + 16 + 2_000, to=STORE, data=bytes(31) + b"\x09", chain_id=CHAIN_ID
        ),
        KEYS[0],
    )
    outcome, new_nodes = _apply(nodes, root, tx, CONTEXT)
    assert outcome.status == TxStatus.FAILED
    store = dict(iter_accounts({**nodes, **dict(new_nodes)}, outcome.post_root))[keccak256(STORE)]
    assert store == dict(iter_accounts(nodes, root))[keccak256(STORE)]


def test_post_state_equals_compute_state() -> None:
    """EVM-1: a transfer's post root is the root compute_state gives for the expected accounts."""
    root, nodes = compute_state({SENDERS[0]: EvmAccount(balance=10**6)})
    tx = sign(
        TxFields(nonce=0, gas=21_000, to=PLAIN, value=500, chain_id=CHAIN_ID, max_fee=2, priority_fee=1),
        KEYS[0],
    )
    outcome, _ = _apply(nodes, root, tx, CONTEXT)
    assert outcome.status == TxStatus.SUCCEEDED and outcome.fee == 42_000
    expected, _ = compute_state(
        {
            SENDERS[0]: EvmAccount(nonce=1, balance=10**6 - 500 - 42_000),
            PLAIN: EvmAccount(balance=500),
            CONTEXT.fee_recipient: EvmAccount(balance=21_000),
        }
    )
    assert outcome.post_root == expected


@settings(max_examples=examples(20))
@given(
    st.dictionaries(st.sampled_from([*SENDERS, PLAIN]), st.integers(0, 10**12), max_size=4),
    st.sampled_from([*SENDERS, PLAIN]),
    st.integers(0, 10**12),
)
def test_deposit_credits_the_recipient(accounts: dict[bytes, int], recipient: bytes, amount: int) -> None:
    """EVM-7: a deposit adds to the recipient's balance (creating the account), nothing else."""
    root, nodes = compute_state(
        {address: EvmAccount(balance=balance) for address, balance in accounts.items()}
    )
    post_root, new_nodes = credit_deposit(nodes, root, recipient, amount)
    expected = dict(accounts)
    expected[recipient] = expected.get(recipient, 0) + amount
    expected_root, _ = compute_state(
        {address: EvmAccount(balance=balance) for address, balance in expected.items()}
    )
    assert post_root == expected_root
    assert dict(iter_accounts({**nodes, **dict(new_nodes)}, post_root)).keys() == {
        keccak256(a) for a in expected
    }


def test_apply_deposit_takes_a_mainchain_deposit() -> None:
    root, nodes = compute_state({})
    deposit = Deposit(1, 10, 0, b"\x01" * 32, 0, PLAIN, 77)
    assert apply_deposit(nodes, root, deposit) == credit_deposit(nodes, root, PLAIN, 77)
    assert apply_deposit(nodes, root, deposit)[0] == compute_state({PLAIN: EvmAccount(balance=77)})[0]


def test_invalid_inputs() -> None:
    root, nodes = _state([10**9, 0, 0], 0)
    with pytest.raises(EvmAddressError):
        credit_deposit(nodes, root, b"\x01" * 19, 5)
    with pytest.raises(EvmTxDecode):
        decode_transaction(b"")
    tx = sign(TxFields(nonce=0, gas=21_000, to=PLAIN, value=1, chain_id=CHAIN_ID), KEYS[0])
    with pytest.raises(WitnessIncomplete):
        _apply({}, root, tx, CONTEXT)


@settings(max_examples=examples(100))
@given(st.binary(max_size=200))
def test_decoder_raises_only_spec_errors(data: bytes) -> None:
    with contextlib.suppress(VmError):
        decode_transaction(data)


# ------------------------------------------------------------------------------------------
# An independent oracle: py-evm's own account database (not TrieAccountDB, EVM-1)
# ------------------------------------------------------------------------------------------

_JOURNAL_CASES = (
    "call_store_zero_clears_nothing",
    "create_contract",
    "storage_journal",
    "create_initcode_storage",
    "create_initcode_warm_accounts",
    "create_initcode_reverted_warmth",
)


@pytest.mark.parametrize("case", _JOURNAL_CASES)
def test_vector_outcome_equals_py_evm_own_state(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The vm_evm vectors' storage-journal cases (warm marks, reverted frames, creations writing
    their own storage) give the same post-state root and status when the transaction runs in
    py-evm's Cancun state over its own AccountDB, instead of TrieAccountDB's journal. py-evm's
    database lacks EIP-7610 (a creation onto an account holding only storage collides), which
    ``storage_journal`` exercises: the oracle adds it, as TrieAccountDB does."""
    from eth.constants import BLANK_ROOT_HASH
    from eth.db.account import AccountDB
    from eth.db.atomic import AtomicDB
    from eth.vm.forks.cancun.state import CancunState
    from eth_typing import Address, Hash32

    from conformance.generators import vm_evm as generator
    from spec.vm.evm import evm_environment, pyevm_execution_context

    spec = next(c for c in generator.generate(MAINNET) if c.case == case and c.expect_error is None)
    tx = bytes.fromhex(str(spec.input["tx"]))
    root, nodes = generator.genesis()
    ours, _ = apply_transaction(MAINNET, nodes, root, tx, generator.CONTEXT)

    context = pyevm_execution_context(evm_environment(generator.CONTEXT, MAINNET.evm))
    has_code_or_nonce = AccountDB.account_has_code_or_nonce

    def eip_7610(self: AccountDB, address: bytes) -> bool:
        storage_root = self._get_account(address).storage_root  # type: ignore[arg-type]
        return has_code_or_nonce(self, address) or storage_root != BLANK_ROOT_HASH  # type: ignore[arg-type]

    monkeypatch.setattr(AccountDB, "account_has_code_or_nonce", eip_7610)
    db = AtomicDB()
    state = CancunState(db, context, BLANK_ROOT_HASH)
    for address, account in generator.genesis_accounts().items():
        state.set_balance(Address(address), account.balance)
        state.set_nonce(Address(address), account.nonce)
        state.set_code(Address(address), account.code)
        for slot, value in (account.storage or {}).items():
            state.set_storage(Address(address), slot, value)
    state.persist()
    assert state.state_root == root  # the same pre-state
    state = CancunState(db, context, Hash32(root))
    computation = state.apply_transaction(decode_transaction(tx))
    assert ours.post_root == state.make_state_root()
    assert ours.status == (TxStatus.FAILED if computation.is_error else TxStatus.SUCCEEDED)
