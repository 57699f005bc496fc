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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache

from conformance.dkgbuilder import Finished, certify, finality_share, finish, quorum_of_session, resign
from conformance.dkgbuilder import contribution as dkg_contribution
from conformance.handlers.chain import big_to_hex, pose_quorums_json, quorum_record_json, quorums_json
from conformance.handlers.dkg import message_to_json as dkg_message_json
from conformance.handlers.masternode import entry_json, list_json, utxo_json
from conformance.model import JSON, CaseSpec
from conformance.seeded import seeded_bytes
from conformance.wallet import Key, key, sign_transaction
from spec.chain.forkchoice import FinalityCertificate, encode_finality_certificate
from spec.crypto import bls, ed25519, threshold
from spec.encoding import encode, varint_encode
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
from spec.masternode.challenge import (
    PoSeChallenge,
    PoSeResponse,
    challenge_digest,
    challenge_window,
    challengers,
    encode_challenge,
    encode_response,
    make_challenge,
    make_response,
    terms_to_ban,
)
from spec.masternode.dkg import Contribution, DkgMessage, make_justification
from spec.masternode.evidence import (
    CheckpointEquivocationEvidence,
    ContributionPrefixEvidence,
    DkgEquivocationEvidence,
    DoubleSignEvidence,
    SlashingEvidence,
    signed_prefix,
)
from spec.masternode.finality import (
    COMMITMENT_SIGNATURE_CODEC,
    EMPTY_QUORUMS,
    CommitmentSignature,
    QuorumRecord,
    QuorumRegistry,
    build_commitment,
    commitment_signature,
    commitment_window,
    dkg_length,
    finality_dkg_session,
    finality_quorum_height,
    finality_term,
    pose_dkg_session,
    record_quorum,
)
from spec.masternode.quorum import QuorumType, quorum_threshold
from spec.masternode.registry import (
    ADDRESS_BYTES,
    KIND_QUORUM_COMMITMENT,
    KIND_REGISTRATION,
    KIND_SLASHING_EVIDENCE,
    MASTERNODE_PREFIX,
    MasternodeEntry,
    MasternodeList,
    MasternodeStatus,
    PoSePenalty,
    QuorumCommitment,
    Registration,
    SignedRegistration,
    Unbond,
    collateral_script,
    encode_message,
    match_message,
    message_script,
    null_data_pushes,
    penalty_message,
    pose_quorum_height,
    registration_hash,
    unbond_message,
)
from spec.masternode.share_service import share_window
from spec.masternode.signing import SignatureShare, make_signature_share
from spec.merkle import inclusion_proof, merkle_root
from spec.presets import Preset
from spec.script import Opcode, encode_push, null_data_script, p2pkh_script
from spec.sidechain.header import Checkpoint, SidechainHeader, compute_checkpoint_message

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
    """Masternode vectors for one preset; every valid ``match_message`` case is also a
    ``reencode_message`` case (MN-0: the canonical script of the message it carries)."""
    for spec in _generate(preset):
        yield spec
        if spec.handler == "match_message" and spec.expect_error is None:
            yield replace(spec, handler="reencode_message", description=f"{spec.description} (re-encoded)")
            yield from _payload_cases(spec, preset)
        if spec.handler == "payee_rotation" and spec.expect_error is None:
            yield replace(spec, handler="payee_scripts", description=f"{spec.description} (payout scripts)")


def _payload_cases(spec: CaseSpec, preset: Preset) -> Iterator[CaseSpec]:
    """``decode_payload`` of the payload a valid ``match_message`` case carries (when it carries a
    message), and of that payload without its prefix and with the prefix alone (first case only)."""
    script = bytes.fromhex(str(spec.input["script"]))
    pushes = null_data_pushes(script, preset.script)
    if pushes is None or match_message(script, preset) is None:
        return
    payload = b"".join(pushes)
    yield replace(
        spec,
        handler="decode_payload",
        description=f"{spec.description} (its payload)",
        input={"payload": payload.hex()},
    )
    if spec.case == "registration":
        for case, description, data, error in (
            ("no_prefix", "the payload without its prefix", payload[4:], "DECODE_INVALID_TAG"),
            ("prefix_only", "the prefix alone, no kind byte", payload[:4], "DECODE_TRUNCATED"),
        ):
            yield _case("decode_payload", case, f"MN-0: {description}", {"payload": data.hex()}, error)


def _generate(preset: Preset) -> Iterator[CaseSpec]:
    yield from _message_cases(preset)
    yield from _registration_cases(preset)
    yield from _penalty_cases(preset)
    yield from _sequence_cases(preset)
    yield from _payee_cases(preset)
    yield from _quorum_cases(preset)
    yield from _finality_cases(preset)
    yield from _commitment_cases(preset)
    yield from _evidence_cases(preset)
    yield from _pose_commitment_cases(preset)
    yield from _pose_penalty_cases(preset)
    yield from _pose_challenge_cases(preset)
    yield from _pose_challenger_subset_cases(preset)
    yield from _finality_share_cases(preset)
    yield from _builder_cases(preset)
    yield from _pose_producer_cases(preset)


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
        (
            "unbond",
            message_script(
                Unbond(
                    fund.collateral("alice"),
                    ed25519.sign(operator("alice").owner.seed, unbond_message(fund.collateral("alice"))),
                ),
                preset,
            ),
            "an unbond output (MN-8)",
        ),
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
    yield from _commitment_message_cases(preset)


def _commitment_message_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MN-0 kind 3 (FIN-5): a real commitment of the finality quorum based at I."""
    commitment = commitment_of(preset.masternodes.finality_quorum_interval, preset)
    payload = encode_message(commitment, preset)
    assert payload[len(MASTERNODE_PREFIX)] == KIND_QUORUM_COMMITMENT
    params = preset.script
    limit = preset.quorum.max_members
    head = payload[: len(MASTERNODE_PREFIX) + 1 + 8 + 32 + 48 + 32]
    yield _case(
        "match_message",
        "quorum_commitment",
        f"MN-0: a quorum commitment output (kind 3, {len(commitment.signers)} signers)",
        {"script": message_script(commitment, preset).hex()},
    )
    invalid = [
        ("commitment_truncated", payload[:-1], "DECODE_TRUNCATED", "a commitment missing its last byte"),
        (
            "commitment_trailing",
            payload + b"\x00",
            "DECODE_TRAILING_BYTES",
            "a commitment with a byte after it",
        ),
        (
            "commitment_too_many_signers",
            head + varint_encode(limit + 1) + bytes(4) + commitment.signature,
            "DECODE_LENGTH_LIMIT",
            f"a signer list announcing quorum.max_members + 1 = {limit + 1} entries",
        ),
        (
            "commitment_signers_cut",
            head + varint_encode(len(commitment.signers) + 1) + payload[len(head) + 1 :],
            "DECODE_TRUNCATED",
            "one signer more announced than the bytes hold",
        ),
        (
            "commitment_kind_only",
            payload[: len(MASTERNODE_PREFIX) + 1],
            "DECODE_TRUNCATED",
            "kind 3 and no body",
        ),
    ]
    for case, data, error, description in invalid:
        script = null_data_script(data, params)
        yield _case("match_message", case, f"MN-0: {description}", {"script": script.hex()}, error)


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
    unbonding = preset.masternodes.unbonding_blocks
    bob = fund.collateral("bob")

    def bob_list(**changes: object) -> list[JSON]:
        return [entry_json(entry_for("bob", bob, 0, **changes))]

    spend_bob = carrier("bob", bob, [], fund.utxos, preset)
    yield case(
        "spend_active_collateral_locked",
        "MN-8: an ACTIVE masternode's collateral is locked until it unbonds (changed: MN-4 used to drop it)",
        spend_bob,
        "MN_COLLATERAL_LOCKED",
    )
    yield case(
        "quorum_commitment_ignored",
        "MN-5: a quorum commitment output leaves the list alone (FIN-5 checks it)",
        commitment_tx([commitment_of(preset.masternodes.finality_quorum_interval, preset)], preset),
    )
    yield case(
        "spend_collateral_after_unbonding",
        f"MN-4/8: bob unbonded at 1; at 1 + unbonding_blocks = {1 + unbonding} his collateral spends",
        spend_bob,
        masternodes=bob_list(status=MasternodeStatus.UNBONDING, unbonding_height=1),
        height=1 + unbonding,
    )
    yield case(
        "spend_collateral_one_block_early",
        f"MN-8: bob unbonded at 1; at {unbonding} (one block early) the collateral is still locked",
        spend_bob,
        "MN_COLLATERAL_LOCKED",
        masternodes=bob_list(status=MasternodeStatus.UNBONDING, unbonding_height=1),
        height=unbonding,
    )
    yield case(
        "spend_banned_collateral",
        "MN-4/8: a masternode banned at 1 unbonds too: unbonding_blocks later its collateral spends",
        spend_bob,
        masternodes=bob_list(status=MasternodeStatus.POSE_BANNED, unbonding_height=1),
        height=1 + unbonding,
    )
    yield case(
        "spend_banned_collateral_locked",
        "MN-8: the collateral of a masternode banned at 1 is locked at 2",
        spend_bob,
        "MN_COLLATERAL_LOCKED",
        masternodes=bob_list(status=MasternodeStatus.POSE_BANNED, unbonding_height=1),
        height=2,
    )
    owner = operator("bob").owner

    def unbond_tx(collateral: OutPoint, signer: Key = owner) -> Transaction:
        message = Unbond(collateral, ed25519.sign(signer.seed, unbond_message(collateral)))
        return carrier("bob", fund.fee_coin("bob"), [message_script(message, preset)], fund.utxos, preset)

    yield case("unbond", "MN-8: bob's owner signs his unbond: UNBONDING since 1", unbond_tx(bob))
    yield case(
        "unbond_unknown",
        "MN-8: an unbond of a collateral nobody registered",
        unbond_tx(fund.collateral("alice")),
        "MN_UNKNOWN_MASTERNODE",
    )
    yield case(
        "unbond_banned",
        "MN-8: a banned masternode is unbonding already",
        unbond_tx(bob),
        "MN_NOT_ACTIVE",
        masternodes=bob_list(status=MasternodeStatus.POSE_BANNED, unbonding_height=1),
    )
    yield case(
        "unbond_twice",
        "MN-8: a second unbond of an UNBONDING masternode",
        unbond_tx(bob),
        "MN_NOT_ACTIVE",
        masternodes=bob_list(status=MasternodeStatus.UNBONDING, unbonding_height=1),
    )
    yield case(
        "unbond_signed_by_operator",
        "MN-8: alice's owner key signs bob's unbond",
        unbond_tx(bob, operator("alice").owner),
        "MN_BAD_SIGNATURE",
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
    # Issue 11 item 7: bob's operator key and carol's address; the operator key is checked against
    # every entry before the address, so the order of the list does not matter.
    two = list_json(funded_list(["bob", "carol"], preset))
    clash = reg_tx(
        registration(
            "alice",
            fund.collateral("alice"),
            preset,
            operator_public_key=operator("bob").public_key,
            proof_of_possession=operator("bob").proof_of_possession,
            address=address_of("carol"),
        )
    )
    for suffix, order in (("", two), ("_reversed", two[::-1])):
        yield case(
            f"duplicate_key_and_other_address{suffix}",
            "MN-3: bob's operator key and carol's address at once: the operator key is checked first",
            clash,
            "MN_DUPLICATE_OPERATOR_KEY",
            masternodes=order,
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
    # In the middle of the second PoSe quorum's term (QUORUM-1: its DKG ended), so a previous one exists.
    height = dkg_length(preset) + interval + interval // 2
    quorum_height = pose_quorum_height(height, preset)
    assert quorum_height == interval
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
    """Registrations at 1-2, a collateral created at 2 and registered at 3, alice unbonding at 4 (her
    collateral spent ``unbonding_blocks`` later where the sequence is that long, MN-8),
    penalties of bob by three consecutive PoSe quorums (the third bans him), a late registration."""
    fund = funding(preset)
    utxos = dict(fund.utxos)
    interval = preset.masternodes.pose_quorum_interval
    length = dkg_length(preset)
    last = length + 2 * interval + 2
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
    # At 4 alice leaves (MN-8); her collateral spends unbonding_blocks later when the sequence is
    # that long (devnet), else it stays locked and she stays UNBONDING (mainnet).
    alice = fund.collateral("alice")
    leave = Unbond(alice, ed25519.sign(operator("alice").owner.seed, unbond_message(alice)))
    planned[4] = [carrier("alice", fund.fee_coin("alice", 1), [message_script(leave, preset)], utxos, preset)]
    if 4 + preset.masternodes.unbonding_blocks <= last:
        planned[4 + preset.masternodes.unbonding_blocks].append(carrier("alice", alice, [], utxos, preset))
    bob = fund.collateral("bob")
    # The last block of the first quorum's term, the first of the second's and of the third's
    # (QUORUM-1), so the first two penalties are one block apart and the third bans.
    for number, height in enumerate(
        (length + interval - 1, length + interval, length + 2 * interval), start=1
    ):
        quorum = pose_quorum_height(height, preset)
        assert quorum is not None
        penalty = sign_penalty(bob, quorum, preset)
        planned[height].append(
            carrier("carol", fund.fee_coin("carol", number), [message_script(penalty, preset)], utxos, preset)
        )
    planned[last].append(register_tx("frank", preset))
    blocks = []
    for height in range(1, last + 1):
        quorum = pose_quorum_height(height, preset)
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
        "MN-4..8: registrations, a fresh collateral, an unbond (and its collateral spent when unlocked), "
        "three penalties (ban), a late registration; payees per block",
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
    # Issue 11 item 7: the result does not depend on the order of the certificates.
    low, high = sorted([main[late], fork[late]])
    both = [cert(interval, late, main[late]), cert(interval, late, fork[late])]
    yield case(
        "two_at_one_height",
        "two blocks certified at one height: the smaller block hash wins",
        both,
    )
    yield case(
        "two_at_one_height_reversed",
        "the same two certificates in the other order: the same block wins",
        both[::-1],
    )
    yield case(
        "two_at_one_height_then_higher",
        "two blocks certified at one height and a descendant of the larger hash certified higher",
        [*both, cert(interval, late + 1, main[late + 1] if high == main[late] else fork[late + 1])],
    )
    yield case(
        "same_height_as_previous",
        "a certificate of another block at the previously finalized height never replaces it",
        [cert(interval, late, low)],
        high,
    )


# --------------------------------------------------------------------------------------------
# FIN-5/6 on-chain quorum records and commitments
# --------------------------------------------------------------------------------------------


@cache
def operator_secrets() -> dict[bytes, bytes]:
    """Every label's operator secret key by its operator public key."""
    return {operator(label).public_key: operator(label).secret for label in LABELS}


@cache
def finality_record(base_height: int, preset: Preset) -> QuorumRecord:
    """FIN-6: the record :func:`~spec.masternode.finality.record_quorum` makes of the finality quorum
    based at ``base_height`` over every funded masternode and the seeded base hash (not committed);
    the quorum of :func:`finality_quorum`."""
    registry = record_quorum(
        EMPTY_QUORUMS, funded_list(LABELS, preset), finality_base_hash(base_height), base_height, preset
    )
    return registry.records[base_height]


def commitment_of(
    base_height: int,
    preset: Preset,
    signers: Sequence[int] | None = None,
    *,
    quorum_height: int | None = None,
    session_id: bytes | None = None,
    group_public_key: bytes | None = None,
) -> QuorumCommitment:
    """FIN-5: the commitment of the quorum based at ``base_height`` to its DKG's group key, with the
    aggregate of the operator-key signatures of ``signers`` (default: members ``1..t``).

    ``quorum_height``, ``session_id`` and ``group_public_key`` replace what the commitment names
    (and what the members sign), for invalid cases.
    """
    record = finality_record(base_height, preset)
    height = base_height if quorum_height is None else quorum_height
    session = record.session_id if session_id is None else session_id
    finished = finality_quorum(base_height, preset)
    key = finished.group_public_key if group_public_key is None else group_public_key
    root = finished.key_shares_root
    chosen = range(1, record.threshold + 1) if signers is None else signers
    secrets = operator_secrets()
    signatures = {
        member: commitment_signature(secrets[record.members[member - 1]], height, session, key, root)
        for member in chosen
    }
    return build_commitment(height, session, key, root, signatures)


def commitment_tx(commitments: Sequence[QuorumCommitment], preset: Preset, number: int = 0) -> Transaction:
    """A transaction carrying ``commitments`` in output order, paid by oscar's fee coin ``number``."""
    fund = funding(preset)
    scripts = [message_script(commitment, preset) for commitment in commitments]
    return carrier("oscar", fund.fee_coin("oscar", number), scripts, fund.utxos, preset)


def _commitment_cases(preset: Preset) -> Iterator[CaseSpec]:
    yield from _apply_quorum_cases(preset)
    yield from _commitment_signature_cases(preset)
    yield from _committed_key_cases(preset)


def _apply_quorum_cases(preset: Preset) -> Iterator[CaseSpec]:
    """FIN-5/6 by ``apply_block_to_quorums``: the quorums based at 0 and I are recorded (and not
    committed); commitments of quorum I at heights around its window ``[I + 20, I + D + I)``."""
    interval = preset.masternodes.finality_quorum_interval
    everyone = funded_list(LABELS, preset)
    first, second = finality_record(0, preset), finality_record(interval, preset)
    n, t = len(second.members), second.threshold
    first_key = finality_quorum(0, preset).group_public_key
    second_key = finality_quorum(interval, preset).group_public_key
    second_root = finality_quorum(interval, preset).key_shares_root
    registry = QuorumRegistry({0: first, interval: second})
    opens, closes = commitment_window(interval, preset)
    later = 2 * interval
    good = commitment_of(interval, preset)

    def case(
        name: str,
        description: str,
        transactions: Sequence[Transaction],
        height: int = opens,
        error: str | None = None,
        *,
        quorums: QuorumRegistry = registry,
        masternodes: MasternodeList | None = None,
        block_hash: bytes | None = None,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorums": quorums_json(quorums),
            "block_hash": (finality_base_hash(height) if block_hash is None else block_hash).hex(),
            "height": height,
            "transactions": [_hex(tx, preset) for tx in transactions],
        }
        if masternodes is not None:
            data["masternodes"] = list_json(masternodes)
        return _case("apply_block_to_quorums", name, description, data, error)

    def commit(*commitments: QuorumCommitment) -> list[Transaction]:
        return [commitment_tx(commitments, preset)]

    # Valid blocks.
    yield case(
        "threshold_signers_window_opens",
        f"FIN-5: quorum I committed by exactly t = {t} of {n} members in the first FINALIZATION block",
        commit(commitment_of(interval, preset, range(n - t + 1, n + 1))),
    )
    yield case(
        "all_signers_window_last",
        f"FIN-5: all {n} members sign; the last block of the quorum's term (b + D + I - 1)",
        commit(commitment_of(interval, preset, range(1, n + 1))),
        closes - 1,
    )
    yield case(
        "first_certified_height",
        "FIN-5: committed at b + D, the first height the quorum certifies",
        commit(good),
        interval + dkg_length(preset),
    )
    yield case(
        "two_quorums_one_transaction",
        "FIN-5: quorum 0 (late in its window) and quorum I (early in its window) in one transaction",
        commit(commitment_of(0, preset), good),
    )
    yield case(
        "two_quorums_two_transactions",
        "FIN-5: quorum 0 and quorum I in two transactions of one block",
        [commitment_tx([commitment_of(0, preset)], preset), commitment_tx([good], preset, 1)],
    )
    yield case(
        "commitment_then_record",
        "FIN-6: at the base height 2I the block commits quorum I, then quorum 2I is recorded",
        commit(good),
        later,
        masternodes=everyone,
    )
    yield case(
        "record_at_base_height",
        "FIN-6: an empty block at the base height 2I records the quorum FIN-1 selects",
        [],
        later,
        masternodes=everyone,
    )
    yield case(
        "record_minimum_members",
        "FIN-6: exactly min_quorum_members active masternodes form a quorum",
        [],
        later,
        masternodes=funded_list(LABELS[: preset.masternodes.min_quorum_members], preset),
    )
    yield case(
        "no_record_off_base_height",
        "FIN-6: 2I + 1 is not a base height: nothing is recorded",
        [],
        later + 1,
        masternodes=everyone,
    )
    yield case(
        "no_record_too_few_masternodes",
        "FIN-6: one active masternode fewer than min_quorum_members: no quorum, no record",
        [],
        later,
        masternodes=funded_list(LABELS[: preset.masternodes.min_quorum_members - 1], preset),
    )
    alice, bob = funding(preset).collateral("alice"), funding(preset).collateral("bob")
    shared_key = MasternodeList(
        {
            **everyone.entries,
            bob: replace(
                everyone.entries[bob], operator_public_key=everyone.entries[alice].operator_public_key
            ),
        }
    )
    yield case(
        "no_record_failed_session",
        "FIN-6: two masternodes share an operator key, DKG-1 refuses the session: no record",
        [],
        later,
        masternodes=shared_key,
    )
    yield case(
        "no_record_empty_list",
        "FIN-6: no masternode list at a base height: no record; the registry is unchanged",
        [],
        later,
    )
    yield case(
        "record_into_empty_registry",
        "FIN-6: the genesis block records the quorum based at 0",
        [],
        0,
        quorums=EMPTY_QUORUMS,
        masternodes=everyone,
    )
    penalty = sign_penalty(funding(preset).collateral("alice"), 0, preset)
    yield case(
        "other_messages_ignored",
        "FIN-5: a PoSe penalty and a registration beside the commitment are MN-5's business",
        [
            carrier(
                "oscar",
                funding(preset).fee_coin("oscar"),
                [
                    message_script(penalty, preset),
                    message_script(good, preset),
                    message_script(
                        registration("alice", funding(preset).collateral("alice"), preset), preset
                    ),
                ],
                funding(preset).utxos,
                preset,
            )
        ],
    )
    yield case("no_transactions", "FIN-5/6: an empty block off a base height changes nothing", [], opens)

    # Invalid blocks, one per FIN-5 check in order.
    yield case(
        "unknown_quorum_height",
        "FIN-5: quorum height I + 1 is not a base height: no quorum recorded there",
        commit(commitment_of(interval, preset, quorum_height=interval + 1)),
        error="MN_UNKNOWN_QUORUM",
    )
    yield case(
        "unknown_quorum_own_base_block",
        "FIN-5: quorum 2I committed in block 2I: its record is made after the block's commitments",
        commit(commitment_of(interval, preset, quorum_height=later)),
        later,
        "MN_UNKNOWN_QUORUM",
        masternodes=everyone,
    )
    yield case(
        "unknown_quorum_empty_registry",
        "FIN-5: nothing recorded at all",
        commit(good),
        error="MN_UNKNOWN_QUORUM",
        quorums=EMPTY_QUORUMS,
    )
    yield case(
        "unknown_checked_before_window",
        "FIN-5: an unknown quorum outside any window is MN_UNKNOWN_QUORUM (checked first)",
        commit(commitment_of(interval, preset, quorum_height=interval + 1)),
        closes + 7,
        "MN_UNKNOWN_QUORUM",
    )
    committed = QuorumRegistry(
        {0: first, interval: replace(second, group_public_key=second_key, committed_height=opens)}
    )
    yield case(
        "duplicate_already_committed",
        "FIN-5: quorum I already has a commitment on chain",
        commit(good),
        opens + 1,
        "MN_DUPLICATE_COMMITMENT",
        quorums=committed,
    )
    yield case(
        "duplicate_other_signers",
        "FIN-5: a second commitment by other members (same key) is still a duplicate",
        commit(commitment_of(interval, preset, range(n - t + 1, n + 1))),
        opens + 1,
        "MN_DUPLICATE_COMMITMENT",
        quorums=committed,
    )
    yield case(
        "duplicate_same_transaction",
        "FIN-5: one transaction commits quorum I twice",
        commit(good, good),
        error="MN_DUPLICATE_COMMITMENT",
    )
    yield case(
        "duplicate_same_block",
        "FIN-5: two transactions of one block commit quorum I (the second is the duplicate)",
        [
            commitment_tx([good], preset),
            commitment_tx([commitment_of(interval, preset, range(1, n + 1))], preset, 1),
        ],
        error="MN_DUPLICATE_COMMITMENT",
    )
    yield case(
        "duplicate_checked_before_window",
        "FIN-5: a duplicate after the window is MN_DUPLICATE_COMMITMENT (checked before the window)",
        commit(good),
        closes,
        "MN_DUPLICATE_COMMITMENT",
        quorums=committed,
    )
    yield case(
        "before_window",
        "FIN-5: one block before the quorum's FINALIZATION phase",
        commit(good),
        opens - 1,
        "MN_COMMITMENT_OUT_OF_WINDOW",
    )
    yield case(
        "at_base_height",
        "FIN-5: in the quorum's own contribution phase (b + 1)",
        commit(good),
        interval + 1,
        "MN_COMMITMENT_OUT_OF_WINDOW",
    )
    yield case(
        "at_window_end",
        "FIN-5: at b + D + I, the first height of the next quorum's term",
        commit(good),
        closes,
        "MN_COMMITMENT_OUT_OF_WINDOW",
    )
    yield case(
        "long_after_window",
        "FIN-5: ten intervals after the quorum's term",
        commit(good),
        closes + 10 * interval,
        "MN_COMMITMENT_OUT_OF_WINDOW",
    )
    yield case(
        "window_checked_before_session",
        "FIN-5: out of the window and another session: the window is checked first",
        commit(commitment_of(interval, preset, session_id=first.session_id)),
        opens - 1,
        "MN_COMMITMENT_OUT_OF_WINDOW",
    )
    yield case(
        "session_of_other_quorum",
        "FIN-5: quorum I's commitment names quorum 0's session id (signed as such)",
        commit(commitment_of(interval, preset, session_id=first.session_id)),
        error="MN_WRONG_QUORUM_SESSION",
    )
    yield case(
        "session_unknown",
        "FIN-5: a session id no quorum has",
        commit(commitment_of(interval, preset, session_id=seeded_bytes("masternode/other-session", 32))),
        error="MN_WRONG_QUORUM_SESSION",
    )
    yield case(
        "session_checked_before_signers",
        "FIN-5: another session and no signers: the session is checked first",
        commit(replace(commitment_of(interval, preset, session_id=first.session_id), signers=())),
        error="MN_WRONG_QUORUM_SESSION",
    )
    signer_cases: list[tuple[str, str, tuple[int, ...]]] = [
        ("signers_not_increasing", "signers out of order", (2, 1, *range(3, t + 1))),
        ("signers_repeated", "a signer listed twice", (1, 1, *range(2, t))),
        ("signer_zero", "member index 0", tuple(range(0, t))),
        ("signer_above_members", f"member index n + 1 = {n + 1}", (*range(2, t + 1), n + 1)),
        ("signers_below_threshold", f"t - 1 = {t - 1} signers", tuple(range(1, t))),
        ("no_signers", "an empty signer list", ()),
    ]
    for name, description, signers in signer_cases:
        real = sorted({s for s in signers if 1 <= s <= n}) or [1]
        yield case(
            name,
            f"FIN-5: {description} (the aggregate signature is of the members named)",
            commit(replace(commitment_of(interval, preset, real), signers=signers)),
            error="MN_BAD_COMMITMENT_SIGNERS",
        )
    yield case(
        "signers_checked_before_key",
        "FIN-5: too few signers and a group key that is no point: the signers are checked first",
        commit(commitment_of(interval, preset, range(1, t), group_public_key=bytes(48))),
        error="MN_BAD_COMMITMENT_SIGNERS",
    )
    yield case(
        "group_key_not_a_point",
        "BLS-2: the group key is 48 zero bytes (no compression flag); t members signed it",
        commit(commitment_of(interval, preset, group_public_key=bytes(48))),
        error="BLS_INVALID_PUBLIC_KEY",
    )
    yield case(
        "group_key_identity",
        "BLS-2 (KeyValidate): the group key is the identity point; t members signed it",
        commit(commitment_of(interval, preset, group_public_key=bls.G1_IDENTITY)),
        error="BLS_INVALID_PUBLIC_KEY",
    )
    yield case(
        "key_checked_before_signature",
        "BLS-2: an invalid group key and a signature that is no point: the key is checked first",
        commit(replace(commitment_of(interval, preset, group_public_key=bytes(48)), signature=bytes(96))),
        error="BLS_INVALID_PUBLIC_KEY",
    )
    over_other_key = commitment_of(interval, preset, group_public_key=first_key)
    yield case(
        "signature_over_other_key",
        "FIN-5: the members signed quorum 0's group key, the commitment names quorum I's",
        commit(replace(over_other_key, group_public_key=second_key)),
        error="MN_BAD_COMMITMENT_SIGNATURE",
    )
    yield case(
        "signers_mislabelled",
        f"FIN-5: members 1..{t} signed, the commitment names members 2..{t + 1}",
        commit(replace(good, signers=tuple(range(2, t + 2)))),
        error="MN_BAD_COMMITMENT_SIGNATURE",
    )
    yield case(
        "one_signature_missing",
        f"FIN-5: {t} signers listed, the aggregate has {t - 1} signatures",
        commit(replace(good, signature=commitment_of(interval, preset, range(1, t)).signature)),
        error="MN_BAD_COMMITMENT_SIGNATURE",
    )
    outsider = bls.key_gen(seeded_bytes("masternode/commitment-outsider", 32))
    forged = bls.aggregate(
        [
            *(
                commitment_signature(
                    operator_secrets()[second.members[j - 1]],
                    interval,
                    second.session_id,
                    second_key,
                    second_root,
                )
                for j in range(1, t)
            ),
            commitment_signature(outsider, interval, second.session_id, second_key, second_root),
        ]
    )
    yield case(
        "signature_by_non_member",
        f"FIN-5: member {t}'s signature replaced by that of a key outside the quorum",
        commit(replace(good, signature=forged)),
        error="MN_BAD_COMMITMENT_SIGNATURE",
    )
    yield case(
        "signature_over_other_height",
        "FIN-5: the members signed quorum height 0 (the commitment hash covers the height)",
        commit(replace(commitment_of(interval, preset, quorum_height=0), quorum_height=interval)),
        error="MN_BAD_COMMITMENT_SIGNATURE",
    )
    yield case(
        "signature_not_a_point",
        "FIN-5: 96 zero bytes are no G2 encoding",
        commit(replace(good, signature=bytes(96))),
        error="MN_BAD_COMMITMENT_SIGNATURE",
    )
    yield case(
        "signature_identity",
        "FIN-5: the G2 identity is a valid encoding but verifies nothing",
        commit(replace(good, signature=bls.G2_IDENTITY)),
        error="MN_BAD_COMMITMENT_SIGNATURE",
    )
    yield case(
        "valid_then_invalid_transaction",
        "FIN-5: quorum 0 commits validly, a later transaction's commitment of quorum I does not verify",
        [
            commitment_tx([commitment_of(0, preset)], preset),
            commitment_tx([replace(good, signature=bytes(96))], preset, 1),
        ],
        error="MN_BAD_COMMITMENT_SIGNATURE",
    )
    payload = encode_message(good, preset)
    yield case(
        "commitment_does_not_decode",
        "MN-0: a kind-3 output one byte short",
        [
            carrier(
                "oscar",
                funding(preset).fee_coin("oscar"),
                [null_data_script(payload[:-1], preset.script)],
                funding(preset).utxos,
                preset,
            )
        ],
        error="DECODE_TRUNCATED",
    )


def _commitment_signature_cases(preset: Preset) -> Iterator[CaseSpec]:
    """FIN-5 (relay): one member's signature of quorum I's commitment, checked against its record."""
    interval = preset.masternodes.finality_quorum_interval
    record = finality_record(interval, preset)
    n = len(record.members)
    key = finality_quorum(interval, preset).group_public_key
    root = finality_quorum(interval, preset).key_shares_root
    secrets = operator_secrets()

    def signed(member: int, by: int | None = None, **changes: object) -> CommitmentSignature:
        """Member ``member``'s signature (made by member ``by`` if given), fields then replaced."""
        secret = secrets[record.members[(by or member) - 1]]
        message = CommitmentSignature(
            interval,
            record.session_id,
            key,
            root,
            member,
            commitment_signature(secret, interval, record.session_id, key, root),
        )
        return replace(message, **changes)  # type: ignore[arg-type]

    def case(
        name: str, description: str, message: CommitmentSignature | bytes, error: str | None = None
    ) -> CaseSpec:
        raw = message if isinstance(message, bytes) else encode(COMMITMENT_SIGNATURE_CODEC, message)
        data: dict[str, JSON] = {"quorum": quorum_record_json(record), "signature": raw.hex()}
        return _case("check_commitment_signature", name, f"FIN-5: {description}", data, error)

    yield case("first_member", "member 1's signature", signed(1))
    yield case("last_member", f"member n = {n}'s signature", signed(n))
    other_session = finality_record(0, preset).session_id
    yield case(
        "other_session",
        "the signature names quorum 0's session",
        signed(1, session_id=other_session),
        "MN_WRONG_QUORUM_SESSION",
    )
    yield case(
        "other_quorum_height",
        "the right session at the wrong quorum height",
        signed(1, quorum_height=0),
        "MN_WRONG_QUORUM_SESSION",
    )
    yield case("signer_zero", "signer index 0", signed(1, signer=0), "MN_BAD_COMMITMENT_SIGNERS")
    yield case(
        "signer_above_members",
        f"signer index n + 1 = {n + 1}",
        signed(n, signer=n + 1),
        "MN_BAD_COMMITMENT_SIGNERS",
    )
    yield case(
        "signed_by_other_member",
        "member 2 claims member 3's signature",
        signed(2, by=3),
        "MN_BAD_COMMITMENT_SIGNATURE",
    )
    yield case(
        "over_other_key",
        "member 1 signed another group key than the one named",
        signed(1, group_public_key=finality_quorum(0, preset).group_public_key),
        "MN_BAD_COMMITMENT_SIGNATURE",
    )
    yield case(
        "signature_not_a_point",
        "96 zero bytes are no G2 encoding",
        signed(1, signature=bytes(96)),
        "MN_BAD_COMMITMENT_SIGNATURE",
    )
    raw = encode(COMMITMENT_SIGNATURE_CODEC, signed(1))
    yield case("truncated", f"ENC: {len(raw) - 1} bytes", raw[:-1], "DECODE_TRUNCATED")
    yield case("trailing", f"ENC: {len(raw) + 1} bytes", raw + b"\x00", "DECODE_TRAILING_BYTES")
    yield case("empty", "ENC: no bytes", b"", "DECODE_TRUNCATED")


def _committed_key_cases(preset: Preset) -> Iterator[CaseSpec]:
    """FIN-2/5: the key certificates of a height verify under is the committed key of the quorum in
    charge; quorum 0 and quorum I committed, quorum 2I recorded without a commitment."""
    interval = preset.masternodes.finality_quorum_interval
    length = dkg_length(preset)
    later = 2 * interval
    records = {
        0: replace(
            finality_record(0, preset),
            group_public_key=finality_quorum(0, preset).group_public_key,
            committed_height=commitment_window(0, preset)[0],
        ),
        interval: replace(
            finality_record(interval, preset),
            group_public_key=finality_quorum(interval, preset).group_public_key,
            committed_height=commitment_window(interval, preset)[1] - 1,
        ),
        later: finality_record(later, preset),
    }
    heights: list[JSON] = [
        0,
        length - 1,
        length,
        length + interval - 1,
        length + interval,
        length + 2 * interval - 1,
        length + 2 * interval,
        length + 3 * interval,
        2**64 - 1,
    ]
    yield _case(
        "committed_finality_key",
        "schedule",
        "FIN-2/5: below D no quorum; quorums 0 and I committed; quorum 2I recorded, not committed; 3I absent",
        {"quorums": quorums_json(QuorumRegistry(records)), "heights": heights},
    )
    yield _case(
        "committed_finality_key",
        "empty_registry",
        "FIN-2/5: nothing recorded, no key at any height",
        {"heights": heights},
    )


# --------------------------------------------------------------------------------------------
# Slashing evidence (SLASH-1..5)
# --------------------------------------------------------------------------------------------


@cache
def slashing_registry(preset: Preset) -> QuorumRegistry:
    """FIN-6: quorum 0 recorded (not committed) and quorum I committed with its DKG's key and key
    share root: the registry the evidence vectors check against."""
    interval = preset.masternodes.finality_quorum_interval
    finished = finality_quorum(interval, preset)
    committed = replace(
        finality_record(interval, preset),
        group_public_key=finished.group_public_key,
        committed_height=commitment_window(interval, preset)[0],
        key_shares_root=finished.key_shares_root,
    )
    return QuorumRegistry({0: finality_record(0, preset), interval: committed})


def evidence_block(label: str) -> bytes:
    """A seeded block hash for evidence vectors."""
    return seeded_bytes(f"masternode/evidence-block/{label}", 32)


def double_sign_evidence(
    preset: Preset,
    member: int = 1,
    height: int | None = None,
    blocks: tuple[bytes, bytes] | None = None,
    **changes: object,
) -> DoubleSignEvidence:
    """SLASH-1: member ``member`` of quorum I signs two blocks at ``height`` (default: the first
    height of the quorum's term) with its real key share; ``changes`` replace fields afterwards."""
    interval = preset.masternodes.finality_quorum_interval
    finished = finality_quorum(interval, preset)
    at = finality_term(interval, preset)[0] if height is None else height
    first, second = (evidence_block("a"), evidence_block("b")) if blocks is None else blocks
    keys = [share.value for share in finished.result.public_key_shares]
    evidence = DoubleSignEvidence(
        quorum_height=interval,
        member=member,
        key_share=keys[member - 1],
        key_share_proof=inclusion_proof(keys, member - 1),
        height=at,
        first_block=first,
        first_signature=finality_share(finished, member, at, first).signature,
        second_block=second,
        second_signature=finality_share(finished, member, at, second).signature,
    )
    return replace(evidence, **changes)  # type: ignore[arg-type]


def equivocating_contributions(preset: Preset, dealer: int = 2) -> DkgEquivocationEvidence:
    """SLASH-1: dealer ``dealer`` of quorum I signed two contributions of different polynomials."""
    interval = preset.masternodes.finality_quorum_interval
    quorum = finality_quorum(interval, preset).quorum
    return DkgEquivocationEvidence(
        interval, dkg_contribution(quorum, dealer), dkg_contribution(quorum, dealer, variant=1)
    )


def prefix_contributions(preset: Preset, dealer: int = 2) -> ContributionPrefixEvidence:
    """SLASH-1 tag 4: :func:`equivocating_contributions` shown by HASH-2 prefix proofs."""
    full = equivocating_contributions(preset, dealer)
    assert isinstance(full.first, Contribution) and isinstance(full.second, Contribution)
    return ContributionPrefixEvidence(
        full.quorum_height, signed_prefix(full.first), signed_prefix(full.second)
    )


def equivocating_justifications(
    preset: Preset, dealer: int = 3, complainer: int = 1
) -> DkgEquivocationEvidence:
    """SLASH-1: dealer ``dealer`` of quorum I revealed two different shares for one complaint."""
    interval = preset.masternodes.finality_quorum_interval
    quorum = finality_quorum(interval, preset).quorum
    honest = make_justification(
        quorum.session, dealer, complainer, quorum.seeds[dealer - 1], quorum.secrets[dealer - 1]
    )
    value = (int.from_bytes(honest.ephemeral, "big") + 1) % bls.CURVE_ORDER
    other = resign(quorum, replace(honest, ephemeral=value.to_bytes(len(honest.ephemeral), "big")), dealer)
    return DkgEquivocationEvidence(interval, honest, other)


def member_collateral(member: int, preset: Preset, base_height: int | None = None) -> OutPoint:
    """The funded collateral of member ``member`` of the finality quorum based at ``base_height``
    (default: I)."""
    interval = preset.masternodes.finality_quorum_interval
    record = finality_record(interval if base_height is None else base_height, preset)
    key = record.members[member - 1]
    fund = funding(preset)
    return next(fund.collateral(label) for label in LABELS if operator(label).public_key == key)


def evidence_tx(evidence: Sequence[SlashingEvidence], preset: Preset, number: int = 1) -> Transaction:
    """A transaction of oscar's carrying ``evidence`` in output order."""
    fund = funding(preset)
    scripts = [message_script(item, preset) for item in evidence]
    return carrier("oscar", fund.fee_coin("oscar", number), scripts, fund.utxos, preset)


def message_script_bytes(payload: bytes, size: int) -> bytes:
    """MN-0: ``payload`` in canonical pushes of ``size`` bytes (the last one shorter)."""
    chunks = [payload[i : i + size] for i in range(0, len(payload), size)]
    return bytes([Opcode.OP_RETURN]) + b"".join(encode_push(chunk) for chunk in chunks)


def _evidence_message_cases(preset: Preset) -> Iterator[CaseSpec]:
    """MN-0 kind 4 (SLASH-1): evidence outputs, single and split over several pushes."""
    params = preset.script
    size = params.max_element_bytes
    double = message_script(double_sign_evidence(preset), preset)
    contributions = equivocating_contributions(preset)
    split = message_script(contributions, preset)
    payload = encode_message(contributions, preset)
    pushes = [payload[i : i + size] for i in range(0, len(payload), size)]
    assert len(pushes) >= 2
    justifications = message_script(equivocating_justifications(preset), preset)

    def case(name: str, description: str, script: bytes, error: str | None = None) -> CaseSpec:
        return _case("match_message", name, f"MN-0/SLASH-1: {description}", {"script": script.hex()}, error)

    def script_of(parts: Sequence[bytes]) -> bytes:
        return bytes([Opcode.OP_RETURN]) + b"".join(encode_push(part) for part in parts)

    yield case("evidence_double_sign", "double-signing evidence in one push", double)
    yield case(
        "evidence_contributions_split",
        f"two equivocating contributions: {len(payload)} bytes in {len(pushes)} pushes",
        split,
    )
    yield case("evidence_justifications", "two equivocating justifications", justifications)
    yield case(
        "evidence_contribution_prefixes",
        "tag 4: two equivocating contributions shown by their prefix proofs",
        message_script(prefix_contributions(preset), preset),
    )
    yield case(
        "evidence_split_short_middle",
        "a split evidence whose first push is one byte short (the byte pushed alone)",
        script_of([pushes[0][:-1], pushes[0][-1:], *pushes[1:]]),
        "DECODE_NONCANONICAL_SPLIT",
    )
    yield case(
        "evidence_split_empty_last",
        "a split evidence followed by an empty push",
        script_of([*pushes, b""]),
        "DECODE_NONCANONICAL_SPLIT",
    )
    yield case(
        "evidence_split_truncated",
        "a split evidence missing its last push",
        script_of(pushes[:-1]),
        "DECODE_TRUNCATED",
    )
    registration_payload = encode_message(
        registration("alice", funding(preset).collateral("alice"), preset), preset
    )
    yield case(
        "registration_two_pushes_full_first",
        "a registration split into a full push and the rest: only evidence may span pushes, no message",
        script_of([registration_payload[:size], registration_payload[size:] or b"\x00"]),
    )
    prefix = MASTERNODE_PREFIX + bytes([KIND_SLASHING_EVIDENCE])
    yield case(
        "evidence_unknown_tag",
        "evidence tag 5 (no such kind)",
        null_data_script(prefix + b"\x05" + bytes(40), params),
        "DECODE_INVALID_TAG",
    )
    yield case(
        "evidence_checkpoint_equivocation",
        "tag 3: two conflicting sidechain checkpoints of quorum I (split over pushes)",
        message_script(checkpoint_evidence(preset), preset),
    )
    yield case(
        "evidence_checkpoint_equivocation_quorum_type",
        "tag 3: quorum type 3 (no such quorum type)",
        message_script(checkpoint_evidence(preset, quorum_type=3), preset),
        "DECODE_INVALID_TAG",
    )
    yield case(
        "evidence_checkpoint_truncated",
        "tag 3: the body without its second checkpoint's last byte",
        message_script_bytes(encode_message(checkpoint_evidence(preset), preset)[:-1], size),
        "DECODE_TRUNCATED",
    )
    complaint_kind = bytearray(encode_message(equivocating_justifications(preset), preset))
    complaint_kind[len(prefix) + 1 + 8] = 2
    yield case(
        "evidence_complaints",
        "DKG equivocation evidence of message kind 2 (complaints cannot equivocate)",
        null_data_script(bytes(complaint_kind), params),
        "DECODE_INVALID_TAG",
    )
    yield case(
        "evidence_no_tag",
        "kind 4 without an evidence tag",
        null_data_script(prefix, params),
        "DECODE_TRUNCATED",
    )
    yield case(
        "evidence_double_sign_truncated",
        "double-signing evidence one byte short",
        null_data_script(encode_message(double_sign_evidence(preset), preset)[:-1], params),
        "DECODE_TRUNCATED",
    )


def federation_checkpoint(preset: Preset, state_root: bytes, height: int = 4) -> Checkpoint:
    """SC-HDR-3: a sidechain checkpoint threshold-signed by the first ``t`` members of quorum I
    (the committed key of :func:`slashing_registry`)."""
    finished = finality_quorum(preset.masternodes.finality_quorum_interval, preset)
    head = SidechainHeader(
        1, height, bytes(32), 1_800_000_000, bytes(32), 0, state_root, bytes(32), 0, bytes(32), bytes(32)
    )
    message = compute_checkpoint_message(head)
    t = finished.result.threshold
    shares = [threshold.sign_share(share, message) for share in finished.secret_shares[:t]]
    return Checkpoint(head, threshold.recover_signature(shares, t))


def checkpoint_evidence(preset: Preset, **changes: object) -> CheckpointEquivocationEvidence:
    """SLASH-1 tag 3: quorum I signed two checkpoints of sidechain 1 at height 4."""
    evidence = CheckpointEquivocationEvidence(
        int(QuorumType.FINALITY),
        preset.masternodes.finality_quorum_interval,
        federation_checkpoint(preset, seeded_bytes("masternode/checkpoint/a", 32)),
        federation_checkpoint(preset, seeded_bytes("masternode/checkpoint/b", 32)),
    )
    return replace(evidence, **changes)  # type: ignore[arg-type]


def _checkpoint_evidence_cases(preset: Preset, case: Callable[..., CaseSpec]) -> Iterator[CaseSpec]:
    """SLASH-2 tag 3 (SC-DSP-8/13): equivocating checkpoints convict the whole federation."""
    evidence = checkpoint_evidence(preset)
    registry = slashing_registry(preset)
    record = registry.records[preset.masternodes.finality_quorum_interval]
    yield case(
        "checkpoint_equivocation",
        f"tag 3: quorum I signed two checkpoints at one height: all {len(record.members)} members slashed",
        [evidence],
    )
    yield case(
        "checkpoint_equivocation_same_header",
        "tag 3: the same checkpoint twice",
        [replace(evidence, second=evidence.first)],
        "MN_EVIDENCE_NOT_CONFLICTING",
    )
    other = federation_checkpoint(preset, seeded_bytes("masternode/checkpoint/b", 32), height=5)
    yield case(
        "checkpoint_equivocation_other_height",
        "tag 3: checkpoints at heights 4 and 5",
        [replace(evidence, second=other)],
        "MN_EVIDENCE_NOT_CONFLICTING",
    )
    forged = Checkpoint(evidence.second.header, evidence.first.signature)
    yield case(
        "checkpoint_equivocation_bad_signature",
        "tag 3: the second checkpoint carries the first one's signature",
        [replace(evidence, second=forged)],
        "MN_EVIDENCE_NOT_CONFLICTING",
    )
    yield case(
        "checkpoint_equivocation_uncommitted_quorum",
        "tag 3: quorum 0 is recorded but has no committed key",
        [replace(evidence, quorum_height=0)],
        "MN_UNKNOWN_QUORUM",
    )
    yield case(
        "checkpoint_equivocation_pose_quorum",
        "tag 3: no PoSe quorum is recorded at the quorum height",
        [replace(evidence, quorum_type=int(QuorumType.POSE))],
        "MN_UNKNOWN_QUORUM",
    )
    slashed = MasternodeList(
        {
            outpoint: replace(entry, status=MasternodeStatus.SLASHED)
            for outpoint, entry in funded_list(LABELS, preset).entries.items()
        }
    )
    yield case(
        "checkpoint_equivocation_all_slashed",
        "tag 3: every member's masternode is SLASHED already (SLASH-5)",
        [evidence],
        "MN_ALREADY_SLASHED",
        masternodes=slashed,
    )
    yield case(
        "checkpoint_equivocation_no_masternode",
        "tag 3: no member has a registered masternode (SLASH-3)",
        [evidence],
        "MN_SLASH_NO_MASTERNODE",
        masternodes=MasternodeList({}),
    )


def _evidence_cases(preset: Preset) -> Iterator[CaseSpec]:
    """SLASH-2..5 by ``apply_evidence``: the list after MN-5 and the records before the block."""
    yield from _evidence_message_cases(preset)
    interval = preset.masternodes.finality_quorum_interval
    registry = slashing_registry(preset)
    everyone = funded_list(LABELS, preset)
    record = registry.records[interval]
    n = len(record.members)
    first_height, end = finality_term(interval, preset)

    def case(
        name: str,
        description: str,
        evidence: Sequence[SlashingEvidence],
        error: str | None = None,
        *,
        quorums: QuorumRegistry = registry,
        masternodes: MasternodeList = everyone,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorums": quorums_json(quorums),
            "masternodes": list_json(masternodes),
            "transactions": [_hex(evidence_tx(evidence, preset), preset)],
        }
        return _case("apply_evidence", name, f"SLASH: {description}", data, error)

    relay: list[tuple[str, str, SlashingEvidence, str | None, MasternodeList]] = [
        (
            "checkpoint_equivocation",
            "tag 3: the federation's first member is convicted",
            checkpoint_evidence(preset),
            None,
            everyone,
        ),
        (
            "checkpoint_equivocation_no_masternode",
            "tag 3: no member has a registered masternode (SLASH-3)",
            checkpoint_evidence(preset),
            "MN_SLASH_NO_MASTERNODE",
            MasternodeList({}),
        ),
        ("double_sign", "tag 0: member 1 signed two blocks", double_sign_evidence(preset), None, everyone),
    ]
    for name, description, evidence, error, masternodes in relay:
        yield _case(
            "check_evidence",
            name,
            f"SLASH-2/3/5 (relay check): {description}",
            {
                "quorums": quorums_json(registry),
                "masternodes": list_json(masternodes),
                "transaction": _hex(evidence_tx([evidence], preset), preset),
            },
            error,
        )
    double = double_sign_evidence(preset)
    contributions = equivocating_contributions(preset)
    justifications = equivocating_justifications(preset)
    # Valid.
    yield case(
        "double_sign_first_member", "member 1 signs two blocks at the first height of the term", [double]
    )
    yield case(
        "double_sign_last_member_last_height",
        f"member n = {n} signs two blocks at the last height of the term",
        [double_sign_evidence(preset, n, end - 1)],
    )
    yield case("dkg_contributions", "dealer 2 signed two contributions (DKG-5)", [contributions])
    yield case(
        "dkg_contributions_dealer_1",
        "dealer 1 signed two contributions",
        [equivocating_contributions(preset, 1)],
    )
    yield case(
        "dkg_contributions_dealer_n",
        f"dealer n = {n} signed two contributions",
        [equivocating_contributions(preset, n)],
    )
    prefixed = prefix_contributions(preset)
    yield case(
        "dkg_contribution_prefixes",
        f"tag 4: dealer 2's two contributions shown by their first chunks and prefix proofs "
        f"({len(prefixed.first.siblings)} siblings each)",
        [prefixed],
    )
    yield case(
        "dkg_contribution_prefixes_identical",
        "tag 4: the same signed contribution twice",
        [replace(prefixed, second=prefixed.first)],
        "MN_EVIDENCE_IDENTICAL",
    )
    other_session = prefix_contributions(preset)
    moved = replace(
        other_session.second,
        first_chunk=other_session.second.first_chunk[:1] + bytes(32) + other_session.second.first_chunk[33:],
    )
    yield case(
        "dkg_contribution_prefixes_other_session",
        "tag 4: the second chunk names another session (its signature no longer matters)",
        [replace(prefixed, second=moved)],
        "MN_WRONG_QUORUM_SESSION",
    )
    yield case(
        "dkg_contribution_prefixes_dealer_n",
        f"tag 4: dealer n = {n}'s two contributions",
        [prefix_contributions(preset, dealer=n)],
    )
    third = prefix_contributions(preset, dealer=3)
    yield case(
        "dkg_contribution_prefixes_two_dealers",
        "tag 4: one contribution of dealer 2 and one of dealer 3",
        [replace(prefixed, second=third.second)],
        "MN_EVIDENCE_NOT_CONFLICTING",
    )
    chunk = prefixed.second.first_chunk
    as_complaint = replace(prefixed.second, first_chunk=bytes([2]) + chunk[1:])
    yield case(
        "dkg_contribution_prefixes_not_contribution",
        "tag 4: the second chunk starts with kind 2 (a complaint)",
        [replace(prefixed, second=as_complaint)],
        "MN_EVIDENCE_NOT_CONFLICTING",
    )
    above = (n + 1).to_bytes(2, "little")
    head = prefixed.first.first_chunk
    yield case(
        "dkg_contribution_prefixes_unknown_dealer",
        f"tag 4: both chunks name dealer n + 1 = {n + 1}",
        [
            replace(
                prefixed,
                first=replace(prefixed.first, first_chunk=head[:33] + above + head[35:]),
                second=replace(prefixed.second, first_chunk=chunk[:33] + above + chunk[35:]),
            )
        ],
        "MN_EVIDENCE_UNKNOWN_MEMBER",
    )
    yield from _checkpoint_evidence_cases(preset, case)
    yield case(
        "dkg_contribution_prefixes_swapped_signatures",
        "tag 4: each proof carries the other contribution's signature",
        [
            replace(
                prefixed,
                first=replace(prefixed.first, signature=prefixed.second.signature),
                second=replace(prefixed.second, signature=prefixed.first.signature),
            )
        ],
        "MN_EVIDENCE_BAD_SIGNATURE",
    )
    if prefixed.second.siblings:
        yield case(
            "dkg_contribution_prefixes_short_chunk",
            "tag 4: a first chunk of 1,023 bytes with siblings (HASH-2)",
            [replace(prefixed, second=replace(prefixed.second, first_chunk=chunk[:-1]))],
            "HASH_BAD_PREFIX_PROOF",
        )
    yield case(
        "dkg_justifications",
        "dealer 3 revealed two shares for member 1's complaint (DKG-7)",
        [justifications],
    )
    yield case(
        "two_members_one_transaction",
        "members 1 and 2 both slashed by evidence in one transaction",
        [double, double_sign_evidence(preset, 2)],
    )
    banned_collateral = member_collateral(1, preset)
    banned = MasternodeList(
        {
            **everyone.entries,
            banned_collateral: replace(
                everyone.entries[banned_collateral], status=MasternodeStatus.POSE_BANNED, pose_score=300
            ),
        }
    )
    yield case("pose_banned_is_slashed", "a POSE_BANNED member is slashed too", [double], masternodes=banned)
    leaving = MasternodeList(
        {
            **everyone.entries,
            banned_collateral: replace(
                everyone.entries[banned_collateral], status=MasternodeStatus.UNBONDING, unbonding_height=1
            ),
        }
    )
    yield case(
        "unbonding_is_slashed",
        "MN-8: a member that unbonded but whose collateral is still locked is slashed (the window's point)",
        [double],
        masternodes=leaving,
    )
    yield case("no_evidence", "a transaction without evidence changes nothing", [])
    # Invalid, in SLASH-2 order.
    yield case(
        "double_sign_unknown_quorum",
        "double signing named under a quorum height with no record",
        [replace(double, quorum_height=interval + 1)],
        "MN_UNKNOWN_QUORUM",
    )
    yield case(
        "dkg_unknown_quorum",
        "DKG equivocation named under an empty registry",
        [contributions],
        "MN_UNKNOWN_QUORUM",
        quorums=EMPTY_QUORUMS,
    )
    yield case(
        "double_sign_same_block",
        "both shares sign the same block",
        [double_sign_evidence(preset, blocks=(evidence_block("a"), evidence_block("a")))],
        "MN_EVIDENCE_IDENTICAL",
    )
    yield case(
        "dkg_same_contribution",
        "the same contribution twice",
        [replace(contributions, second=contributions.first)],
        "MN_EVIDENCE_IDENTICAL",
    )
    other = finality_quorum(0, preset).quorum
    yield case(
        "dkg_other_session",
        "two contributions of quorum 0's session named under quorum I",
        [
            DkgEquivocationEvidence(
                interval, dkg_contribution(other, 2), dkg_contribution(other, 2, variant=1)
            )
        ],
        "MN_WRONG_QUORUM_SESSION",
    )
    yield case(
        "dkg_two_dealers",
        "contributions of dealers 1 and 2: no conflict",
        [replace(contributions, first=dkg_contribution(finality_quorum(interval, preset).quorum, 1))],
        "MN_EVIDENCE_NOT_CONFLICTING",
    )
    quorum = finality_quorum(interval, preset).quorum
    other_complainer = make_justification(quorum.session, 3, 2, quorum.seeds[2], quorum.secrets[2])
    yield case(
        "dkg_two_complainers",
        "dealer 3's justifications for members 1 and 2: no conflict",
        [replace(justifications, second=other_complainer)],
        "MN_EVIDENCE_NOT_CONFLICTING",
    )
    yield case(
        "double_sign_member_zero",
        "member index 0",
        [replace(double, member=0)],
        "MN_EVIDENCE_UNKNOWN_MEMBER",
    )
    yield case(
        "double_sign_member_above",
        f"member index n + 1 = {n + 1}",
        [replace(double, member=n + 1)],
        "MN_EVIDENCE_UNKNOWN_MEMBER",
    )
    outsider = replace(contributions.first, dealer=n + 1)
    yield case(
        "dkg_dealer_above",
        f"contributions of dealer n + 1 = {n + 1}",
        [DkgEquivocationEvidence(interval, outsider, replace(contributions.second, dealer=n + 1))],
        "MN_EVIDENCE_UNKNOWN_MEMBER",
    )
    yield case(
        "double_sign_before_term",
        f"height {first_height - 1}, before the quorum's term",
        [double_sign_evidence(preset, height=first_height - 1)],
        "MN_EVIDENCE_OUT_OF_TERM",
    )
    yield case(
        "double_sign_after_term",
        f"height {end}, the next quorum's first height",
        [double_sign_evidence(preset, height=end)],
        "MN_EVIDENCE_OUT_OF_TERM",
    )
    uncommitted = QuorumRegistry({interval: finality_record(interval, preset)})
    yield case(
        "double_sign_uncommitted_quorum",
        "the quorum has no committed key share root",
        [double],
        "MN_EVIDENCE_BAD_KEY_SHARE",
        quorums=uncommitted,
    )
    second = double_sign_evidence(preset, 2)
    yield case(
        "double_sign_other_key_share",
        "member 1 named with member 2's key share and proof",
        [replace(second, member=1)],
        "MN_EVIDENCE_BAD_KEY_SHARE",
    )
    yield case(
        "double_sign_bad_proof_hash",
        "a proof hash flipped",
        [replace(double, key_share_proof=(bytes(32), *double.key_share_proof[1:]))],
        "MN_EVIDENCE_BAD_KEY_SHARE",
    )
    yield case(
        "double_sign_short_proof",
        "a proof one hash short",
        [replace(double, key_share_proof=double.key_share_proof[:-1])],
        "MN_EVIDENCE_BAD_KEY_SHARE",
    )
    yield case(
        "double_sign_other_member_signature",
        "the second share is member 2's",
        [replace(double, second_signature=second.second_signature)],
        "MN_EVIDENCE_BAD_SIGNATURE",
    )
    yield case(
        "double_sign_other_height_signature",
        "the first share signs the block at another height",
        [
            replace(
                double,
                first_signature=double_sign_evidence(preset, height=first_height + 1).first_signature,
            )
        ],
        "MN_EVIDENCE_BAD_SIGNATURE",
    )
    yield case(
        "double_sign_signature_not_a_point",
        "96 zero bytes",
        [replace(double, first_signature=bytes(96))],
        "MN_EVIDENCE_BAD_SIGNATURE",
    )
    yield case(
        "dkg_second_signed_by_other",
        "the second contribution is signed by member 1",
        [replace(contributions, second=resign(quorum, dkg_contribution(quorum, 2, variant=1), 1))],
        "MN_EVIDENCE_BAD_SIGNATURE",
    )
    culprit_collateral = member_collateral(1, preset)
    gone = MasternodeList({o: e for o, e in everyone.entries.items() if o != culprit_collateral})
    yield case(
        "collateral_spent",
        "member 1's masternode left the list (collateral spent after its unbonding window, MN-8): too late",
        [double],
        "MN_SLASH_NO_MASTERNODE",
        masternodes=gone,
    )
    slashed = MasternodeList(
        {
            **everyone.entries,
            culprit_collateral: replace(
                everyone.entries[culprit_collateral], status=MasternodeStatus.SLASHED
            ),
        }
    )
    yield case(
        "already_slashed", "member 1 is SLASHED already", [double], "MN_ALREADY_SLASHED", masternodes=slashed
    )
    yield case(
        "slashed_twice_one_block",
        "double signing and a second double signing (other blocks) of member 1 in one transaction",
        [double, double_sign_evidence(preset, blocks=(evidence_block("c"), evidence_block("d")))],
        "MN_ALREADY_SLASHED",
    )
    yield case(
        "double_sign_then_dkg_same_member",
        "member 2 double-signs and equivocated in the DKG: the second piece finds it SLASHED",
        [second, contributions],
        "MN_ALREADY_SLASHED",
    )


# --------------------------------------------------------------------------------------------
# PoSe quorums on chain (FIN-7)
# --------------------------------------------------------------------------------------------


@cache
def pose_quorum(base_height: int, preset: Preset) -> Finished:
    """FIN-7: the PoSe quorum of every funded masternode based at ``base_height`` (the seeded base
    hash of :func:`finality_base_hash`), after an honest DKG run by the members' operator keys."""
    session = pose_dkg_session(
        funded_list(LABELS, preset), finality_base_hash(base_height), base_height, preset
    )
    secrets = {operator(label).public_key: operator(label).secret for label in LABELS}
    return finish(quorum_of_session(f"pose/{preset.name}/{base_height}", session, secrets))


@cache
def pose_record(base_height: int, preset: Preset) -> QuorumRecord:
    """FIN-7: the record ``record_quorum`` makes of that PoSe quorum (not committed)."""
    registry = record_quorum(
        EMPTY_QUORUMS, funded_list(LABELS, preset), finality_base_hash(base_height), base_height, preset
    )
    return registry.pose_records[base_height]


def pose_commitment_of(
    base_height: int, preset: Preset, signers: Sequence[int] | None = None
) -> QuorumCommitment:
    """FIN-7: the PoSe quorum's commitment (MN-0 kind 5) signed by ``signers`` (default ``1..t``)."""
    record = pose_record(base_height, preset)
    finished = pose_quorum(base_height, preset)
    key, root = finished.group_public_key, finished.key_shares_root
    chosen = range(1, record.threshold + 1) if signers is None else signers
    secrets = operator_secrets()
    signatures = {
        j: commitment_signature(secrets[record.members[j - 1]], base_height, record.session_id, key, root)
        for j in chosen
    }
    return build_commitment(base_height, record.session_id, key, root, signatures, QuorumType.POSE)


def _pose_commitment_cases(preset: Preset) -> Iterator[CaseSpec]:
    """FIN-7 by ``apply_block_to_quorums`` and MN-0 kind 5."""
    interval = preset.masternodes.finality_quorum_interval
    pose = preset.masternodes.pose_quorum_interval
    record = pose_record(pose, preset)
    registry = QuorumRegistry({interval: finality_record(interval, preset)}, {pose: record})
    opens, closes = commitment_window(pose, preset, QuorumType.POSE)
    good = pose_commitment_of(pose, preset)
    t, n = record.threshold, len(record.members)

    def case(
        name: str,
        description: str,
        commitments: Sequence[QuorumCommitment],
        height: int = opens,
        error: str | None = None,
        quorums: QuorumRegistry = registry,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorums": quorums_json(quorums),
            "pose_quorums": pose_quorums_json(quorums),
            "block_hash": finality_base_hash(height).hex(),
            "height": height,
            "transactions": [_hex(commitment_tx(commitments, preset), preset)],
        }
        return _case("apply_block_to_quorums", name, f"FIN-7: {description}", data, error)

    yield _case(
        "match_message",
        "pose_quorum_commitment",
        f"MN-0: a PoSe quorum commitment output (kind 5, {len(good.signers)} signers)",
        {"script": message_script(good, preset).hex()},
    )
    yield case("pose_commitment_window_opens", f"PoSe quorum {pose} committed by t = {t} of {n}", [good])
    yield case(
        "pose_commitment_last_height",
        f"all {n} members, the last height of the PoSe quorum's term (b + D + I_pose - 1)",
        [pose_commitment_of(pose, preset, range(1, n + 1))],
        closes - 1,
    )
    yield case(
        "pose_commitment_after_term",
        "one block after the PoSe quorum's term",
        [good],
        closes,
        "MN_COMMITMENT_OUT_OF_WINDOW",
    )
    committed = QuorumRegistry(
        registry.records,
        {pose: replace(record, group_public_key=good.group_public_key, committed_height=opens)},
    )
    yield case(
        "pose_commitment_duplicate",
        "the PoSe quorum is committed already",
        [good],
        opens + 1,
        "MN_DUPLICATE_COMMITMENT",
        committed,
    )
    as_finality = commitment_of(interval, preset)
    as_pose = build_commitment(
        as_finality.quorum_height,
        as_finality.session_id,
        as_finality.group_public_key,
        as_finality.key_shares_root,
        operator_signatures_of(interval, preset),
        QuorumType.POSE,
    )
    yield case(
        "finality_commitment_as_pose",
        f"the finality quorum {interval}'s commitment sent as kind 5 (PoSe records only)",
        [as_pose],
        commitment_window(interval, preset)[0],
        "MN_WRONG_QUORUM_SESSION" if interval == pose else "MN_UNKNOWN_QUORUM",
    )
    yield case(
        "pose_commitment_unknown",
        "a PoSe commitment with no PoSe record at all",
        [good],
        opens,
        "MN_UNKNOWN_QUORUM",
        QuorumRegistry(registry.records),
    )


def _builder_cases(preset: Preset) -> Iterator[CaseSpec]:
    """The producing side: commitments built and signed by their members (FIN-5/7), messages
    re-encoded (MN-0), rotation intervals (QUORUM-1) and the PoSe key a block's penalties verify
    under (FIN-7 / MN-6)."""
    for value, error in ((1, None), (2, None), (0, "MN_UNKNOWN_QUORUM_TYPE"), (3, "MN_UNKNOWN_QUORUM_TYPE")):
        yield _case(
            "quorum_interval",
            f"type_{value}",
            f"QUORUM-1: the rotation interval of quorum type {value}",
            {"quorum_type": value},
            error,
        )
    interval = preset.masternodes.finality_quorum_interval
    pose = preset.masternodes.pose_quorum_interval
    secrets = operator_secrets()

    def build(
        name: str,
        description: str,
        kind: QuorumType,
        signers: Sequence[int],
        error: str | None = None,
        bad_key: bool = False,
    ) -> CaseSpec:
        record = (
            finality_record(interval, preset) if kind is QuorumType.FINALITY else pose_record(pose, preset)
        )
        finished = (
            finality_quorum(interval, preset) if kind is QuorumType.FINALITY else pose_quorum(pose, preset)
        )
        data: dict[str, JSON] = {
            "quorum_type": int(kind),
            "quorum_height": record.base_height,
            "session_id": record.session_id.hex(),
            "group_public_key": finished.group_public_key.hex(),
            "key_shares_root": finished.key_shares_root.hex(),
            "signers": [
                {
                    "index": j,
                    "operator_secret_key": (bytes(32) if bad_key else secrets[record.members[j - 1]]).hex(),
                }
                for j in signers
            ],
        }
        return _case("build_commitment", name, f"FIN-5/7: {description}", data, error)

    record = finality_record(interval, preset)
    t, n = record.threshold, len(record.members)
    yield build(
        "finality_threshold",
        f"members 1..{t} of quorum {interval} sign",
        QuorumType.FINALITY,
        range(1, t + 1),
    )
    yield build(
        "finality_all_reversed",
        f"all {n} members, listed last first",
        QuorumType.FINALITY,
        range(n, 0, -1),
    )
    yield build("finality_one_signer", "member 2 alone", QuorumType.FINALITY, [2])
    yield build(
        "pose_threshold", f"the PoSe quorum {pose}'s first members sign (kind 5)", QuorumType.POSE, [1, 2, 3]
    )
    yield build(
        "bad_operator_key",
        "a zero operator secret key",
        QuorumType.FINALITY,
        [1],
        "BLS_INVALID_SECRET_KEY",
        bad_key=True,
    )

    for name, description, finished_quorum in (
        ("finality_quorum", f"finality quorum {interval}", finality_quorum(interval, preset)),
        ("pose_quorum", f"PoSe quorum {pose}", pose_quorum(pose, preset)),
    ):
        shares = [share.value for share in finished_quorum.result.public_key_shares]
        yield CaseSpec(
            "key_shares_root",
            name,
            f"FIN-5: the Merkle root of the {len(shares)} public key shares of {description} (member order)",
            {"public_key_shares": [share.hex() for share in shares]},
            known_output={"root": merkle_root(shares).hex()},
        )
        yield _case(
            "key_shares_root",
            f"{name}_reversed",
            f"FIN-5: the same {len(shares)} shares of {description} listed last first: another root",
            {"public_key_shares": [share.hex() for share in reversed(shares)]},
        )

    precord = pose_record(pose, preset)
    opens, _closes = commitment_window(pose, preset, QuorumType.POSE)
    good = pose_commitment_of(pose, preset)
    registry = QuorumRegistry(
        {interval: finality_record(interval, preset)},
        {
            pose: replace(precord, group_public_key=good.group_public_key, committed_height=opens),
            2 * pose: pose_record(2 * pose, preset),
        },
    )
    length = dkg_length(preset)
    heights: list[JSON] = [
        *sorted(
            {0, length - 1, length, *(length + k * pose + d for k in (1, 2, 3) for d in (-1, 0)), 2**64 - 1}
        )
    ]
    yield _case(
        "committed_pose_key",
        "schedule",
        f"FIN-7/MN-6: PoSe quorum {pose} committed, {2 * pose} recorded without a commitment, "
        "0 and the later ones absent",
        {"quorums": quorums_json(registry), "pose_quorums": pose_quorums_json(registry), "heights": heights},
    )
    yield _case(
        "committed_pose_key",
        "empty_registry",
        "FIN-7/MN-6: nothing recorded, no key at any height",
        {"quorums": [], "heights": heights},
    )


def _pose_producer_cases(preset: Preset) -> Iterator[CaseSpec]:
    """The producing side of POSE-4..6 and SLASH-2/4: challenges and responses made, the targets a
    challenger picks, conflicting DKG messages and their signed prefixes."""
    sc = challenge_scenario(preset)
    record, challenge = sc.record, sc.challenge
    secrets = operator_secrets()
    n = len(record.members)

    def make(
        name: str, description: str, challenger: int, error: str | None = None, **over: JSON
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorum_height": challenge.quorum_height,
            "challenger": challenger,
            "target": {"txid": challenge.target.txid.hex(), "index": challenge.target.index},
            "nonce": challenge.nonce.hex(),
            "secret_key": secrets[record.members[challenger - 1]].hex(),
            "target_secret_key": sc.target_secret.hex(),
            **over,
        }
        return _case("make_pose_challenge", name, f"POSE-5/6: {description}", data, error)

    yield make("member_1", "member 1 challenges the scenario's target, which responds", 1)
    yield make(f"member_{n}", f"member n = {n} challenges the same target", n)
    yield make(
        "target_output_1",
        "a target collateral at output 1 (the digest encodes the index little-endian)",
        2,
        target={"txid": challenge.target.txid.hex(), "index": 1},
    )
    yield make(
        "bad_secret_key",
        "a zero operator secret key",
        1,
        "BLS_INVALID_SECRET_KEY",
        secret_key=bytes(32).hex(),
    )

    def targets(name: str, description: str, mn_list: MasternodeList, own: bytes) -> CaseSpec:
        data: dict[str, JSON] = {"masternodes": list_json(mn_list), "own_operator_key": own.hex()}
        return _case("challenge_targets", name, f"POSE-4: {description}", data)

    yield targets("member_1", "every active masternode but member 1's own", sc.mn_list, record.members[0])
    yield targets("outsider", "a key of no masternode: every active one", sc.mn_list, bls.G1_GENERATOR)
    banned = MasternodeList(
        {
            **sc.mn_list.entries,
            challenge.target: replace(
                sc.mn_list.entries[challenge.target], status=MasternodeStatus.POSE_BANNED
            ),
        }
    )
    yield targets("banned_left_out", "a POSE_BANNED masternode is no target", banned, record.members[0])
    yield targets("empty_list", "no masternodes", MasternodeList({}), record.members[0])

    interval = preset.masternodes.finality_quorum_interval
    quorum = finality_quorum(interval, preset).quorum
    contributions = equivocating_contributions(preset)
    justifications = equivocating_justifications(preset)
    other_dealer = dkg_contribution(quorum, 3)

    def conflict(name: str, description: str, first: DkgMessage, second: DkgMessage) -> CaseSpec:
        data: dict[str, JSON] = {"first": dkg_message_json(first), "second": dkg_message_json(second)}
        return _case("dkg_conflict", name, f"SLASH-2: {description}", data)

    yield conflict(
        "two_contributions", "dealer 2's two contributions", contributions.first, contributions.second
    )
    yield conflict("same_contribution", "one contribution twice", contributions.first, contributions.first)
    yield conflict("two_dealers", "contributions of dealers 2 and 3", contributions.first, other_dealer)
    yield conflict(
        "two_justifications",
        "dealer 3's two answers to member 1",
        justifications.first,
        justifications.second,
    )
    yield conflict(
        "justification_and_contribution",
        "dealer 3's justification and its contribution",
        justifications.first,
        other_dealer,
    )
    yield conflict(
        "contribution_and_justification",
        "dealer 3's contribution and its justification",
        other_dealer,
        justifications.first,
    )


def operator_signatures_of(base_height: int, preset: Preset) -> dict[int, bytes]:
    """FIN-5: members ``1..t`` of the finality quorum at ``base_height`` sign its real commitment hash."""
    record = finality_record(base_height, preset)
    finished = finality_quorum(base_height, preset)
    secrets = operator_secrets()
    return {
        j: commitment_signature(
            secrets[record.members[j - 1]],
            base_height,
            record.session_id,
            finished.group_public_key,
            finished.key_shares_root,
        )
        for j in range(1, record.threshold + 1)
    }


def _pose_penalty_cases(preset: Preset) -> Iterator[CaseSpec]:
    """POSE-1..3: verdicts from DKG-8 exclusions and the PoSe quorum's penalty signing."""
    interval = preset.masternodes.finality_quorum_interval
    pose = preset.masternodes.pose_quorum_interval

    def verdict(name: str, description: str, base: int, excluded: list[tuple[int, str]]) -> CaseSpec:
        data: dict[str, JSON] = {
            "finality_base_height": base,
            "excluded": [{"dealer": d, "reason": r} for d, r in excluded],
        }
        return _case("pose_verdict", name, f"POSE-1/2: {description}", data)

    yield verdict("no_exclusions", "an honest DKG: nobody failed", interval, [])
    yield verdict(
        "every_reason",
        "missing, equivocating, bad justification, unanswered complaint: all but the equivocator failed",
        interval,
        [(1, "missing"), (2, "equivocation"), (3, "bad_justification"), (4, "unanswered_complaint")],
    )
    yield verdict(
        "genesis_quorum", "the quorum based at 0: no PoSe quorum in charge yet", 0, [(1, "missing")]
    )
    finished = pose_quorum(pose, preset)
    record = pose_record(pose, preset)
    result = finished.result
    target = funding(preset).collateral("bob")
    message = penalty_message(target, pose)
    shares = [
        make_signature_share(result.session_id, message, finished.secret_shares[j - 1])
        for j in range(1, len(record.members) + 1)
    ]
    t = result.threshold

    def share_json(share: SignatureShare) -> JSON:
        return {
            "quorum_id": share.quorum_id.hex(),
            "message": share.message.hex(),
            "signer": share.signer,
            "signature": share.signature.hex(),
        }

    def penalty(
        name: str,
        description: str,
        chosen: Sequence[SignatureShare],
        error: str | None = None,
        height: int = pose,
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorum_id": result.session_id.hex(),
            "public_key_shares": [
                {"index": s.index, "public_key": s.value.hex()} for s in result.public_key_shares
            ],
            "threshold": t,
            "masternode": {"txid": target.txid.hex(), "index": target.index},
            "quorum_height": height,
            "shares": [share_json(s) for s in chosen],
        }
        return _case("pose_penalty", name, f"POSE-3: {description}", data, error)

    yield penalty("threshold_shares", f"t = {t} members sign bob's penalty", shares[:t])
    yield penalty("all_shares", "every member signs (same signature)", shares)
    yield penalty(
        "one_forged_share",
        "a share of another penalty among t + 1: rejected, t remain",
        [replace(shares[0], signature=shares[1].signature), *shares[1 : t + 1]],
    )
    yield penalty("too_few", f"t - 1 = {t - 1} shares", shares[: t - 1], "THRESHOLD_INSUFFICIENT_SHARES")
    yield penalty(
        "other_quorum_height",
        "shares of the penalty by quorum P, session for quorum 2P: all SIGN_WRONG_SESSION",
        shares[:t],
        "THRESHOLD_INSUFFICIENT_SHARES",
        2 * pose,
    )


# --------------------------------------------------------------------------------------------
# PoSe liveness challenges (POSE-4..8)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeScenario:
    """Member 1 of the PoSe quorum based at ``I`` challenges a funded masternode it does not run."""

    record: QuorumRecord
    mn_list: MasternodeList
    challenge: PoSeChallenge
    response: PoSeResponse
    target_secret: bytes
    first: int
    deadline: int


@cache
def challenge_scenario(preset: Preset) -> ChallengeScenario:
    """POSE-5/6: the challenge and its genuine response the ``pose`` vectors build on."""
    pose = preset.masternodes.pose_quorum_interval
    record = pose_record(pose, preset)
    secrets = operator_secrets()
    mn_list = funded_list(LABELS, preset)
    n = len(record.members)
    target_label = next(  # POSE-11: member 1 is among the target's challengers
        label
        for label in LABELS
        if operator(label).public_key != record.members[0]
        and 1 in challengers(pose, funding(preset).collateral(label), n, preset)
    )
    target = funding(preset).collateral(target_label)
    nonce = seeded_bytes("masternode/pose-challenge/nonce", 32)
    challenge = make_challenge(secrets[record.members[0]], pose, 1, target, nonce)
    target_secret = operator(target_label).secret
    first, deadline = challenge_window(pose, preset)
    return ChallengeScenario(
        record, mn_list, challenge, make_response(target_secret, challenge), target_secret, first, deadline
    )


def _pose_challenge_cases(preset: Preset) -> Iterator[CaseSpec]:
    """POSE-4..8: challenges checked by a receiver, responses checked by the challenger, verdicts."""
    sc = challenge_scenario(preset)
    record, challenge = sc.record, sc.challenge
    n = len(record.members)
    secrets = operator_secrets()
    target = challenge.target

    def resign(c: PoSeChallenge, member: int) -> PoSeChallenge:
        return make_challenge(
            secrets[record.members[member - 1]], c.quorum_height, c.challenger, c.target, c.nonce
        )

    def check(
        name: str,
        description: str,
        message: PoSeChallenge | bytes,
        height: int | None = None,
        error: str | None = None,
        mn_list: MasternodeList | None = None,
    ) -> CaseSpec:
        raw = message if isinstance(message, bytes) else encode_challenge(message)
        data: dict[str, JSON] = {
            "quorum": quorum_record_json(record),
            "masternodes": list_json(sc.mn_list if mn_list is None else mn_list),
            "height": sc.first if height is None else height,
            "challenge": raw.hex(),
        }
        return _case("check_pose_challenge", name, f"POSE-5: {description}", data, error)

    yield check("valid_at_term_start", "member 1's challenge at the first height of the term", challenge)
    yield check("valid_before_deadline", "received one block before the deadline", challenge, sc.deadline - 1)
    yield check(
        "at_deadline",
        "received at the deadline height",
        challenge,
        sc.deadline,
        "POSE_CHALLENGE_OUT_OF_TERM",
    )
    yield check(
        "before_term",
        "received while the quorum's DKG runs (another quorum in charge)",
        challenge,
        sc.first - 1,
        "POSE_CHALLENGE_OUT_OF_TERM",
    )
    other_height = replace(
        challenge, quorum_height=challenge.quorum_height + preset.masternodes.pose_quorum_interval
    )
    yield check(
        "other_quorum",
        "the challenge names another PoSe quorum than the record",
        resign(other_height, 1),
        sc.first + preset.masternodes.pose_quorum_interval,
        "POSE_CHALLENGE_OUT_OF_TERM",
    )
    yield check(
        "challenger_zero",
        "challenger index 0",
        replace(challenge, challenger=0),
        None,
        "POSE_UNKNOWN_CHALLENGER",
    )
    last_target = next(  # POSE-11: a target member n challenges
        o
        for o, e in sorted(sc.mn_list.entries.items(), key=lambda kv: (kv[0].txid, kv[0].index))
        if e.operator_public_key != record.members[n - 1]
        and n in challengers(challenge.quorum_height, o, n, preset)
    )
    yield check(
        "challenger_n",
        f"member n = {n}'s challenge of a target whose challengers include it (POSE-11)",
        make_challenge(
            secrets[record.members[n - 1]], challenge.quorum_height, n, last_target, challenge.nonce
        ),
    )
    subset = challengers(challenge.quorum_height, target, n, preset)
    outsider = next(j for j in range(1, n + 1) if j not in subset)
    yield check(
        "not_challenger",
        f"member {outsider}, a member but not among the target's challengers {list(subset)} (POSE-11)",
        make_challenge(
            secrets[record.members[outsider - 1]], challenge.quorum_height, outsider, target, challenge.nonce
        ),
        None,
        "POSE_NOT_CHALLENGER",
    )
    yield check(
        "challenger_above_members",
        f"challenger index n + 1 = {n + 1}",
        replace(challenge, challenger=n + 1),
        None,
        "POSE_UNKNOWN_CHALLENGER",
    )
    unknown = OutPoint(seeded_bytes("masternode/pose-challenge/unknown", 32), 0)
    yield check(
        "unknown_target",
        "the target is no registered masternode",
        make_challenge(secrets[record.members[0]], challenge.quorum_height, 1, unknown, challenge.nonce),
        None,
        "MN_UNKNOWN_MASTERNODE",
    )
    banned = MasternodeList(
        {
            **sc.mn_list.entries,
            target: replace(sc.mn_list.entries[target], status=MasternodeStatus.POSE_BANNED),
        }
    )
    yield check("banned_target", "the target is POSE_BANNED", challenge, None, "MN_NOT_ACTIVE", banned)
    yield check(
        "signed_by_other_member",
        "member 2 signed member 1's challenge",
        resign(challenge, 2),
        None,
        "POSE_BAD_CHALLENGE_SIGNATURE",
    )
    yield check(
        "nonce_changed",
        "the nonce changed after signing",
        replace(challenge, nonce=bytes(32)),
        None,
        "POSE_BAD_CHALLENGE_SIGNATURE",
    )
    raw = encode_challenge(challenge)
    yield check("truncated", f"{len(raw) - 1} bytes", raw[:-1], None, "DECODE_TRUNCATED")
    yield check("trailing", f"{len(raw) + 1} bytes", raw + b"\x00", None, "DECODE_TRAILING_BYTES")

    def answer(
        name: str,
        description: str,
        response: PoSeResponse | bytes,
        received: int,
        error: str | None = None,
        mn_list: MasternodeList | None = None,
    ) -> CaseSpec:
        raw = response if isinstance(response, bytes) else encode_response(response)
        data: dict[str, JSON] = {
            "masternodes": list_json(sc.mn_list if mn_list is None else mn_list),
            "challenge": encode_challenge(challenge).hex(),
            "response": raw.hex(),
            "received_height": received,
        }
        return _case("check_pose_response", name, f"POSE-6: {description}", data, error)

    yield answer("in_time", "the target's answer, received at the term start", sc.response, sc.first)
    yield answer("last_block", "received one block before the deadline", sc.response, sc.deadline - 1)
    yield answer("late", "received at the deadline", sc.response, sc.deadline, "POSE_RESPONSE_LATE")
    other = make_challenge(
        secrets[record.members[0]], challenge.quorum_height, 1, target, seeded_bytes("masternode/pose/n2", 32)
    )
    yield answer(
        "other_challenge",
        "a genuine answer to another nonce (a replayed response)",
        make_response(sc.target_secret, other),
        sc.first,
        "POSE_WRONG_CHALLENGE",
    )
    yield answer(
        "signed_by_challenger",
        "the challenger signs the response itself",
        make_response(secrets[record.members[0]], challenge),
        sc.first,
        "POSE_BAD_RESPONSE_SIGNATURE",
    )
    digest = challenge_digest(challenge)
    yield answer(
        "signed_digest_not_response",
        "the target signed the challenge digest, not H(POSE_RESPONSE, digest) (domain separation)",
        PoSeResponse(digest, bls.sign(sc.target_secret, digest)),
        sc.first,
        "POSE_BAD_RESPONSE_SIGNATURE",
    )
    gone = MasternodeList({k: v for k, v in sc.mn_list.entries.items() if k != target})
    yield answer(
        "target_gone",
        "the target's collateral was spent (MN-4) before the answer",
        sc.response,
        sc.first,
        "MN_UNKNOWN_MASTERNODE",
        gone,
    )
    raw_response = encode_response(sc.response)
    yield answer(
        "truncated", f"{len(raw_response) - 1} bytes", raw_response[:-1], sc.first, "DECODE_TRUNCATED"
    )

    fund = funding(preset)
    outs = [fund.collateral(label) for label in LABELS[:4]]

    def verdict(name: str, description: str, answered: list[tuple[int, int]]) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorum_height": challenge.quorum_height,
            "challenged": [{"txid": o.txid.hex(), "index": o.index} for o in outs],
            "answered": [
                {"txid": outs[i].txid.hex(), "index": outs[i].index, "received_height": h}
                for i, h in answered
            ],
        }
        return _case("pose_challenge_verdict", name, f"POSE-7/8: {description}", data)

    yield verdict("nobody_answered", "four challenged, none answered: all four penalised", [])
    yield verdict(
        "everyone_in_time",
        "all four answered, the last one block before the deadline: nobody penalised",
        [(0, sc.first), (1, sc.first + 1), (2, sc.first), (3, sc.deadline - 1)],
    )
    yield verdict(
        "one_late_one_silent",
        "one answered at the deadline (late), one never: those two penalised",
        [(0, sc.first), (1, sc.deadline), (3, sc.first)],
    )
    # POSE-8 under governable values (GOV-7 governs the penalty, threshold and decay): s_k = p +
    # (k - 1) * (p - d*I) must exceed the threshold.
    for name, description, values, expected in (
        ("penalty_above_threshold", "one penalty above the threshold bans at once", (201, 200, 1, 60), 1),
        ("penalty_at_threshold", "a penalty equal to the threshold does not ban alone", (200, 200, 1, 60), 2),
        (
            "decay_equals_penalty",
            "decay a term equal to the penalty: never banned",
            (60, 200, 1, 60),
            None,
        ),
        ("decay_above_penalty", "decay over a term above the penalty: never banned", (50, 200, 2, 30), None),
        ("gain_of_one", "a gain of one point a term", (61, 200, 1, 60), 141),
        (
            "exactly_reaches",
            "a score reaching the threshold is not above it",
            (100, 220, 1, 40),
            4,
        ),
    ):
        penalty, ban_threshold, decay, interval = values
        # the hand-computed count (from s_k above) cross-checks the spec's closed form
        assert terms_to_ban(*values) == expected, (name, terms_to_ban(*values))
        yield _case(
            "terms_to_ban",
            name,
            f"POSE-8: {description}",
            {
                "penalty": penalty,
                "ban_threshold": ban_threshold,
                "decay_per_block": decay,
                "interval": interval,
            },
        )


def _pose_challenger_subset_cases(preset: Preset) -> Iterator[CaseSpec]:
    """POSE-11: each target's challengers, and the targets one member challenges."""
    sc = challenge_scenario(preset)
    record, q = sc.record, sc.challenge.quorum_height
    n = len(record.members)
    outs = sorted(sc.mn_list.entries, key=lambda o: (o.txid, o.index))
    targets: list[JSON] = [{"txid": o.txid.hex(), "index": o.index} for o in outs]
    per = preset.masternodes.pose_challengers_per_target

    def subset(name: str, description: str, **over: JSON) -> CaseSpec:
        data: dict[str, JSON] = {"quorum_height": q, "members": n, "targets": list(targets), **over}
        return _case("pose_challengers", name, f"POSE-11: {description}", data)

    yield subset("every_target", f"the {per} challengers of each of {len(targets)} targets among n = {n}")
    yield subset(
        "next_term",
        "the same targets in the next PoSe term: other subsets",
        quorum_height=q + preset.masternodes.pose_quorum_interval,
    )
    yield subset(
        "fewer_members_than_subset", f"a quorum of {per - 1} members: all of them challenge", members=per - 1
    )
    if per > 2:
        yield subset("one_member", "a quorum of one member", members=1)
    yield subset("no_targets", "no targets", targets=[])
    yield subset(
        "target_output_1",
        "a target collateral at output 1 (the rank encodes the index little-endian)",
        targets=[{"txid": outs[0].txid.hex(), "index": 1}],
    )
    for member in (1, n):
        yield subset(
            f"assigned_member_{member}",
            f"the active targets member {member} challenges (its own masternode left out)",
            masternodes=list_json(sc.mn_list),
            member=member,
            own_operator_key=record.members[member - 1].hex(),
        )


def _finality_share_cases(preset: Preset) -> Iterator[CaseSpec]:
    """POSE-9/10: missed finality shares counted over the judging PoSe quorum's window."""
    params = preset.masternodes
    q = params.pose_quorum_interval
    first = share_window(q, preset)[0]
    window, tolerance = params.finality_share_window, params.finality_share_tolerance
    base = finality_quorum_height(first, preset)
    assert base is not None and finality_quorum_height(first + window - 1, preset) == base
    record = replace(
        finality_record(base, preset), group_public_key=finality_quorum(base, preset).group_public_key
    )
    n, t = len(record.members), record.threshold
    mn_list = funded_list(LABELS, preset)
    everyone = list(range(1, n + 1))
    but_last = everyone[:-1]

    def obs(height: int, signers: Sequence[int], rec: QuorumRecord = record) -> JSON:
        return {"height": height, "quorum": quorum_record_json(rec), "signers": list(signers)}

    def verdict(
        name: str, description: str, observed: list[JSON], masternodes: MasternodeList = mn_list
    ) -> CaseSpec:
        data: dict[str, JSON] = {
            "quorum_height": q,
            "masternodes": list_json(masternodes),
            "observed": observed,
        }
        return _case("finality_share_verdict", name, f"POSE-9/10: {description}", data)

    heights = range(first, first + window)
    yield verdict(
        "everyone_signed",
        f"all {n} members signed all {window} heights: nobody penalised",
        [obs(h, everyone) for h in heights],
    )
    yield verdict(
        "one_silent_whole_window",
        f"member {n} sent no share in the window: penalised",
        [obs(h, but_last) for h in heights],
    )
    yield verdict(
        "misses_at_tolerance",
        f"member {n} missed exactly {tolerance} finalized heights: not penalised",
        [obs(h, but_last if h < first + tolerance else everyone) for h in heights],
    )
    yield verdict(
        "misses_above_tolerance",
        f"member {n} missed {tolerance + 1} finalized heights: penalised",
        [obs(h, but_last if h <= first + tolerance else everyone) for h in heights],
    )
    few = everyone[: t - 1]
    yield verdict(
        "unfinalized_heights_do_not_count",
        f"member {n} silent throughout, only the last {tolerance} heights had t = {t} shares: not penalised",
        [obs(h, few if h < first + window - tolerance else but_last) for h in heights],
    )
    half = first + window // 2
    yield verdict(
        "two_members_each_silent_half",
        f"member {n - 1} silent in the first half of the window, member {n} in the second: both"
        " penalised, listed by outpoint",
        [obs(h, [j for j in everyone if j != (n - 1 if h < half else n)]) for h in heights],
    )
    yield verdict(
        "outside_the_window_ignored",
        f"member {n} missed heights {first - 1} and {first + window} only (the window is"
        f" [{first}, {first + window}))",
        [obs(first - 1, but_last), *[obs(h, everyone) for h in heights], obs(first + window, but_last)],
    )
    yield verdict(
        "repeated_height_first_kept",
        "each height given twice, first with every member, then without member n: the first counts",
        [item for h in heights for item in (obs(h, everyone), obs(h, but_last))],
    )
    other = replace(record, base_height=base + params.finality_quorum_interval)
    yield verdict(
        "record_not_in_charge_ignored",
        "member n silent, but the heights name a finality record FIN-2 does not put in charge",
        [obs(h, but_last, other) for h in heights],
    )
    uncommitted = replace(record, group_public_key=None)
    yield verdict(
        "uncommitted_first_height_ignored",
        f"member {n} silent; the first height names a record without a key, the other {window - 1} count",
        [obs(first, but_last, uncommitted), *[obs(h, but_last) for h in heights[1:]]],
    )
    yield verdict(
        "other_record_first_height_ignored",
        f"member {n} silent; the first height names a record FIN-2 does not put in charge, the rest count",
        [
            obs(first, but_last, replace(record, base_height=base + params.finality_quorum_interval)),
            *[obs(h, but_last) for h in heights[1:]],
        ],
    )
    yield verdict(
        "uncommitted_record_ignored",
        "member n silent, but the finality quorum never committed a key (FIN-5)",
        [obs(h, but_last, uncommitted) for h in heights],
    )
    yield verdict(
        "foreign_indices_ignored",
        f"member {n} silent; signer indices 0 and {n + 1} do not stand in for it",
        [obs(h, [0, *but_last, n + 1]) for h in heights],
    )
    silent_key = record.members[n - 1]
    banned = MasternodeList(
        {
            o: (replace(e, status=MasternodeStatus.POSE_BANNED) if e.operator_public_key == silent_key else e)
            for o, e in mn_list.entries.items()
        }
    )
    yield verdict(
        "banned_member_not_penalised",
        "member n silent but already POSE_BANNED: no penalty (MN-6 would reject it)",
        [obs(h, but_last) for h in heights],
        banned,
    )
    yield verdict("nothing_observed", "no share seen at all: no height counts, nobody penalised", [])
    spanning = next(  # a later PoSe term whose window spans two finality terms (never on devnet)
        (
            k * q
            for k in range(2, 20)
            if finality_quorum_height(share_window(k * q, preset)[0], preset)
            != finality_quorum_height(share_window(k * q, preset)[1] - 1, preset)
        ),
        None,
    )
    if spanning is not None:
        start, stop, _ = share_window(spanning, preset)
        records: dict[int, QuorumRecord] = {}
        for h in range(start, stop):
            b = finality_quorum_height(h, preset)
            assert b is not None
            if b not in records:
                records[b] = replace(
                    finality_record(b, preset), group_public_key=finality_quorum(b, preset).group_public_key
                )
        silent = records[min(records)].members[-1]
        data: dict[str, JSON] = {
            "quorum_height": spanning,
            "masternodes": list_json(mn_list),
            "observed": [
                obs(
                    h,
                    [j for j, key in enumerate(rec.members, start=1) if key != silent],
                    rec,
                )
                for h in range(start, stop)
                for rec in [records[finality_quorum_height(h, preset) or 0]]
            ],
        }
        yield _case(
            "finality_share_verdict",
            "window_spans_two_finality_quorums",
            f"POSE-9/10: the window [{start}, {stop}) of PoSe quorum {spanning} lies under finality quorums"
            f" {sorted(records)}; one masternode, a member of both, silent throughout: its misses add up",
            data,
        )
