"""Vectors of the ``masternode`` flow: message recognition and decoding, registration validity (one
valid case and at least one invalid case per error code), collateral spends, proof-of-service
penalties and bans, list evolution over a scripted block sequence, payee rotation, quorum
selection, and the finality schedule (FIN-1..4: the quorum in charge of a height, the DKG session of
a finality quorum, the member signing rule, certificates checked under the key the schedule picks).

Every key is derived from a label: owners are wallet keys (conformance/wallet.py), operators are
BLS keys from :func:`spec.crypto.bls.key_gen` over seeded bytes, and the PoSe quorum's group key
of each quorum height comes from seeded Shamir coefficients (THRESHOLD-4), so a penalty's signature
is exactly the threshold signature the quorum would recover. The finality quorums are real: their
DKG session is :func:`spec.masternode.finality.finality_dkg_session` over the funded list, run
honestly by the members' operator keys (:mod:`conformance.dkgbuilder`). The fixtures here are also
used by ``conformance/generators/governance.py``, ``tests/test_masternode.py``,
``tests/test_finality_schedule.py`` and the fuzz harnesses.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache

from conformance.dkgbuilder import Finished, certify, finish, quorum_of_session
from conformance.handlers.chain import big_to_hex
from conformance.handlers.masternode import entry_json, list_json, utxo_json
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from conformance.wallet import Key, key, sign_transaction
from spec.chain.forkchoice import FinalityCertificate, encode_finality_certificate
from spec.crypto import bls, ed25519, threshold
from spec.ledger.transaction import (
    SEQUENCE_FINAL,
    OutPoint,
    Transaction,
    TxInput,
    TxOutput,
    coinbase_transaction,
    encode_transaction,
    txid,
)
from spec.ledger.utxo import UtxoEntry, created_entries
from spec.masternode.finality import dkg_length, finality_dkg_session
from spec.masternode.quorum import QuorumType, quorum_threshold
from spec.masternode.registry import (
    ADDRESS_BYTES,
    KIND_REGISTRATION,
    MASTERNODE_PREFIX,
    MasternodeEntry,
    MasternodeList,
    MasternodeStatus,
    PoSePenalty,
    Registration,
    SignedRegistration,
    collateral_script,
    encode_message,
    message_script,
    penalty_message,
    registration_hash,
    signing_quorum_height,
)
from spec.presets import Preset
from spec.script import null_data_script, p2pkh_script

PORT = 7777
FEE_COIN_VALUE = 5_000_000
FEE_COINS = 4
CARRIER_FEE = 10_000
LABELS = (
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "oscar",
)
"""Masternode labels; each gets a collateral and :data:`FEE_COINS` fee coins in the funding transaction."""
SMALL_ORDER_KEY = bytes([1]) + bytes(31)
"""The Ed25519 identity point: a small-order key that ED-1 rejects."""


@dataclass(frozen=True)
class Operator:
    """A masternode's keys: the owner (Ed25519 wallet key) and the operator (BLS) with its PoP."""

    label: str
    owner: Key
    secret: bytes
    public_key: bytes
    proof_of_possession: bytes


@cache
def operator(label: str) -> Operator:
    """The deterministic keys of masternode ``label``."""
    secret = bls.key_gen(seeded_bytes(f"masternode/{label}/operator", 32))
    return Operator(
        label, key(f"masternode/{label}/owner"), secret, bls.sk_to_pk(secret), bls.pop_prove(secret)
    )


def address_of(label: str) -> bytes:
    """An IPv4-mapped IPv6 address in 10.0.0.0/8 derived from the label."""
    return bytes(10) + b"\xff\xff" + b"\x0a" + seeded_bytes(f"masternode/{label}/address", 3)


@dataclass(frozen=True)
class Funding:
    """A coinbase-shaped transaction at height 0 that funds every label: collateral, then fee coins."""

    tx: Transaction
    tx_id: bytes
    utxos: dict[OutPoint, UtxoEntry]
    extra: dict[str, OutPoint]

    def collateral(self, label: str) -> OutPoint:
        """The collateral outpoint of ``label``."""
        return OutPoint(self.tx_id, LABELS.index(label) * (1 + FEE_COINS))

    def fee_coin(self, label: str, number: int = 0) -> OutPoint:
        """Fee coin ``number`` of ``label``."""
        return OutPoint(self.tx_id, LABELS.index(label) * (1 + FEE_COINS) + 1 + number)


@cache
def funding(preset: Preset) -> Funding:
    """The funding transaction of every label under ``preset``, plus special outputs:

    ``wrong_amount`` (alice's key, collateral + 1), ``wrong_script`` (collateral to bob's key, to be
    claimed for alice), ``small_order`` (collateral to the P2PKH of :data:`SMALL_ORDER_KEY`) and
    ``spare_collateral`` (another correct collateral of alice's key).
    """
    collateral = preset.masternodes.collateral
    outputs: list[TxOutput] = []
    for label in LABELS:
        owner = operator(label).owner
        outputs.append(TxOutput(collateral, owner.script_pubkey))
        outputs.extend(TxOutput(FEE_COIN_VALUE, owner.script_pubkey) for _ in range(FEE_COINS))
    alice, bob = operator("alice").owner, operator("bob").owner
    specials = {
        "wrong_amount": TxOutput(collateral + 1, alice.script_pubkey),
        "wrong_script": TxOutput(collateral, bob.script_pubkey),
        "small_order": TxOutput(collateral, collateral_script(SMALL_ORDER_KEY)),
        "spare_collateral": TxOutput(collateral, alice.script_pubkey),
    }
    extra_start = len(outputs)
    outputs.extend(specials.values())
    tx = coinbase_transaction(0, outputs)
    tx_id = txid(tx, preset)
    extra = {name: OutPoint(tx_id, extra_start + i) for i, name in enumerate(specials)}
    return Funding(tx, tx_id, dict(created_entries(tx, 0, preset)), extra)


def registration(
    label: str, collateral: OutPoint, preset: Preset, signer: Key | None = None, **changes: object
) -> SignedRegistration:
    """A registration of ``label`` for ``collateral``, signed by ``signer`` (default: the owner).

    ``changes`` replace registration fields before signing (for invalid cases).
    """
    op = operator(label)
    reg = Registration(
        collateral=collateral,
        operator_public_key=op.public_key,
        proof_of_possession=op.proof_of_possession,
        owner_public_key=op.owner.public_key,
        payout_script=op.owner.script_pubkey,
        address=address_of(label),
        port=PORT,
    )
    reg = replace(reg, **changes)  # type: ignore[arg-type]
    signature = ed25519.sign((signer or op.owner).seed, registration_hash(reg, preset))
    return SignedRegistration(reg, signature)


def carrier(
    payer: str, coin: OutPoint, scripts: Sequence[bytes], utxos: dict[OutPoint, UtxoEntry], preset: Preset
) -> Transaction:
    """A signed transaction spending ``payer``'s ``coin``: change, then one 0-value output per script."""
    spent = utxos[coin].output
    owner = operator(payer).owner
    outputs = (TxOutput(spent.value - CARRIER_FEE, owner.script_pubkey), *(TxOutput(0, s) for s in scripts))
    unsigned = Transaction(1, (TxInput(coin, b"", SEQUENCE_FINAL),), outputs, 0)
    return sign_transaction(unsigned, [spent], [owner], preset)


def register_tx(
    label: str, preset: Preset, number: int = 0, signed: SignedRegistration | None = None
) -> Transaction:
    """A transaction of ``label`` (paid with fee coin ``number``) registering its funded collateral."""
    fund = funding(preset)
    message = signed or registration(label, fund.collateral(label), preset)
    return carrier(label, fund.fee_coin(label, number), [message_script(message, preset)], fund.utxos, preset)


@cache
def pose_quorum_coefficients(quorum_height: int, preset: Preset) -> tuple[int, ...]:
    """The seeded Shamir polynomial of the PoSe quorum based at ``quorum_height`` (THRESHOLD-4)."""
    size = preset.masternodes.pose_quorum_size
    return threshold.coefficients_from_seed(f"pose-quorum/{quorum_height}".encode(), quorum_threshold(size))


def pose_quorum_key(quorum_height: int, preset: Preset) -> bytes:
    """The group public key of the PoSe quorum based at ``quorum_height``."""
    return threshold.group_public_key(pose_quorum_coefficients(quorum_height, preset))


def sign_penalty(
    masternode: OutPoint, quorum_height: int, preset: Preset, signer_height: int | None = None
) -> PoSePenalty:
    """A penalty of ``masternode`` by the quorum at ``quorum_height`` (signed by ``signer_height``'s key)."""
    group_secret = pose_quorum_coefficients(
        quorum_height if signer_height is None else signer_height, preset
    )[0]
    message = penalty_message(masternode, quorum_height)
    return PoSePenalty(masternode, quorum_height, bls.sign(bls.encode_secret_key(group_secret), message))


def entry_for(label: str, collateral: OutPoint, registered_height: int, **changes: object) -> MasternodeEntry:
    """A list entry for ``label`` (ACTIVE, score 0, never paid) with ``changes`` applied."""
    op = operator(label)
    entry = MasternodeEntry(
        collateral=collateral,
        operator_public_key=op.public_key,
        owner_public_key=op.owner.public_key,
        payout_script=op.owner.script_pubkey,
        address=address_of(label),
        port=PORT,
        status=MasternodeStatus.ACTIVE,
        registered_height=registered_height,
        pose_score=0,
        last_paid_height=None,
        last_penalty_quorum_height=None,
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


def funded_list(labels: Sequence[str], preset: Preset, registered_height: int = 0) -> MasternodeList:
    """A list holding ``labels`` with their funded collaterals, all registered at ``registered_height``."""
    fund = funding(preset)
    return MasternodeList(
        {
            fund.collateral(label): entry_for(label, fund.collateral(label), registered_height)
            for label in labels
        }
    )


def utxos_json(utxos: dict[OutPoint, UtxoEntry]) -> list[JSON]:
    """A UTXO set as a JSON list in outpoint order."""
    return [utxo_json(outpoint, entry) for outpoint, entry in sorted(utxos.items(), key=lambda kv: kv[0])]


def _hex(tx: Transaction, preset: Preset) -> str:
    return encode_transaction(tx, preset).hex()


def _case(
    handler: str, case: str, description: str, data: dict[str, JSON], error: str | None = None
) -> CaseSpec:
    return CaseSpec(handler, case, description, data, expect_error=error)


def generate(preset: Preset) -> Iterator[CaseSpec]:
    """Masternode vectors for one preset."""
    yield from _message_cases(preset)
    yield from _registration_cases(preset)
    yield from _penalty_cases(preset)
    yield from _sequence_cases(preset)
    yield from _payee_cases(preset)
    yield from _quorum_cases(preset)
    yield from _finality_cases(preset)


# --------------------------------------------------------------------------------------------
# MN-0 recognition and decoding
# --------------------------------------------------------------------------------------------


def _message_cases(preset: Preset) -> Iterator[CaseSpec]:
    fund = funding(preset)
    signed = registration("alice", fund.collateral("alice"), preset)
    penalty = sign_penalty(fund.collateral("alice"), 0, preset)
    payload = encode_message(signed, preset)
    params = preset.script
    valid = [
        ("registration", message_script(signed, preset), "a registration output"),
        ("pose_penalty", message_script(penalty, preset), "a PoSe penalty output"),
        ("other_null_data", null_data_script(b"hello", params), "null data without the prefix: no message"),
        ("p2pkh", p2pkh_script(bytes(32)), "an ordinary output: no message"),
        ("bare_op_return", null_data_script(b"", params), "OP_RETURN alone: no message"),
        (
            "two_pushes",
            null_data_script(payload[:100], params) + null_data_script(payload[100:], params)[1:],
            "the prefix split over two pushes: not exactly one push, no message",
        ),
    ]
    for case, script, description in valid:
        yield _case("match_message", case, f"MN-0: {description}", {"script": script.hex()})
    invalid = [
        ("prefix_only", MASTERNODE_PREFIX, "DECODE_TRUNCATED", "the prefix without a kind byte"),
        ("unknown_kind", MASTERNODE_PREFIX + b"\x07" + payload[5:], "DECODE_INVALID_TAG", "kind 7"),
        ("truncated", payload[:-1], "DECODE_TRUNCATED", "a registration missing its last byte"),
        ("trailing", payload + b"\x00", "DECODE_TRAILING_BYTES", "a registration with a byte after it"),
        (
            "long_payout_length",
            payload[: 5 + 36 + 48 + 96 + 32] + b"\xff\x7f",
            "DECODE_LENGTH_LIMIT",
            "a payout script length above one script element",
        ),
    ]
    for case, data, error, description in invalid:
        script = null_data_script(data, params)
        yield _case("match_message", case, f"MN-0: {description}", {"script": script.hex()}, error)
    assert payload[len(MASTERNODE_PREFIX)] == KIND_REGISTRATION


# --------------------------------------------------------------------------------------------
# MN-1..4 registration and collateral spends
# --------------------------------------------------------------------------------------------


def _registration_cases(preset: Preset) -> Iterator[CaseSpec]:
    fund = funding(preset)
    existing = funded_list(["bob"], preset)
    collaterals = {o: e for o, e in fund.utxos.items() if e.output.value != FEE_COIN_VALUE}
    base: dict[str, JSON] = {
        "masternodes": list_json(existing),
        "utxos": utxos_json(collaterals),
        "height": 1,
        "pose_quorum_key": None,
    }
    alice = operator("alice")

    def case(
        name: str, description: str, tx: Transaction, error: str | None = None, **extra: JSON
    ) -> CaseSpec:
        return _case(
            "apply_transaction", name, description, {**base, "transaction": _hex(tx, preset), **extra}, error
        )

    def reg_tx(signed: SignedRegistration, payer: str = "alice") -> Transaction:
        return carrier(payer, fund.fee_coin(payer), [message_script(signed, preset)], fund.utxos, preset)

    yield case("register", "MN-1..4: alice registers her collateral", register_tx("alice", preset))
    yield case(
        "register_two_in_one_transaction",
        "MN-4: one transaction registers two masternodes (outputs in order)",
        carrier(
            "alice",
            fund.fee_coin("alice"),
            [
                message_script(registration("alice", fund.collateral("alice"), preset), preset),
                message_script(registration("carol", fund.collateral("carol"), preset), preset),
            ],
            fund.utxos,
            preset,
        ),
    )
    yield case(
        "register_paid_by_another",
        "MN-1: anyone may pay for the carrier transaction; the owner signature is what counts",
        reg_tx(registration("alice", fund.collateral("alice"), preset), payer="carol"),
    )
    yield case(
        "register_banned_list_ok",
        "MN-3: a banned masternode keeps its keys but alice's differ",
        register_tx("alice", preset),
        masternodes=[
            entry_json(entry_for("bob", fund.collateral("bob"), 0, status=MasternodeStatus.POSE_BANNED))
        ],
    )
    yield case(
        "spend_collateral",
        "MN-4: spending bob's collateral removes bob",
        carrier("bob", fund.collateral("bob"), [], fund.utxos, preset),
    )
    yield case(
        "spend_banned_collateral",
        "MN-4: spending a banned masternode's collateral removes it too",
        carrier("bob", fund.collateral("bob"), [], fund.utxos, preset),
        masternodes=[
            entry_json(entry_for("bob", fund.collateral("bob"), 0, status=MasternodeStatus.POSE_BANNED))
        ],
    )
    # Invalid registrations, in the order of the checks.
    yield case(
        "duplicate_collateral",
        "MN-3: bob's collateral is already registered",
        reg_tx(registration("bob", fund.collateral("bob"), preset), payer="bob"),
        "MN_DUPLICATE_COLLATERAL",
    )
    yield case(
        "duplicate_collateral_banned",
        "MN-3: a banned masternode's collateral cannot be registered again",
        reg_tx(registration("bob", fund.collateral("bob"), preset), payer="bob"),
        "MN_DUPLICATE_COLLATERAL",
        masternodes=[
            entry_json(entry_for("bob", fund.collateral("bob"), 0, status=MasternodeStatus.POSE_BANNED))
        ],
    )
    yield case(
        "duplicate_collateral_same_transaction",
        "MN-3: one transaction registers the same collateral twice",
        carrier(
            "alice",
            fund.fee_coin("alice"),
            [message_script(registration("alice", fund.collateral("alice"), preset), preset)] * 2,
            fund.utxos,
            preset,
        ),
        "MN_DUPLICATE_COLLATERAL",
    )
    unknown = OutPoint(seeded_bytes("masternode/unknown-collateral", 32), 0)
    yield case(
        "collateral_not_found",
        "MN-2: the collateral outpoint is not in the UTXO set",
        reg_tx(registration("alice", unknown, preset)),
        "MN_COLLATERAL_NOT_FOUND",
    )
    yield case(
        "collateral_spent_by_same_transaction",
        "MN-2: the registering transaction spends its own collateral",
        carrier(
            "alice",
            fund.collateral("alice"),
            [message_script(registration("alice", fund.collateral("alice"), preset), preset)],
            fund.utxos,
            preset,
        ),
        "MN_COLLATERAL_NOT_FOUND",
    )
    yield case(
        "wrong_collateral_amount",
        "MN-2: the collateral holds one atom too many",
        reg_tx(registration("alice", fund.extra["wrong_amount"], preset)),
        "MN_WRONG_COLLATERAL_AMOUNT",
    )
    yield case(
        "wrong_collateral_script",
        "MN-2: alice claims a collateral paid to bob's key",
        reg_tx(registration("alice", fund.extra["wrong_script"], preset)),
        "MN_WRONG_COLLATERAL_SCRIPT",
    )
    yield case(
        "port_zero",
        "MN-1: port 0",
        reg_tx(registration("alice", fund.collateral("alice"), preset, port=0)),
        "MN_BAD_ADDRESS",
    )
    yield case(
        "address_zero",
        "MN-1: the unspecified address",
        reg_tx(registration("alice", fund.collateral("alice"), preset, address=bytes(ADDRESS_BYTES))),
        "MN_BAD_ADDRESS",
    )
    yield case(
        "payout_op_return",
        "MN-1: the payout script is OP_RETURN",
        reg_tx(registration("alice", fund.collateral("alice"), preset, payout_script=b"\x6a")),
        "MN_BAD_PAYOUT_SCRIPT",
    )
    yield case(
        "duplicate_operator_key",
        "MN-3: alice reuses bob's operator key (with bob's proof of possession)",
        reg_tx(
            registration(
                "alice",
                fund.collateral("alice"),
                preset,
                operator_public_key=operator("bob").public_key,
                proof_of_possession=operator("bob").proof_of_possession,
            )
        ),
        "MN_DUPLICATE_OPERATOR_KEY",
    )
    yield case(
        "duplicate_address",
        "MN-3: alice announces bob's address and port",
        reg_tx(registration("alice", fund.collateral("alice"), preset, address=address_of("bob"))),
        "MN_DUPLICATE_ADDRESS",
    )
    yield case(
        "signature_by_other_key",
        "MN-1: the registration is signed by carol, not by the collateral's owner",
        reg_tx(registration("alice", fund.collateral("alice"), preset, signer=operator("carol").owner)),
        "MN_BAD_SIGNATURE",
    )
    tampered = registration("alice", fund.collateral("alice"), preset)
    tampered = replace(tampered, registration=replace(tampered.registration, port=PORT + 1))
    yield case(
        "signature_over_other_fields",
        "MN-1: the port was changed after signing",
        reg_tx(tampered),
        "MN_BAD_SIGNATURE",
    )
    small = registration("alice", fund.extra["small_order"], preset, owner_public_key=SMALL_ORDER_KEY)
    yield case(
        "owner_key_small_order",
        "ED-1: the owner key (whose hash the collateral pays) is a small-order point",
        reg_tx(small),
        "ED25519_INVALID_PUBLIC_KEY",
    )
    yield case(
        "proof_of_possession_of_other_key",
        "MN-1: the proof of possession belongs to carol's operator key",
        reg_tx(
            registration(
                "alice",
                fund.collateral("alice"),
                preset,
                proof_of_possession=operator("carol").proof_of_possession,
            )
        ),
        "MN_BAD_PROOF_OF_POSSESSION",
    )
    yield case(
        "proof_of_possession_is_signature",
        "MN-1: a plain signature over the key is not a proof of possession (other tag)",
        reg_tx(
            registration(
                "alice",
                fund.collateral("alice"),
                preset,
                proof_of_possession=bls.sign(alice.secret, alice.public_key),
            )
        ),
        "MN_BAD_PROOF_OF_POSSESSION",
    )
    yield case(
        "operator_key_not_a_point",
        "BLS-2: the operator key is not a compressed G1 point",
        reg_tx(registration("alice", fund.collateral("alice"), preset, operator_public_key=bytes(48))),
        "BLS_INVALID_PUBLIC_KEY",
    )
    yield case(
        "proof_not_a_point",
        "BLS-2: the proof of possession is not a compressed G2 point",
        reg_tx(registration("alice", fund.collateral("alice"), preset, proof_of_possession=bytes(96))),
        "BLS_INVALID_SIGNATURE",
    )


# --------------------------------------------------------------------------------------------
# MN-6 proof-of-service penalties
# --------------------------------------------------------------------------------------------


def _penalty_cases(preset: Preset) -> Iterator[CaseSpec]:
    fund = funding(preset)
    interval = preset.masternodes.pose_quorum_interval
    height = interval + interval // 2
    quorum_height = signing_quorum_height(height, interval)
    assert quorum_height is not None
    bob = fund.collateral("bob")
    key_hex = pose_quorum_key(quorum_height, preset).hex()
    base_list = funded_list(["bob", "carol"], preset)

    def case(
        name: str,
        description: str,
        penalty: PoSePenalty,
        error: str | None = None,
        mn_list: MasternodeList = base_list,
        quorum_key: str | None = key_hex,
    ) -> CaseSpec:
        tx = carrier("carol", fund.fee_coin("carol"), [message_script(penalty, preset)], fund.utxos, preset)
        data: dict[str, JSON] = {
            "masternodes": list_json(mn_list),
            "utxos": [],
            "height": height,
            "pose_quorum_key": quorum_key,
            "transaction": _hex(tx, preset),
        }
        return _case("apply_transaction", name, f"MN-6: {description}", data, error)

    def with_bob(**changes: object) -> MasternodeList:
        return MasternodeList({**base_list.entries, bob: replace(base_list.entries[bob], **changes)})  # type: ignore[arg-type]

    params = preset.masternodes
    yield case("penalty", "the quorum in charge penalises bob", sign_penalty(bob, quorum_height, preset))
    below = params.pose_ban_threshold - params.pose_penalty
    yield case(
        "penalty_at_threshold",
        "a penalty that brings the score exactly to the threshold does not ban",
        sign_penalty(bob, quorum_height, preset),
        mn_list=with_bob(pose_score=below),
    )
    yield case(
        "penalty_bans",
        "a penalty that lifts the score above the threshold bans",
        sign_penalty(bob, quorum_height, preset),
        mn_list=with_bob(pose_score=below + 1),
    )
    yield case(
        "penalty_after_earlier_quorum",
        "an earlier quorum's penalty does not block the current one",
        sign_penalty(bob, quorum_height, preset),
        mn_list=with_bob(pose_score=10, last_penalty_quorum_height=quorum_height - interval),
    )
    yield case(
        "unknown_masternode",
        "the penalty names a collateral nobody registered",
        sign_penalty(fund.collateral("dave"), quorum_height, preset),
        "MN_UNKNOWN_MASTERNODE",
    )
    yield case(
        "already_banned",
        "bob is already banned",
        sign_penalty(bob, quorum_height, preset),
        "MN_NOT_ACTIVE",
        mn_list=with_bob(status=MasternodeStatus.POSE_BANNED, pose_score=params.pose_ban_threshold + 1),
    )
    yield case(
        "previous_quorum",
        "the previous PoSe quorum's penalty is no longer accepted",
        sign_penalty(bob, quorum_height - interval, preset),
        "MN_WRONG_POSE_QUORUM",
    )
    yield case(
        "no_quorum_key",
        "no PoSe quorum key is known for this height",
        sign_penalty(bob, quorum_height, preset),
        "MN_WRONG_POSE_QUORUM",
        quorum_key=None,
    )
    yield case(
        "duplicate_penalty",
        "the same quorum already penalised bob",
        sign_penalty(bob, quorum_height, preset),
        "MN_DUPLICATE_PENALTY",
        mn_list=with_bob(pose_score=params.pose_penalty, last_penalty_quorum_height=quorum_height),
    )
    yield case(
        "signed_by_other_quorum",
        "the penalty is signed with the previous quorum's key",
        sign_penalty(bob, quorum_height, preset, signer_height=quorum_height - interval),
        "MN_BAD_POSE_SIGNATURE",
    )
    yield case(
        "signature_not_a_point",
        "BLS-2: the signature is not a compressed G2 point",
        PoSePenalty(bob, quorum_height, bytes(96)),
        "BLS_INVALID_SIGNATURE",
    )


# --------------------------------------------------------------------------------------------
# MN-5 list evolution over a block sequence
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptedSequence:
    """The scripted masternode chain: blocks (transactions and PoSe key per block) from height 1."""

    blocks: tuple[tuple[tuple[Transaction, ...], bytes | None], ...]
    start_height: int


@cache
def scripted_sequence(preset: Preset) -> ScriptedSequence:
    """Registrations at 1-2, a collateral created at 2 and registered at 3, a collateral spend at 4,
    penalties of bob by three consecutive PoSe quorums (the third bans him), a late registration."""
    fund = funding(preset)
    utxos = dict(fund.utxos)
    interval = preset.masternodes.pose_quorum_interval
    last = 2 * interval + 2
    planned: dict[int, list[Transaction]] = {h: [] for h in range(1, last + 1)}
    planned[1] = [register_tx(label, preset) for label in ("alice", "bob", "carol")]
    planned[2] = [register_tx("dave", preset)]
    # At 2 erin moves her coins to a fresh collateral output (one fee coin pays the fee)...
    erin = operator("erin").owner
    move = Transaction(
        1,
        (
            TxInput(fund.collateral("erin"), b"", SEQUENCE_FINAL),
            TxInput(fund.fee_coin("erin", 1), b"", SEQUENCE_FINAL),
        ),
        (
            TxOutput(preset.masternodes.collateral, erin.script_pubkey),
            TxOutput(FEE_COIN_VALUE - CARRIER_FEE, erin.script_pubkey),
        ),
        0,
    )
    move = sign_transaction(
        move, [utxos[i.previous_output].output for i in move.inputs], [erin, erin], preset
    )
    planned[2].append(move)
    fresh = OutPoint(txid(move, preset), 0)
    # ... and registers it at 3.
    planned[3] = [register_tx("erin", preset, signed=registration("erin", fresh, preset))]
    planned[4] = [carrier("alice", fund.collateral("alice"), [], utxos, preset)]
    bob = fund.collateral("bob")
    for number, height in enumerate((interval, interval + 1, 2 * interval + 1), start=1):
        quorum = signing_quorum_height(height, interval)
        assert quorum is not None
        penalty = sign_penalty(bob, quorum, preset)
        planned[height].append(
            carrier("carol", fund.fee_coin("carol", number), [message_script(penalty, preset)], utxos, preset)
        )
    planned[last].append(register_tx("frank", preset))
    blocks = []
    for height in range(1, last + 1):
        quorum = signing_quorum_height(height, interval)
        blocks.append((tuple(planned[height]), None if quorum is None else pose_quorum_key(quorum, preset)))
    return ScriptedSequence(tuple(blocks), 1)


def _blocks_json(blocks: Sequence[tuple[Sequence[Transaction], bytes | None]], preset: Preset) -> list[JSON]:
    return [
        {"transactions": [_hex(tx, preset) for tx in txs], "pose_quorum_key": None if k is None else k.hex()}
        for txs, k in blocks
    ]


def _sequence_cases(preset: Preset) -> Iterator[CaseSpec]:
    fund = funding(preset)
    sequence = scripted_sequence(preset)
    base: dict[str, JSON] = {"utxos": utxos_json(fund.utxos), "start_height": sequence.start_height}
    blocks = list(sequence.blocks)
    yield _case(
        "apply_blocks",
        "scripted",
        "MN-4..7: registrations, a fresh collateral, a collateral spend, three penalties (ban), a late "
        "registration; payees per block",
        {**base, "blocks": _blocks_json(blocks, preset)},
    )
    yield _case(
        "apply_blocks",
        "first_five",
        "MN-5/7: the first five blocks of the scripted sequence",
        {**base, "blocks": _blocks_json(blocks[:5], preset)},
    )
    duplicate = (register_tx("bob", preset, number=2),)
    yield _case(
        "apply_blocks",
        "duplicate_registration_later",
        "MN-3: bob registers again at block 3",
        {**base, "blocks": _blocks_json([*blocks[:2], (duplicate, blocks[2][1])], preset)},
        "MN_DUPLICATE_COLLATERAL",
    )
    respent = (carrier("alice", fund.collateral("alice"), [], fund.utxos, preset),)
    yield _case(
        "apply_blocks",
        "register_spent_collateral",
        "MN-2: alice's collateral is spent at 1, her registration at 2 finds nothing",
        {**base, "blocks": _blocks_json([(respent, None), ((register_tx("alice", preset),), None)], preset)},
        "MN_COLLATERAL_NOT_FOUND",
    )


# --------------------------------------------------------------------------------------------
# MN-7 payee rotation
# --------------------------------------------------------------------------------------------


def _payee_cases(preset: Preset) -> Iterator[CaseSpec]:
    fund = funding(preset)
    four = funded_list(["alice", "bob", "carol", "dave"], preset)
    yield _case(
        "payee_rotation",
        "same_height_two_cycles",
        "MN-7: four masternodes registered together are paid in outpoint order, twice",
        {"masternodes": list_json(four), "start_height": 1, "count": 8},
    )
    mixed = MasternodeList(
        {
            fund.collateral("alice"): entry_for("alice", fund.collateral("alice"), 5, last_paid_height=9),
            fund.collateral("bob"): entry_for("bob", fund.collateral("bob"), 3),
            fund.collateral("carol"): entry_for("carol", fund.collateral("carol"), 7),
            fund.collateral("dave"): entry_for("dave", fund.collateral("dave"), 1, last_paid_height=8),
            fund.collateral("erin"): entry_for(
                "erin", fund.collateral("erin"), 2, status=MasternodeStatus.POSE_BANNED
            ),
            fund.collateral("frank"): entry_for("frank", fund.collateral("frank"), 12),
        }
    )
    yield _case(
        "payee_rotation",
        "queue_positions",
        "MN-7: never-paid masternodes queue at their registration height, paid ones at their last "
        "payment; banned erin is skipped; frank (registered at 12) is eligible from 13",
        {"masternodes": list_json(mixed), "start_height": 12, "count": 12},
    )
    yield _case(
        "payee_rotation",
        "empty",
        "MN-7: no masternode, no payee",
        {"masternodes": [], "start_height": 1, "count": 2},
    )
    yield _case(
        "payee_rotation",
        "registered_this_height",
        "MN-7: a masternode registered at the block's own height is not yet eligible",
        {
            "masternodes": list_json(funded_list(["alice"], preset, registered_height=4)),
            "start_height": 4,
            "count": 2,
        },
    )


# --------------------------------------------------------------------------------------------
# QUORUM-1..3
# --------------------------------------------------------------------------------------------


def _quorum_cases(preset: Preset) -> Iterator[CaseSpec]:
    fund = funding(preset)
    params = preset.masternodes
    everyone = funded_list(LABELS, preset)
    banned = MasternodeList(
        {
            **everyone.entries,
            fund.collateral("alice"): replace(
                everyone.entries[fund.collateral("alice")], status=MasternodeStatus.POSE_BANNED
            ),
        }
    )
    base_hash = seeded_bytes("masternode/quorum-base", 32)
    for kind in QuorumType:
        for name, mn_list in (("all", everyone), ("one_banned", banned)):
            yield _case(
                "select_quorum",
                f"{kind.name.lower()}_{name}",
                f"QUORUM-2/3: the {kind.name} quorum of {len(mn_list.active())} active masternodes",
                {
                    "masternodes": list_json(mn_list),
                    "quorum_type": int(kind),
                    "base_block_hash": base_hash.hex(),
                },
            )
    yield _case(
        "select_quorum",
        "other_base_block",
        "QUORUM-2: another base block hash selects (or orders) differently",
        {
            "masternodes": list_json(everyone),
            "quorum_type": int(QuorumType.POSE),
            "base_block_hash": seeded_bytes("masternode/quorum-base-2", 32).hex(),
        },
    )
    minimum = funded_list(LABELS[: params.min_quorum_members], preset)
    yield _case(
        "select_quorum",
        "minimum_members",
        "QUORUM-2: exactly min_quorum_members active masternodes form a quorum",
        {
            "masternodes": list_json(minimum),
            "quorum_type": int(QuorumType.FINALITY),
            "base_block_hash": base_hash.hex(),
        },
    )
    too_few = funded_list(LABELS[: params.min_quorum_members - 1], preset)
    yield _case(
        "select_quorum",
        "too_few_members",
        "QUORUM-2: one active masternode fewer than min_quorum_members",
        {
            "masternodes": list_json(too_few),
            "quorum_type": int(QuorumType.FINALITY),
            "base_block_hash": base_hash.hex(),
        },
        "MN_QUORUM_TOO_SMALL",
    )
    too_few_banned = MasternodeList(
        {
            **minimum.entries,
            fund.collateral("alice"): replace(
                minimum.entries[fund.collateral("alice")], status=MasternodeStatus.POSE_BANNED
            ),
        }
    )
    yield _case(
        "select_quorum",
        "too_few_active",
        "QUORUM-2: banned masternodes do not count towards the minimum",
        {
            "masternodes": list_json(too_few_banned),
            "quorum_type": int(QuorumType.POSE),
            "base_block_hash": base_hash.hex(),
        },
        "MN_QUORUM_TOO_SMALL",
    )
    yield _case(
        "select_quorum",
        "unknown_type",
        "QUORUM-2: quorum type 9 does not exist",
        {"masternodes": list_json(everyone), "quorum_type": 9, "base_block_hash": base_hash.hex()},
        "MN_UNKNOWN_QUORUM_TYPE",
    )
    for members in (1, 2, 3, 4, 5, 6, 7, 25, 50, 400):
        yield _case(
            "quorum_threshold",
            f"members_{members}",
            f"QUORUM-3: (2n + 2) // 3 for n = {members}",
            {"members": members},
        )


# --------------------------------------------------------------------------------------------
# FIN-1..4 the finality schedule
# --------------------------------------------------------------------------------------------


def finality_base_hash(base_height: int) -> bytes:
    """The (seeded) hash of the base block of the finality quorum based at ``base_height``."""
    return seeded_bytes(f"masternode/finality-base/{base_height}", 32)


@cache
def finality_quorum(base_height: int, preset: Preset) -> Finished:
    """FIN-1: the finality quorum of every funded masternode based at ``base_height``, after an honest
    DKG run by the members' operator keys."""
    session = finality_dkg_session(
        funded_list(LABELS, preset), finality_base_hash(base_height), base_height, preset
    )
    secrets = {operator(label).public_key: operator(label).secret for label in LABELS}
    return finish(quorum_of_session(f"finality/{preset.name}/{base_height}", session, secrets))


def finality_certificate(
    base_height: int, height: int, preset: Preset, block_hash: bytes | None = None
) -> FinalityCertificate:
    """The certificate of the first ``t`` members of the quorum based at ``base_height`` for
    ``height`` (of a seeded block hash unless given)."""
    finished = finality_quorum(base_height, preset)
    block = seeded_bytes(f"masternode/finality-block/{height}", 32) if block_hash is None else block_hash
    return certify(finished, height, block, range(1, finished.result.threshold + 1))


def _finality_cases(preset: Preset) -> Iterator[CaseSpec]:
    fund = funding(preset)
    params = preset.masternodes
    interval = params.finality_quorum_interval
    length = dkg_length(preset)

    heights = {
        "zero": 0,
        "one": 1,
        "last_without_quorum": length - 1,
        "first_certified": length,
        "after_first": length + 1,
        "interval": interval,
        "last_of_first_quorum": length + interval - 1,
        "first_of_second_quorum": length + interval,
        "second_base": 2 * interval,
        "last_of_second_quorum": length + 2 * interval - 1,
        "first_of_third_quorum": length + 2 * interval,
        "far": 1_000_003,
        "max_u64": 2**64 - 1,
    }
    for name, height in heights.items():
        yield _case(
            "finality_quorum_height",
            name,
            f"FIN-1/2: height {height} (D = {length}, I = {interval})",
            {"height": height},
        )

    everyone = funded_list(LABELS, preset)
    minimum = funded_list(LABELS[: params.min_quorum_members], preset)
    alice = fund.collateral("alice")
    banned = MasternodeList(
        {**everyone.entries, alice: replace(everyone.entries[alice], status=MasternodeStatus.POSE_BANNED)}
    )
    bob = fund.collateral("bob")
    shared_key = MasternodeList(
        {
            **minimum.entries,
            bob: replace(minimum.entries[bob], operator_public_key=operator("alice").public_key),
        }
    )

    def session(
        case: str,
        description: str,
        mn_list: MasternodeList,
        base_height: int,
        error: str | None = None,
        base_hash: bytes | None = None,
    ) -> CaseSpec:
        digest = finality_base_hash(base_height) if base_hash is None else base_hash
        data: dict[str, JSON] = {
            "masternodes": list_json(mn_list),
            "base_block_hash": digest.hex(),
            "base_height": base_height,
        }
        return _case("finality_dkg_session", case, f"FIN-1: {description}", data, error)

    yield session("genesis_quorum", "the quorum based at 0 of every funded masternode", everyone, 0)
    yield session(
        "second_quorum",
        "the quorum based at I: another base hash, other members or order",
        everyone,
        interval,
    )
    yield session("later_quorum", "the quorum based at 7I", everyone, 7 * interval)
    yield session("one_banned", "a banned masternode is never a member", banned, interval)
    yield session("minimum_members", "exactly min_quorum_members active masternodes", minimum, 2 * interval)
    yield session(
        "not_a_base_height",
        "I + 1 is not a multiple of the interval",
        everyone,
        interval + 1,
        "DKG_INVALID_PARAMETERS",
    )
    yield session("height_one", "height 1 is not a base height", everyone, 1, "DKG_INVALID_PARAMETERS")
    yield session(
        "not_a_base_height_checked_first",
        "too few masternodes too, but the base height is checked first",
        funded_list(LABELS[:1], preset),
        interval - 1,
        "DKG_INVALID_PARAMETERS",
    )
    yield session(
        "too_few_masternodes",
        "one masternode fewer than min_quorum_members",
        funded_list(LABELS[: params.min_quorum_members - 1], preset),
        interval,
        "MN_QUORUM_TOO_SMALL",
    )
    minimum_one_banned = MasternodeList(
        {**minimum.entries, alice: replace(minimum.entries[alice], status=MasternodeStatus.POSE_BANNED)}
    )
    yield session(
        "too_few_active",
        "banned masternodes do not count towards the minimum",
        minimum_one_banned,
        interval,
        "MN_QUORUM_TOO_SMALL",
    )
    yield session("empty_list", "no masternode at all", MasternodeList({}), 0, "MN_QUORUM_TOO_SMALL")
    yield session(
        "short_base_hash",
        "a 31-byte base block hash breaks DKG-1",
        everyone,
        interval,
        "DKG_INVALID_PARAMETERS",
        finality_base_hash(interval)[:31],
    )
    yield session(
        "repeated_operator_key",
        "two members with one operator key break DKG-1 (MN-3 keeps such a list from forming)",
        shared_key,
        0,
        "DKG_INVALID_PARAMETERS",
    )

    sequences: list[tuple[str, str, int | None, list[int]]] = [
        ("never_signed", "a member that never signed may sign any height", None, [0]),
        ("increasing", "strictly increasing heights are all signed", None, [length, length + 1, length + 7]),
        ("same_height_twice", "a second proposal at a signed height is refused", None, [40, 40]),
        ("lower_after_higher", "a height below the last signed one is refused", None, [41, 40, 42]),
        (
            "after_restart",
            "a member that signed 100 before refuses 99 and 100, signs 101",
            100,
            [99, 100, 101],
        ),
        (
            "competing_tips",
            "tips proposed out of order: only each new highest height is signed",
            None,
            [30, 29, 31, 31, 35, 33, 36],
        ),
        ("largest_height", "the largest u64 height, once", 2**64 - 2, [2**64 - 1, 2**64 - 1]),
        ("nothing_proposed", "no proposal: nothing signed", 7, []),
    ]
    for name, description, last, proposed in sequences:
        yield _case(
            "may_sign_finality",
            name,
            f"FIN-3: {description}",
            {"last_signed_height": last, "heights": [*proposed]},
        )

    first, second = finality_quorum(0, preset), finality_quorum(interval, preset)
    keys: list[JSON] = [
        {"base_height": 0, "group_public_key": first.group_public_key.hex()},
        {"base_height": interval, "group_public_key": second.group_public_key.hex()},
    ]

    def check(
        case: str,
        description: str,
        certificate: FinalityCertificate | bytes,
        error: str | None = None,
        quorum_keys: list[JSON] = keys,
    ) -> CaseSpec:
        raw = certificate if isinstance(certificate, bytes) else encode_finality_certificate(certificate)
        data: dict[str, JSON] = {"certificate": raw.hex(), "quorum_keys": quorum_keys}
        return _case("check_finality_certificate", case, description, data, error)

    first_height, last_height = length, length + interval - 1
    good = finality_certificate(0, first_height, preset)
    yield check("first_quorum_first_height", "FIN-2: quorum 0 certifies height D", good)
    yield check(
        "first_quorum_last_height",
        "FIN-2: quorum 0 certifies height D + I - 1",
        finality_certificate(0, last_height, preset),
    )
    yield check(
        "second_quorum_first_height",
        "FIN-2: quorum I certifies height D + I",
        finality_certificate(interval, last_height + 1, preset),
    )
    yield check(
        "previous_quorum_too_late",
        "FIN-2: quorum 0's certificate of D + I does not count (quorum I is in charge)",
        finality_certificate(0, last_height + 1, preset),
    )
    yield check(
        "next_quorum_too_early",
        "FIN-2: quorum I's certificate of D + I - 1 does not count (its DKG is not over)",
        finality_certificate(interval, last_height, preset),
    )
    yield check(
        "before_any_quorum",
        "FIN-2: no quorum certifies D - 1",
        finality_certificate(0, length - 1, preset),
    )
    yield check(
        "quorum_without_key",
        "FIN-2: the quorum in charge of D + 2I (based at 2I) has no key: nothing is certified",
        finality_certificate(interval, length + 2 * interval, preset),
    )
    yield check(
        "only_own_key_listed",
        "FIN-2: quorum 0's certificate with only quorum 0's key known",
        good,
        quorum_keys=keys[:1],
    )
    yield check(
        "other_block",
        "FORK-3: the signature of D's certificate over another block hash does not verify",
        replace(good, block_hash=seeded_bytes("masternode/finality-block/other", 32)),
    )
    yield check(
        "other_height",
        "FORK-3: the signature of D's certificate moved to D + 1 does not verify",
        replace(good, height=first_height + 1),
    )
    yield check(
        "signature_of_other_quorum",
        "FORK-3: quorum I's signature of the same block under quorum 0's charge",
        replace(good, signature=finality_certificate(interval, first_height, preset).signature),
    )
    raw = encode_finality_certificate(good)
    yield check("truncated", "ENC: a certificate of 135 bytes", raw[:-1], "DECODE_TRUNCATED")
    yield check("trailing", "ENC: a certificate of 137 bytes", raw + b"\x00", "DECODE_TRAILING_BYTES")
    yield check("empty", "ENC: no bytes", b"", "DECODE_TRUNCATED")
    yield check(
        "signature_not_a_point",
        "BLS-3: 96 zero bytes are no G2 encoding (the quorum in charge has a key)",
        replace(good, signature=bytes(96)),
        "BLS_INVALID_SIGNATURE",
    )

    yield from _finalized_block_cases(preset, keys)


def _finalized_block_cases(preset: Preset, keys: list[JSON]) -> Iterator[CaseSpec]:
    """FIN-4: a main chain of ``D + I + 6`` blocks and a fork from ``D + 1``, certificates of the
    quorums based at 0 and at I; fork choice keeps the newest certified block the schedule accepts."""
    interval = preset.masternodes.finality_quorum_interval
    length = dkg_length(preset)
    top = length + interval + 5
    main = [seeded_bytes(f"masternode/finality-chain/main/{h}", 32) for h in range(top + 1)]
    fork = {h: seeded_bytes(f"masternode/finality-chain/fork/{h}", 32) for h in range(length + 2, top + 1)}
    index: list[JSON] = []
    for height, block in enumerate(main):
        parent = bytes(32) if height == 0 else main[height - 1]
        index.append(
            {
                "block_hash": block.hex(),
                "parent_hash": parent.hex(),
                "height": height,
                "cumulative_work": big_to_hex(height + 1),
            }
        )
    for height, block in fork.items():
        parent = main[height - 1] if height == length + 2 else fork[height - 1]
        index.append(
            {
                "block_hash": block.hex(),
                "parent_hash": parent.hex(),
                "height": height,
                "cumulative_work": big_to_hex(height + 1),
            }
        )

    def cert(base: int, height: int, block: bytes) -> str:
        return encode_finality_certificate(finality_certificate(base, height, preset, block)).hex()

    early, late = length + 2, length + interval + 1

    def case(
        name: str,
        description: str,
        certificates: list[str],
        previous: bytes | None = None,
        error: str | None = None,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "index": index,
            "certificates": [*certificates],
            "quorum_keys": keys,
            "previous": None if previous is None else previous.hex(),
        }
        return _case("finalized_block", name, f"FIN-4: {description}", data, error)

    yield case(
        "two_quorums",
        "quorum 0 certifies D + 2, quorum I certifies D + I + 1: the newer one is final",
        [cert(0, early, main[early]), cert(interval, late, main[late])],
    )
    yield case(
        "wrong_quorum_ignored",
        "quorum 0's certificate of D + I + 1 (quorum I's height) does not count",
        [cert(0, early, main[early]), cert(0, late, main[late])],
    )
    yield case(
        "before_first_dkg",
        "a certificate of D - 1 counts under no key",
        [cert(0, length - 1, main[length - 1])],
    )
    yield case(
        "fork_after_finalized",
        "a fork block certified by the right quorum does not descend from the finalized block",
        [cert(interval, late, fork[late])],
        main[early],
    )
    yield case(
        "moves_forward_only",
        "a certificate below the previously finalized block changes nothing",
        [cert(0, early, main[early])],
        main[late],
    )
    yield case(
        "unknown_block_ignored",
        "a certificate of a block missing from the index is ignored",
        [cert(0, early, seeded_bytes("masternode/finality-chain/unknown", 32))],
    )
    yield case("no_certificates", "nothing certified, nothing final", [])
    yield case(
        "certificate_truncated",
        "a certificate one byte short does not decode",
        [cert(0, early, main[early]), cert(interval, late, main[late])[:-2]],
        error="DECODE_TRUNCATED",
    )
