"""The one error hierarchy of the Rusty Coin specification.

Every rule that rejects its input raises a subclass of :class:`SpecError`. Each subclass carries
a **stable error code**: a short upper-case string that test vectors record and that every
alternative implementation must reproduce for the same invalid input. Codes are never renamed or
reused: a retired code leaves its class behind and is listed in :data:`RETIRED_ERROR_CODES`.

Nothing else may escape a decoder or a validator: a ``KeyError``, ``IndexError``,
``ValueError`` or ``AssertionError`` raised from bad input is a bug in the specification.

The hierarchy is grouped by protocol area so that callers can catch a whole family
(``except DecodeError``) while vectors still pin the precise code.
"""

from __future__ import annotations

from typing import ClassVar


class SpecError(Exception):
    """Base class of every rejection raised by the specification."""

    code: ClassVar[str] = "SPEC_ERROR"

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{self.code}: {detail}" if detail else self.code)
        self.detail = detail


# --------------------------------------------------------------------------------------------
# Canonical binary encoding (spec/encoding.py)
# --------------------------------------------------------------------------------------------


class DecodeError(SpecError):
    """A byte string is not the canonical encoding of any value of the expected type."""

    code = "DECODE_ERROR"


class TruncatedInput(DecodeError):
    """The input ended before the value was complete."""

    code = "DECODE_TRUNCATED"


class TrailingBytes(DecodeError):
    """Bytes remain after a complete top-level value."""

    code = "DECODE_TRAILING_BYTES"


class NonCanonicalVarint(DecodeError):
    """A varint uses more bytes than the minimal encoding of its value."""

    code = "DECODE_NONCANONICAL_VARINT"


class VarintOverflow(DecodeError):
    """A varint encodes a value above 2**64 - 1 or is longer than 10 bytes."""

    code = "DECODE_VARINT_OVERFLOW"


class LengthLimitExceeded(DecodeError):
    """A length prefix exceeds the maximum allowed for the field."""

    code = "DECODE_LENGTH_LIMIT"


class InvalidBoolean(DecodeError):
    """A boolean byte is neither 0x00 nor 0x01."""

    code = "DECODE_INVALID_BOOL"


class InvalidEnumTag(DecodeError):
    """A tag byte does not name any variant of the enumeration."""

    code = "DECODE_INVALID_TAG"


class NonCanonicalSplit(DecodeError):
    """MN-0: a message split over several pushes is not split into full pushes and a non-empty last one."""

    code = "DECODE_NONCANONICAL_SPLIT"


class EncodeError(SpecError):
    """A value cannot be encoded: it lies outside the range of its declared type."""

    code = "ENCODE_OUT_OF_RANGE"


# --------------------------------------------------------------------------------------------
# Hashing and Merkle trees (spec/hashing.py, spec/merkle.py)
# --------------------------------------------------------------------------------------------


class HashError(SpecError):
    """A hashing rule was asked for something it does not define."""

    code = "HASH_ERROR"


class UnknownDomain(HashError):
    """The named hash domain is not one of the protocol's domains."""

    code = "HASH_UNKNOWN_DOMAIN"


class BadPrefixProof(HashError):
    """HASH-2: a prefix proof whose first chunk or sibling chaining values have the wrong lengths."""

    code = "HASH_BAD_PREFIX_PROOF"


class MerkleError(SpecError):
    """A Merkle tree or proof rule rejected its input."""

    code = "MERKLE_ERROR"


class MerkleEmptyTree(MerkleError):
    """An inclusion proof was asked of a tree with no leaves."""

    code = "MERKLE_EMPTY_TREE"


class MerkleIndexOutOfRange(MerkleError):
    """A leaf index is not below the leaf count."""

    code = "MERKLE_INDEX_OUT_OF_RANGE"


class MerkleProofLength(MerkleError):
    """An inclusion proof has the wrong number of sibling hashes for its index and leaf count."""

    code = "MERKLE_PROOF_LENGTH"


class MerkleRootMismatch(MerkleError):
    """An inclusion proof is well formed but does not lead to the claimed root."""

    code = "MERKLE_ROOT_MISMATCH"


# --------------------------------------------------------------------------------------------
# BLS12-381 (spec/crypto/bls.py)
# --------------------------------------------------------------------------------------------


class CryptoError(SpecError):
    """A cryptographic rule rejected its input."""

    code = "CRYPTO_ERROR"


class InvalidSecretKey(CryptoError):
    """A secret key is not an integer in [1, r - 1] encoded as 32 big-endian bytes."""

    code = "BLS_INVALID_SECRET_KEY"


class InvalidPublicKey(CryptoError):
    """A public key is not the compressed encoding of a non-identity G1 point in the prime subgroup."""

    code = "BLS_INVALID_PUBLIC_KEY"


class InvalidSignatureEncoding(CryptoError):
    """A signature is not the compressed encoding of a G2 point in the prime subgroup."""

    code = "BLS_INVALID_SIGNATURE"


class InvalidKeyMaterial(CryptoError):
    """KeyGen input keying material is shorter than 32 bytes."""

    code = "BLS_IKM_TOO_SHORT"


class EmptyAggregate(CryptoError):
    """An aggregation or aggregate verification was given no signatures or no public keys."""

    code = "BLS_EMPTY_AGGREGATE"


class AggregateLengthMismatch(CryptoError):
    """AggregateVerify was given different numbers of public keys and messages."""

    code = "BLS_LENGTH_MISMATCH"


class UnknownBackend(CryptoError):
    """The requested BLS backend is not one of the registered backends."""

    code = "BLS_UNKNOWN_BACKEND"


# --------------------------------------------------------------------------------------------
# Threshold BLS (spec/crypto/threshold.py)
# --------------------------------------------------------------------------------------------


class ThresholdError(CryptoError):
    """A threshold (t-of-n) rule rejected its input."""

    code = "THRESHOLD_ERROR"


class InvalidThresholdParameters(ThresholdError):
    """The threshold t and member count n do not satisfy 1 <= t <= n <= preset maximum."""

    code = "THRESHOLD_INVALID_PARAMETERS"


class InvalidShareIndex(ThresholdError):
    """A share index is zero or not below the group order (index 0 would reveal the secret)."""

    code = "THRESHOLD_INVALID_INDEX"


class DuplicateShareIndex(ThresholdError):
    """Two shares given to a recovery carry the same member index."""

    code = "THRESHOLD_DUPLICATE_INDEX"


class InsufficientShares(ThresholdError):
    """Fewer than t shares were given to a recovery."""

    code = "THRESHOLD_INSUFFICIENT_SHARES"


class InvalidSignatureShare(ThresholdError):
    """A signature share does not verify under its member's public key share."""

    code = "THRESHOLD_INVALID_SHARE"


class InvalidPolynomial(ThresholdError):
    """Shamir coefficients are empty, out of [0, r - 1], have a zero constant term (group secret) or a
    zero leading coefficient, or the polynomial vanishes at a member index (a zero share)."""

    code = "THRESHOLD_INVALID_POLYNOMIAL"


# --------------------------------------------------------------------------------------------
# Ed25519 transaction signatures (spec/crypto/ed25519.py)
# --------------------------------------------------------------------------------------------


class Ed25519Error(CryptoError):
    """An Ed25519 rule rejected its input."""

    code = "ED25519_ERROR"


class InvalidEd25519PublicKey(Ed25519Error):
    """A public key is not 32 bytes, not a canonical point encoding, not on the curve, or of small order."""

    code = "ED25519_INVALID_PUBLIC_KEY"


class MalformedEd25519Signature(Ed25519Error):
    """A signature is not 64 bytes or its scalar S is not below the group order L."""

    code = "ED25519_MALFORMED_SIGNATURE"


class InvalidEd25519Seed(Ed25519Error):
    """A secret seed is not exactly 32 bytes."""

    code = "ED25519_INVALID_SEED"


# --------------------------------------------------------------------------------------------
# Transactions and the UTXO set (spec/ledger/)
# --------------------------------------------------------------------------------------------


class TransactionError(SpecError):
    """A transaction breaks a ledger rule (TX-*)."""

    code = "TX_ERROR"


class UnsupportedTransactionVersion(TransactionError):
    """TX-1: the transaction version is not 1."""

    code = "TX_UNSUPPORTED_VERSION"


class EmptyInputsOrOutputs(TransactionError):
    """TX-2: the transaction has no inputs or no outputs."""

    code = "TX_EMPTY_INPUTS_OR_OUTPUTS"


class TooManyInputsOutputs(TransactionError):
    """TX-2: inputs plus outputs exceed the preset maximum."""

    code = "TX_TOO_MANY_INPUTS_OUTPUTS"


class TransactionTooLarge(TransactionError):
    """TX-3: the encoded transaction exceeds the preset maximum size."""

    code = "TX_TOO_LARGE"


class OutputValueOutOfRange(TransactionError):
    """TX-4: an output value, or the sum of the outputs, exceeds the money supply limit."""

    code = "TX_OUTPUT_VALUE_OUT_OF_RANGE"


class DuplicateInput(TransactionError):
    """TX-5: two inputs spend the same outpoint."""

    code = "TX_DUPLICATE_INPUT"


class BadCoinbaseShape(TransactionError):
    """TX-6: a coinbase has other inputs, or a non-coinbase spends the null outpoint."""

    code = "TX_BAD_COINBASE"


class MissingInput(TransactionError):
    """TX-7: an input spends an outpoint that is not in the UTXO set (unknown or already spent)."""

    code = "TX_MISSING_INPUT"


class ImmatureCoinbaseSpend(TransactionError):
    """TX-8: an input spends a coinbase output before it has matured."""

    code = "TX_IMMATURE_COINBASE_SPEND"


class InsufficientInputValue(TransactionError):
    """TX-9: the outputs are worth more than the inputs (value would be created)."""

    code = "TX_INSUFFICIENT_INPUT_VALUE"


class InputValueOutOfRange(TransactionError):
    """TX-9: the sum of the spent outputs exceeds the money supply limit."""

    code = "TX_INPUT_VALUE_OUT_OF_RANGE"


class TransactionNotFinal(TransactionError):
    """TX-10: the lock time has not been reached at this height or median time past."""

    code = "TX_NOT_FINAL"


class RelativeLockNotMet(TransactionError):
    """TX-11: an input's relative lock (sequence) has not matured at this height."""

    code = "TX_RELATIVE_LOCK_NOT_MET"


class UnsupportedRelativeLock(TransactionError):
    """TX-11: an input enables a time-based relative lock, which version 1 does not define."""

    code = "TX_UNSUPPORTED_RELATIVE_LOCK"


class UnexpectedCoinbase(TransactionError):
    """A coinbase appears where only ordinary transactions are allowed (mempool, not first in a block)."""

    code = "TX_UNEXPECTED_COINBASE"


class UndoMismatch(TransactionError):
    """Undo data does not match the transactions it is said to undo."""

    code = "TX_UNDO_MISMATCH"


# --------------------------------------------------------------------------------------------
# Mempool relay policy (spec/ledger/mempool.py)
# --------------------------------------------------------------------------------------------


class MempoolRejection(SpecError):
    """The mempool's relay policy refuses a transaction (the transaction may still be valid in a block)."""

    code = "MEMPOOL_REJECTED"


class AlreadyInMempool(MempoolRejection):
    """MEMPOOL-1: a transaction with the same txid is already in the mempool."""

    code = "MEMPOOL_DUPLICATE"


class FeeRateTooLow(MempoolRejection):
    """MEMPOOL-1: the fee rate is below the minimum relay fee rate."""

    code = "MEMPOOL_FEE_TOO_LOW"


class DustOutput(MempoolRejection):
    """MEMPOOL-1: a spendable output is worth less than the dust limit."""

    code = "MEMPOOL_DUST"


class ReplacementRejected(MempoolRejection):
    """MEMPOOL-2: the transaction conflicts with mempool transactions and does not pay enough to replace them.

    (It must pay more per byte than each conflict and more in total than all it replaces.)
    """

    code = "MEMPOOL_REPLACEMENT_REJECTED"


class MempoolFull(MempoolRejection):
    """MEMPOOL-3: the mempool is full and the transaction's fee rate is among the lowest."""

    code = "MEMPOOL_FULL"


# --------------------------------------------------------------------------------------------
# Merkle Patricia Trie (spec/trie.py)
# --------------------------------------------------------------------------------------------


class TrieError(SpecError):
    """A Merkle Patricia Trie rule rejected its input."""

    code = "TRIE_ERROR"


class TrieEmptyValue(TrieError):
    """A key was given the empty value (the trie stores only non-empty values; use delete)."""

    code = "TRIE_EMPTY_VALUE"


class TrieBadNibbles(TrieError):
    """A nibble path holds a value above 15, or has odd length where whole key bytes are needed."""

    code = "TRIE_KEY_BAD_NIBBLES"


class TrieDecodeError(TrieError):
    """A byte string is not the encoding of any node a canonical trie can contain."""

    code = "TRIE_DECODE_ERROR"


class TrieRlpError(TrieDecodeError):
    """Not exactly one canonical RLP item, or lists nested deeper than any node can be (4 levels)."""

    code = "TRIE_DECODE_RLP"


class TrieNodeShape(TrieDecodeError):
    """Canonical RLP, but not a node: not a list of 2 or 17 items, or an item is a list where a
    string is required (a path, a leaf value, a branch value) or a non-empty string stands alone."""

    code = "TRIE_DECODE_NODE_SHAPE"


class TrieHexPrefixError(TrieDecodeError):
    """A hex-prefix path is empty, has a flag nibble above 3, or a non-zero padding nibble."""

    code = "TRIE_DECODE_HEX_PREFIX"


class TrieChildRefError(TrieDecodeError):
    """A child reference is neither empty, nor a 32-byte hash, nor an inline node shorter than 32
    bytes (an extension's child may not be empty)."""

    code = "TRIE_DECODE_CHILD_REF"


class TrieNonCanonicalNode(TrieDecodeError):
    """A well-formed node that no canonical trie contains: a leaf with an empty value, an extension
    with an empty path or an inline child that is not a branch, a branch with fewer than two
    occupants (children plus value)."""

    code = "TRIE_DECODE_NONCANONICAL_NODE"


class TrieProofError(TrieError):
    """A Merkle Patricia proof does not prove anything about the key under the root."""

    code = "TRIE_PROOF_ERROR"


class TrieProofMissingNode(TrieProofError):
    """The path needs a hashed node the proof does not contain (the proof ends too early)."""

    code = "TRIE_PROOF_MISSING_NODE"


class TrieProofHashMismatch(TrieProofError):
    """A proof node does not hash to the reference (root or parent child hash) it must match."""

    code = "TRIE_PROOF_HASH_MISMATCH"


class TrieProofInvalidNode(TrieProofError):
    """A proof node decodes but cannot stand where it stands: a hashed non-root node shorter than
    32 bytes (it must be inline), the empty node below a root, or an extension's child that is not
    a branch."""

    code = "TRIE_PROOF_INVALID_NODE"


class TrieProofUnusedNode(TrieProofError):
    """The proof holds nodes after the one that decides the key (proofs carry exactly the path)."""

    code = "TRIE_PROOF_UNUSED_NODE"


class TrieProofValueMismatch(TrieProofError):
    """A valid proof shows a different result (another value, or absence) than the one claimed."""

    code = "TRIE_PROOF_VALUE_MISMATCH"


# --------------------------------------------------------------------------------------------
# The full-state commitment (spec/chain/commitment.py, STATE-2..5)
# --------------------------------------------------------------------------------------------


class StateItemError(SpecError):
    """A set of committed state items is not the item set of any chain state (STATE-2..4)."""

    code = "STATE_ITEM_ERROR"


class StateItemBadKey(StateItemError):
    """STATE-2: an item key of no known kind, of the wrong length for its kind, or not the key its
    value determines."""

    code = "STATE_ITEM_BAD_KEY"


class StateItemBadValue(StateItemError):
    """STATE-3: an item value that decodes but breaks the layout (a name that is not ASCII)."""

    code = "STATE_ITEM_BAD_VALUE"


class StateItemMissing(StateItemError):
    """STATE-4: a singleton item (ticket price, treasury, deployments, scheduled changes) is absent."""

    code = "STATE_ITEM_MISSING"


# --------------------------------------------------------------------------------------------
# State snapshots (spec/ledger/snapshot.py)
# --------------------------------------------------------------------------------------------


class SnapshotError(SpecError):
    """A snapshot chunk or manifest fails verification."""

    code = "SNAPSHOT_ERROR"


class SnapshotChunkMismatch(SnapshotError):
    """SNAP-3: a chunk's hash and proof do not lead to the manifest's chunk root."""

    code = "SNAPSHOT_CHUNK_MISMATCH"


class SnapshotChunkSize(SnapshotError):
    """SNAP-2: a chunk holds the wrong number of entries for its position."""

    code = "SNAPSHOT_CHUNK_SIZE"


class SnapshotOrder(SnapshotError):
    """SNAP-1: entries are not in strictly ascending outpoint order (within or across chunks)."""

    code = "SNAPSHOT_ORDER"


class SnapshotIncomplete(SnapshotError):
    """SNAP-4: chunks are missing, repeated, or the entry count differs from the manifest."""

    code = "SNAPSHOT_INCOMPLETE"


class SnapshotStateRootMismatch(SnapshotError):
    """SNAP-4: the assembled UTXO set does not have the state root the manifest commits to."""

    code = "SNAPSHOT_STATE_ROOT_MISMATCH"


class SnapshotCertificateMismatch(SnapshotError):
    """SNAP-9: the finality certificate offered with a snapshot certifies no block of the header
    chain at or above the snapshot's block (a lower height, or a block the header chain does not
    hold at that height)."""

    code = "SNAPSHOT_CERTIFICATE_MISMATCH"


class SnapshotNoFinalityKey(SnapshotError):
    """SNAP-9: the snapshot's verified items commit no finality quorum key for the certificate's
    height (no quorum in charge, its record absent, or its key not committed by the snapshot's block)."""

    code = "SNAPSHOT_NO_FINALITY_KEY"


class SnapshotBadCertificate(SnapshotError):
    """SNAP-9: the certificate's signature does not verify under the finality key the snapshot's
    items commit to (or is not a valid G2 encoding)."""

    code = "SNAPSHOT_BAD_CERTIFICATE"


# --------------------------------------------------------------------------------------------
# Proof of work and headers (spec/chain/)
# --------------------------------------------------------------------------------------------


class ChainError(SpecError):
    """A header or block breaks a chain rule (POW-*, HDR-*, BLK-*)."""

    code = "CHAIN_ERROR"


class InvalidCompactTarget(ChainError):
    """POW-1: compact bits are negative, zero, over 256 bits, or not the canonical form of their target."""

    code = "POW_INVALID_BITS"


class TargetAboveLimit(ChainError):
    """POW-1: the target is easier than the preset's proof-of-work limit."""

    code = "POW_TARGET_ABOVE_LIMIT"


class InsufficientWork(ChainError):
    """POW-2: the header hash, read as a big-endian integer, exceeds the target."""

    code = "POW_HASH_ABOVE_TARGET"


class WrongDifficulty(ChainError):
    """POW-4: the header's bits differ from the retarget rule's result."""

    code = "POW_WRONG_BITS"


class UnsupportedBlockVersion(ChainError):
    """HDR-1: the header version is not 1."""

    code = "HDR_UNSUPPORTED_VERSION"


class WrongPreviousBlock(ChainError):
    """HDR-2: the header does not extend the given parent (hash or height)."""

    code = "HDR_WRONG_PARENT"


class TimestampTooEarly(ChainError):
    """HDR-3: the timestamp is not above the median time past of the previous blocks."""

    code = "HDR_TIME_TOO_EARLY"


class TimestampTooFarAhead(ChainError):
    """HDR-4: the timestamp is more than the allowed drift ahead of the node's clock."""

    code = "HDR_TIME_TOO_FAR_AHEAD"


class BadMerkleRoot(ChainError):
    """BLK-2: the header's Merkle root is not the root of the block's wtxids."""

    code = "BLK_BAD_MERKLE_ROOT"


class BlockTooLarge(ChainError):
    """BLK-1: the encoded block exceeds the preset's maximum size."""

    code = "BLK_TOO_LARGE"


class MissingCoinbase(ChainError):
    """BLK-3: the first transaction is not a coinbase, or a later one is."""

    code = "BLK_BAD_COINBASE_POSITION"


class BadCoinbaseHeight(ChainError):
    """BLK-3: the coinbase lock_time is not the block height."""

    code = "BLK_BAD_COINBASE_HEIGHT"


class BadCoinbasePayout(ChainError):
    """BLK-5: the coinbase does not pay exactly the required reward outputs."""

    code = "BLK_BAD_COINBASE_PAYOUT"


class DuplicateTransaction(ChainError):
    """BLK-2: two transactions in one block have the same txid."""

    code = "BLK_DUPLICATE_TRANSACTION"


class BadStateRoot(ChainError):
    """BLK-6: the header's state root is not the root of the UTXO set after the block."""

    code = "BLK_BAD_STATE_ROOT"


class BadVotes(ChainError):
    """POS-4: the block's ticket votes are missing, not from selected tickets, duplicated or too few valid."""

    code = "POS_BAD_VOTES"


class TicketError(ChainError):
    """A ticket purchase or ticket spend breaks a proof-of-stake rule."""

    code = "POS_TICKET_ERROR"


class WrongTicketPrice(TicketError):
    """POS-1: a ticket purchase does not lock exactly the current ticket price."""

    code = "POS_WRONG_TICKET_PRICE"


class TicketLocked(TicketError):
    """POS-2: a ticket output is spent before it has voted or expired."""

    code = "POS_TICKET_LOCKED"


class TooManyTickets(TicketError):
    """POS-1: a block buys more tickets than the preset allows."""

    code = "POS_TOO_MANY_TICKETS"


class FinalityViolation(ChainError):
    """FORK-2: a chain switch would reorganise a finalized block."""

    code = "FORK_FINALITY_VIOLATION"


# --------------------------------------------------------------------------------------------
# DKG and threshold signing sessions (spec/masternode/dkg.py, spec/masternode/signing.py)
# --------------------------------------------------------------------------------------------


class DkgError(SpecError):
    """A distributed key generation rule (DKG-*) rejected a session or a message."""

    code = "DKG_ERROR"


class DkgInvalidParameters(DkgError):
    """DKG-1: the quorum hash is not 32 bytes, the member count is outside [min_members, max_members],
    the threshold outside [1, n], the start height not a u64, or a member key is repeated."""

    code = "DKG_INVALID_PARAMETERS"


class DkgWrongPhase(DkgError):
    """DKG-2: a message or transition does not belong to the session's current phase."""

    code = "DKG_WRONG_PHASE"


class DkgWrongSession(DkgError):
    """DKG-3: a message names another session id."""

    code = "DKG_WRONG_SESSION"


class DkgUnknownMember(DkgError):
    """DKG-3: a message names a dealer, complainer or accused index that is not a session member."""

    code = "DKG_UNKNOWN_MEMBER"


class DkgBadSignature(DkgError):
    """DKG-3: a message's signature is not a valid encoding or does not verify under its sender's key."""

    code = "DKG_BAD_SIGNATURE"


class DkgMalformedContribution(DkgError):
    """DKG-4: a contribution does not carry exactly t valid G1 commitments (first and last not the
    identity) and exactly n shares below the group order."""

    code = "DKG_MALFORMED_CONTRIBUTION"


class DkgSelfComplaint(DkgError):
    """DKG-6: a member complains against itself."""

    code = "DKG_SELF_COMPLAINT"


class DkgMalformedJustification(DkgError):
    """DKG-7: a justification reveals an ephemeral key that is not 32 bytes in ``[1, r - 1]``."""

    code = "DKG_MALFORMED_JUSTIFICATION"


class DkgUnsolicitedJustification(DkgError):
    """DKG-7: a justification answers no recorded complaint, or its dealer has no accepted contribution."""

    code = "DKG_UNSOLICITED_JUSTIFICATION"


class DkgFailed(DkgError):
    """DKG-8: fewer than t dealers qualified, or the group key or a public key share is the identity."""

    code = "DKG_FAILED"


class DkgMalformedCiphertext(DkgError):
    """DKG-4/11: an encrypted share is not 96 bytes, or its ephemeral key is not a valid non-identity
    G1 point."""

    code = "DKG_MALFORMED_CIPHERTEXT"


class DkgUndecryptableShare(DkgError):
    """DKG-11: an encrypted share fails authentication under the recipient's key, or its plaintext is
    not 32 bytes below the group order."""

    code = "DKG_UNDECRYPTABLE_SHARE"


class DkgBadJustification(DkgError):
    """DKG-7/12: a revealed ephemeral key does not open the committed ciphertext (its point is not the
    ciphertext's, the ciphertext fails to open, or the opened share fails the dealer's commitments)."""

    code = "DKG_BAD_JUSTIFICATION"


class DkgShareMismatch(DkgError):
    """DKG-9: a member's summed secret share does not match its public key share (it failed to complain)."""

    code = "DKG_SHARE_MISMATCH"


class SigningError(SpecError):
    """A threshold signing session rule (SIGN-*) rejected a share or a session."""

    code = "SIGN_ERROR"


class SignInvalidSession(SigningError):
    """SIGN-1: the quorum id or message is not 32 bytes, the public key shares are not members 1..n,
    or the threshold is outside [1, n]; SIGN-4: a finality height is not a u64 or a hash not 32 bytes."""

    code = "SIGN_INVALID_SESSION"


class SignWrongSession(SigningError):
    """SIGN-2: a signature share names another quorum or another message than the session's."""

    code = "SIGN_WRONG_SESSION"


class SignUnknownSigner(SigningError):
    """SIGN-2: a signature share's signer index is not a member of the quorum."""

    code = "SIGN_UNKNOWN_SIGNER"


class SignDuplicateShare(SigningError):
    """SIGN-2: the session already holds a valid share of that signer."""

    code = "SIGN_DUPLICATE_SHARE"


# --------------------------------------------------------------------------------------------
# Presets (spec/presets/__init__.py)
# --------------------------------------------------------------------------------------------


class PresetError(SpecError):
    """A preset is unknown or violates its own invariants."""

    code = "PRESET_ERROR"


class UnknownPreset(PresetError):
    """No preset of that name exists."""

    code = "PRESET_UNKNOWN"


class InvalidPreset(PresetError):
    """A preset file is missing a field, has a field of the wrong type, or breaks an invariant."""

    code = "PRESET_INVALID"


# --------------------------------------------------------------------------------------------
# FerrisScript (spec/script.py)
# --------------------------------------------------------------------------------------------


class ScriptError(SpecError):
    """A FerrisScript rule (SCRIPT-*) rejected a script or its execution."""

    code = "SCRIPT_ERROR"


class ScriptTooLarge(ScriptError):
    """SCRIPT-1: a script is longer than the preset's max_script_bytes."""

    code = "SCRIPT_TOO_LARGE"


class ScriptBadOpcode(ScriptError):
    """SCRIPT-2: a byte in opcode position is not an opcode of FerrisScript v1 (for example 0xa9, HASH160)."""

    code = "SCRIPT_BAD_OPCODE"


class ScriptTruncatedPush(ScriptError):
    """SCRIPT-3: a push opcode's length prefix or data runs past the end of the script."""

    code = "SCRIPT_TRUNCATED_PUSH"


class ScriptNonMinimalPush(ScriptError):
    """SCRIPT-4: a push does not use the shortest encoding of its data."""

    code = "SCRIPT_NON_MINIMAL_PUSH"


class ScriptPushSize(ScriptError):
    """SCRIPT-5: a push carries more than the preset's max_element_bytes."""

    code = "SCRIPT_PUSH_SIZE"


class ScriptOpCount(ScriptError):
    """SCRIPT-6: a script has more non-push opcodes than the preset's max_ops."""

    code = "SCRIPT_OP_COUNT"


class ScriptUnbalancedConditional(ScriptError):
    """SCRIPT-7: an ELSE or ENDIF has no open IF/NOTIF, an IF has two ELSEs, or an IF is never closed."""

    code = "SCRIPT_UNBALANCED_CONDITIONAL"


class ScriptSigNotPushOnly(ScriptError):
    """SCRIPT-8: a script_sig contains an opcode that is not a push."""

    code = "SCRIPT_SIG_NOT_PUSH_ONLY"


class ScriptSigopLimit(ScriptError):
    """SCRIPT-9: the counted signature operations exceed the preset's max_sigops_per_tx."""

    code = "SCRIPT_SIGOP_LIMIT"


class ScriptStackOverflow(ScriptError):
    """SCRIPT-10: the stack holds more than the preset's max_stack_items after an operation."""

    code = "SCRIPT_STACK_OVERFLOW"


class ScriptStackUnderflow(ScriptError):
    """SCRIPT-11: an operation needs more stack items than there are."""

    code = "SCRIPT_STACK_UNDERFLOW"


class ScriptMinimalIf(ScriptError):
    """SCRIPT-12: the condition of an executed IF/NOTIF is neither empty nor the single byte 0x01."""

    code = "SCRIPT_MINIMALIF"


class ScriptReturn(ScriptError):
    """SCRIPT-13: OP_RETURN was executed."""

    code = "SCRIPT_RETURN"


class ScriptVerifyFailed(ScriptError):
    """SCRIPT-13: OP_VERIFY popped a false value."""

    code = "SCRIPT_VERIFY_FAILED"


class ScriptEqualVerifyFailed(ScriptError):
    """SCRIPT-13: OP_EQUALVERIFY popped two different values."""

    code = "SCRIPT_EQUALVERIFY_FAILED"


class ScriptCheckSigVerifyFailed(ScriptError):
    """SCRIPT-15: OP_CHECKSIGVERIFY was given an empty signature (a non-empty bad one is SCRIPT_NULLFAIL)."""

    code = "SCRIPT_CHECKSIGVERIFY_FAILED"


class ScriptNumberOverflow(ScriptError):
    """SCRIPT-14: a stack element read as a number is longer than 5 bytes."""

    code = "SCRIPT_NUMBER_OVERFLOW"


class ScriptNonMinimalNumber(ScriptError):
    """SCRIPT-14: a stack element read as a number is not the minimal encoding of its value."""

    code = "SCRIPT_NON_MINIMAL_NUMBER"


class ScriptSigEncoding(ScriptError):
    """SCRIPT-15: a signature compared by CHECKSIG or CHECKMULTISIG is neither empty nor 64 bytes."""

    code = "SCRIPT_SIG_ENCODING"


class ScriptPubkeyEncoding(ScriptError):
    """SCRIPT-15: a public key compared by CHECKSIG or CHECKMULTISIG is not 32 bytes."""

    code = "SCRIPT_PUBKEY_ENCODING"


class ScriptNullFail(ScriptError):
    """SCRIPT-15: a signature check failed although a signature given to it was not empty."""

    code = "SCRIPT_NULLFAIL"


class ScriptPubkeyCount(ScriptError):
    """SCRIPT-16: the key count of CHECKMULTISIG is negative or above max_pubkeys_per_multisig."""

    code = "SCRIPT_PUBKEY_COUNT"


class ScriptSigCount(ScriptError):
    """SCRIPT-16: the signature count of CHECKMULTISIG is negative or above its key count."""

    code = "SCRIPT_SIG_COUNT"


class ScriptNullDummy(ScriptError):
    """SCRIPT-16: the extra element CHECKMULTISIG pops (the Bitcoin dummy) is not empty."""

    code = "SCRIPT_NULLDUMMY"


class ScriptNegativeLocktime(ScriptError):
    """SCRIPT-17: the operand of CHECKLOCKTIMEVERIFY or CHECKSEQUENCEVERIFY is negative."""

    code = "SCRIPT_NEGATIVE_LOCKTIME"


class ScriptUnsatisfiedLocktime(ScriptError):
    """SCRIPT-17: the checker says the transaction's lock time does not satisfy the CLTV operand."""

    code = "SCRIPT_UNSATISFIED_LOCKTIME"


class ScriptUnsatisfiedSequence(ScriptError):
    """SCRIPT-17: the checker says the input's sequence does not satisfy the CSV operand."""

    code = "SCRIPT_UNSATISFIED_SEQUENCE"


class ScriptFalseResult(ScriptError):
    """SCRIPT-18: the stack is empty or its top is false when the script_pubkey has run."""

    code = "SCRIPT_FALSE_RESULT"


class ScriptCleanStack(ScriptError):
    """SCRIPT-18: more than one element is left on the stack when the script_pubkey has run."""

    code = "SCRIPT_CLEAN_STACK"


class ScriptBadTemplate(ScriptError):
    """SCRIPT-19: a script builder was given values no script has (a key hash not 32 bytes, bad counts)."""

    code = "SCRIPT_BAD_TEMPLATE"


# --------------------------------------------------------------------------------------------
# Masternodes: registration, the deterministic list, proof of service, quorums (spec/masternode/)
# --------------------------------------------------------------------------------------------


class MasternodeError(SpecError):
    """A masternode message or quorum rule (MN-*, QUORUM-*) rejected its input."""

    code = "MN_ERROR"


class DuplicateCollateral(MasternodeError):
    """MN-3: the registration's collateral outpoint already backs a registered masternode."""

    code = "MN_DUPLICATE_COLLATERAL"


class CollateralNotFound(MasternodeError):
    """MN-2: the collateral outpoint is not in the UTXO set (unknown, already spent, or spent by the
    registering transaction itself)."""

    code = "MN_COLLATERAL_NOT_FOUND"


class WrongCollateralAmount(MasternodeError):
    """MN-2: the collateral output is not worth exactly the preset's collateral."""

    code = "MN_WRONG_COLLATERAL_AMOUNT"


class WrongCollateralScript(MasternodeError):
    """MN-2: the collateral output is not the P2PKH script of the registration's owner key."""

    code = "MN_WRONG_COLLATERAL_SCRIPT"


class BadProofOfPossession(MasternodeError):
    """MN-1: the BLS proof of possession does not verify for the operator public key."""

    code = "MN_BAD_PROOF_OF_POSSESSION"


class BadRegistrationSignature(MasternodeError):
    """MN-1: the owner's Ed25519 signature over the registration hash does not verify."""

    code = "MN_BAD_SIGNATURE"


class DuplicateOperatorKey(MasternodeError):
    """MN-3: another registered masternode already uses this operator BLS public key."""

    code = "MN_DUPLICATE_OPERATOR_KEY"


class DuplicateNetworkAddress(MasternodeError):
    """MN-3: another registered masternode already uses this network address and port."""

    code = "MN_DUPLICATE_ADDRESS"


class BadNetworkAddress(MasternodeError):
    """MN-1: the network address is all zeros or the port is zero."""

    code = "MN_BAD_ADDRESS"


class BadPayoutScript(MasternodeError):
    """MN-1: the payout script is provably unspendable (OP_RETURN or does not parse)."""

    code = "MN_BAD_PAYOUT_SCRIPT"


class UnknownMasternode(MasternodeError):
    """MN-6: a proof-of-service penalty names a collateral outpoint that backs no masternode."""

    code = "MN_UNKNOWN_MASTERNODE"


class MasternodeNotActive(MasternodeError):
    """MN-6: a proof-of-service penalty names a masternode that is already banned."""

    code = "MN_NOT_ACTIVE"


class WrongPoSeQuorum(MasternodeError):
    """MN-6: a penalty is not signed by the PoSe quorum in charge at this height, or no key was given."""

    code = "MN_WRONG_POSE_QUORUM"


class DuplicatePenalty(MasternodeError):
    """MN-6: the same PoSe quorum already penalised this masternode."""

    code = "MN_DUPLICATE_PENALTY"


class BadPoSeSignature(MasternodeError):
    """MN-6: the penalty's threshold BLS signature does not verify under the PoSe quorum key."""

    code = "MN_BAD_POSE_SIGNATURE"


class QuorumTooSmall(MasternodeError):
    """QUORUM-2: fewer active masternodes than the preset's minimum quorum size."""

    code = "MN_QUORUM_TOO_SMALL"


class UnknownQuorum(MasternodeError):
    """FIN-5: a quorum commitment names a height at which no finality quorum was selected."""

    code = "MN_UNKNOWN_QUORUM"


class DuplicateCommitment(MasternodeError):
    """FIN-5: the quorum already has a commitment on chain."""

    code = "MN_DUPLICATE_COMMITMENT"


class CommitmentOutOfWindow(MasternodeError):
    """FIN-5: a quorum commitment before the quorum's FINALIZATION phase or after its term."""

    code = "MN_COMMITMENT_OUT_OF_WINDOW"


class WrongQuorumSession(MasternodeError):
    """FIN-5: a quorum commitment names another DKG session than the one the chain selected."""

    code = "MN_WRONG_QUORUM_SESSION"


class BadCommitmentSigners(MasternodeError):
    """FIN-5: commitment signers not strictly increasing members, or fewer than the threshold."""

    code = "MN_BAD_COMMITMENT_SIGNERS"


class BadCommitmentSignature(MasternodeError):
    """FIN-5: the signers' aggregate signature does not verify over the commitment."""

    code = "MN_BAD_COMMITMENT_SIGNATURE"


class EvidenceIdentical(MasternodeError):
    """SLASH-2: the two items of slashing evidence are the same (same block, or equal messages)."""

    code = "MN_EVIDENCE_IDENTICAL"


class EvidenceNotConflicting(MasternodeError):
    """SLASH-2: the two DKG messages are from different senders or for different slots."""

    code = "MN_EVIDENCE_NOT_CONFLICTING"


class EvidenceUnknownMember(MasternodeError):
    """SLASH-2: the accused member index is not a member of the quorum."""

    code = "MN_EVIDENCE_UNKNOWN_MEMBER"


class EvidenceOutOfTerm(MasternodeError):
    """SLASH-2: double-signing evidence for a height the quorum does not certify (FIN-2)."""

    code = "MN_EVIDENCE_OUT_OF_TERM"


class EvidenceBadKeyShare(MasternodeError):
    """SLASH-2: no committed key share root, or the key share proof does not lead to it."""

    code = "MN_EVIDENCE_BAD_KEY_SHARE"


class EvidenceBadSignature(MasternodeError):
    """SLASH-2: a signature of the evidence does not verify under the accused member's key."""

    code = "MN_EVIDENCE_BAD_SIGNATURE"


class SlashNoMasternode(MasternodeError):
    """SLASH-3: no registered masternode has the accused member's operator key."""

    code = "MN_SLASH_NO_MASTERNODE"


class AlreadySlashed(MasternodeError):
    """SLASH-5: the accused masternode was already slashed (its collateral is burnt)."""

    code = "MN_ALREADY_SLASHED"


class CollateralLocked(MasternodeError):
    """MN-8: the transaction spends the collateral of a registered masternode that has not unbonded
    (no unbond message or ban yet, or fewer than ``unbonding_blocks`` blocks since)."""

    code = "MN_COLLATERAL_LOCKED"


class PoSeChallengeOutOfTerm(MasternodeError):
    """POSE-5: a challenge names a PoSe quorum that is not in charge, or arrives after its deadline."""

    code = "POSE_CHALLENGE_OUT_OF_TERM"


class PoSeUnknownChallenger(MasternodeError):
    """POSE-5: the challenger index is not a member of the PoSe quorum (``1..n``)."""

    code = "POSE_UNKNOWN_CHALLENGER"


class PoSeNotChallenger(MasternodeError):
    """POSE-11: the challenger is a member of the PoSe quorum but not of the target's challenger subset."""

    code = "POSE_NOT_CHALLENGER"


class PoSeBadChallengeSignature(MasternodeError):
    """POSE-5: the challenge's BLS signature does not verify under the challenger's operator key."""

    code = "POSE_BAD_CHALLENGE_SIGNATURE"


class PoSeWrongChallenge(MasternodeError):
    """POSE-6: the response answers another challenge."""

    code = "POSE_WRONG_CHALLENGE"


class PoSeBadResponseSignature(MasternodeError):
    """POSE-6: the response's BLS signature does not verify under the target's operator key."""

    code = "POSE_BAD_RESPONSE_SIGNATURE"


class PoSeResponseLate(MasternodeError):
    """POSE-6: the response reached the challenger at or after the deadline height."""

    code = "POSE_RESPONSE_LATE"


class UnknownQuorumType(MasternodeError):
    """QUORUM-1: the quorum type is not one the protocol defines."""

    code = "MN_UNKNOWN_QUORUM_TYPE"


# --------------------------------------------------------------------------------------------
# Governance: proposals, votes, tallies, superblocks (spec/governance/)
# --------------------------------------------------------------------------------------------


class GovernanceError(SpecError):
    """A governance rule (GOV-*) rejected a proposal or a vote."""

    code = "GOV_ERROR"


class ProposalFeeTooLow(GovernanceError):
    """GOV-2: the output carrying the proposal burns less than the proposal fee."""

    code = "GOV_FEE_TOO_LOW"


class BadProposalName(GovernanceError):
    """GOV-1: the proposal name is empty or not printable ASCII."""

    code = "GOV_BAD_NAME"


class BadStartSuperblock(GovernanceError):
    """GOV-3: the start height is not a superblock height, or leaves less than the voting period."""

    code = "GOV_BAD_START_SUPERBLOCK"


class BadPayout(GovernanceError):
    """GOV-1: a treasury payout asks for zero or more than the money supply, or pays an unspendable script."""

    code = "GOV_BAD_PAYOUT"


class UnknownParameter(GovernanceError):
    """GOV-1: a parameter change names a parameter outside the preset's governable whitelist."""

    code = "GOV_UNKNOWN_PARAMETER"


class ParameterOutOfRange(GovernanceError):
    """GOV-1: a parameter change's new value lies outside the whitelisted range."""

    code = "GOV_PARAMETER_OUT_OF_RANGE"


class DuplicateProposal(GovernanceError):
    """GOV-2: a proposal with the same id (the same content) was already submitted."""

    code = "GOV_DUPLICATE_PROPOSAL"


class UnknownProposal(GovernanceError):
    """GOV-4: a vote names a proposal id that was never submitted."""

    code = "GOV_UNKNOWN_PROPOSAL"


class VotingClosed(GovernanceError):
    """GOV-4: a vote arrives after its proposal's superblock (the proposal is decided)."""

    code = "GOV_VOTING_CLOSED"


class NotAMasternode(GovernanceError):
    """GOV-4: the voter is not an active masternode."""

    code = "GOV_NOT_MASTERNODE"


class BadVoteSignature(GovernanceError):
    """GOV-4: the vote's BLS signature does not verify under the masternode's operator key."""

    code = "GOV_BAD_VOTE_SIGNATURE"


class StaleVote(GovernanceError):
    """GOV-4: the vote's revision is not above the revision of this masternode's recorded vote."""

    code = "GOV_STALE_VOTE"


# --------------------------------------------------------------------------------------------
# P2P wire protocol (spec/p2p/)
# --------------------------------------------------------------------------------------------


class P2PFrameError(DecodeError):
    """P2P-1: a byte string is not a well-formed frame (a decode error: ``except DecodeError`` catches it)."""

    code = "P2P_FRAME_ERROR"


class WrongMagic(P2PFrameError):
    """P2P-1: the frame does not start with this network's magic (another network, or lost framing)."""

    code = "P2P_WRONG_MAGIC"


class UnknownCommand(P2PFrameError):
    """P2P-1: the command byte names no message of this protocol version."""

    code = "P2P_UNKNOWN_COMMAND"


class MessageTooLarge(P2PFrameError):
    """P2P-1: the payload length in the prefix exceeds the preset's max_message_bytes."""

    code = "P2P_MESSAGE_TOO_LARGE"


class BadChecksum(P2PFrameError):
    """P2P-1: the checksum is not the first 4 bytes of H(P2P_MESSAGE, payload)."""

    code = "P2P_BAD_CHECKSUM"


class DifferentialIndexOverflow(DecodeError):
    """P2P-3: a differentially encoded index list reaches an index at or above its limit."""

    code = "P2P_INDEX_OVERFLOW"


class P2PError(SpecError):
    """A P2P rule (P2P-*) rejected a well-formed message or a request."""

    code = "P2P_ERROR"


class IncompatibleVersion(P2PError):
    """P2P-HS: the peer's protocol version is below the preset's min_protocol_version."""

    code = "P2P_INCOMPATIBLE_VERSION"


class SelfConnection(P2PError):
    """P2P-HS: the peer's Version nonce is the node's own (the node connected to itself)."""

    code = "P2P_SELF_CONNECTION"


class NoCommonBlock(P2PError):
    """P2P-LOC: no hash of the locator is on the best chain (an empty locator, or another genesis)."""

    code = "P2P_NO_COMMON_BLOCK"


class CompactBlockError(P2PError):
    """P2P-CMPCT: a compact block, a block transactions request or response does not fit its block."""

    code = "P2P_COMPACT_ERROR"


class CompactBadIndex(CompactBlockError):
    """P2P-CMPCT-2: prefilled indexes do not start at the coinbase (0) or reach past the last
    transaction, or a requested index is not one of the block's missing transactions."""

    code = "P2P_COMPACT_BAD_INDEX"


class CompactBlockTxnMismatch(CompactBlockError):
    """P2P-CMPCT-4: a BlockTxn names another block or carries a different number of transactions
    than were missing."""

    code = "P2P_COMPACT_BLOCKTXN_MISMATCH"


class CompactMerkleMismatch(CompactBlockError):
    """P2P-CMPCT-5: the reconstructed transactions or the votes do not match the header's roots (a
    short-id collision picked a wrong transaction; fetch the full block, the block is not invalid)."""

    code = "P2P_COMPACT_MERKLE_MISMATCH"


class InvalidNodeId(P2PError):
    """P2P-KAD-1: a node id has the wrong length, or is the table's own id where another is required."""

    code = "P2P_INVALID_NODE_ID"


class InvalidPeerId(DecodeError):
    """P2P-LP-3: a libp2p peer id is not the identity multihash of an Ed25519 public key protobuf,
    or its text is not canonical base58btc."""

    code = "P2P_INVALID_PEER_ID"


class UnknownTopic(P2PError):
    """P2P-LP-2: a gossipsub topic is not one of this network's topics (or is reserved: no payload yet)."""

    code = "P2P_UNKNOWN_TOPIC"


class BadOperatorRecordSignature(P2PError):
    """P2P-LP-6: an operator peer record's BLS signature does not verify under its operator key."""

    code = "P2P_OPERATOR_RECORD_SIGNATURE"


class InvalidRecordAddress(DecodeError):
    """P2P-LP-6: an operator peer record's address is not a ``/ip4/A.B.C.D/tcp/PORT``,
    ``/ip6/ADDRESS/tcp/PORT`` (RFC 5952 text, not IPv4-mapped) or ``/dns/NAME/tcp/PORT`` multiaddr in
    canonical text, or the addresses are not strictly ascending (none, or a repeated one, included)."""

    code = "P2P_INVALID_RECORD_ADDRESS"


class OperatorNotRegistered(P2PError):
    """P2P-LP-6: an operator peer record's operator key is not the key of an ACTIVE masternode of
    the receiver's masternode list."""

    code = "P2P_OPERATOR_NOT_REGISTERED"


class OperatorRecordKeyMismatch(P2PError):
    """P2P-LP-8: a DHT record key is not the operator-record key of the record it holds (or of no
    operator key at all)."""

    code = "P2P_OPERATOR_RECORD_KEY"


# --------------------------------------------------------------------------------------------
# Sidechain virtual machines (spec/vm/)
# --------------------------------------------------------------------------------------------


class VmError(SpecError):
    """A sidechain transaction or state witness is invalid (VM-2..VM-4, docs/vm.md)."""

    code = "VM_ERROR"


class WitnessIncomplete(VmError):
    """VM-2: execution read a hash that the node source does not hold."""

    code = "VM_WITNESS_INCOMPLETE"


class WitnessNotCanonical(VmError):
    """VM-4: a witness's preimages are not sorted by hash or are repeated."""

    code = "VM_WITNESS_NOT_CANONICAL"


class DisputeError(SpecError):
    """A sidechain dispute move, fraud proof or outcome is invalid (SC-DSP-1..13, docs/disputes.md)."""

    code = "DSP_ERROR"


class DisputeEmptyTrace(DisputeError):
    """SC-DSP-5: a block without transactions has no transaction to prove: the one-step proof of
    its credit step carries one (or a transaction proof)."""

    code = "DSP_EMPTY_TRACE"


class DisputeNoDisagreement(DisputeError):
    """SC-DSP-2: the challenger's final root equals the checkpoint's state root."""

    code = "DSP_NO_DISAGREEMENT"


class DisputeBondTooSmall(DisputeError):
    """SC-DSP-2: the challenger's bond is below the preset's minimum."""

    code = "DSP_BOND_TOO_SMALL"


class DisputeGameOver(DisputeError):
    """SC-DSP-3: a move or timeout claim in a game that has ended."""

    code = "DSP_GAME_OVER"


class DisputeWrongTurn(DisputeError):
    """SC-DSP-3: a move by the party that is not to move, or of the wrong kind for the game's stage."""

    code = "DSP_WRONG_TURN"


class DisputeLateMove(DisputeError):
    """SC-DSP-4: a move after the mover's deadline (or before the previous move)."""

    code = "DSP_LATE_MOVE"


class DisputeNotExpired(DisputeError):
    """SC-DSP-4: a timeout claimed before the deadline of the party to move."""

    code = "DSP_NOT_EXPIRED"


class DisputeBisectionPoint(DisputeError):
    """SC-DSP-3: the bisection point is not the midpoint of the disputed interval."""

    code = "DSP_BISECTION_POINT"


class DisputeProofInvalid(DisputeError):
    """SC-DSP-3, SC-DSP-5: a claimed root or transaction is not proven against its Merkle root."""

    code = "DSP_PROOF_INVALID"


class DisputeWitnessRootMismatch(DisputeError):
    """SC-DSP-5: the one-step witness holds no node hashing to the agreed pre-state root."""

    code = "DSP_WITNESS_ROOT_MISMATCH"


class DisputeUnknownVm(DisputeError):
    """SC-DSP-5: no one-step executor for the sidechain's VM kind."""

    code = "DSP_UNKNOWN_VM"


class DisputeNotFraud(DisputeError):
    """SC-DSP-8, SC-DSP-9, SC-DSP-21: a non-interactive fraud proof that proves no fraud."""

    code = "DSP_NOT_FRAUD"


class DisputeWindowClosed(DisputeError):
    """SC-DSP-11, SC-DSP-21: a game opened (or a credits proof posted) before the checkpoint was
    posted or after its challenge period."""

    code = "DSP_WINDOW_CLOSED"


class DisputeHeaderMismatch(DisputeError):
    """SC-DSP-14, SC-DSP-21: a dispute opening's (or a credits proof's) header, or its parent's, is
    not the accepted checkpoint's."""

    code = "DSP_HEADER_MISMATCH"


class DisputeOpeningMismatch(DisputeError):
    """SC-DSP-2: an opening's ``tx_count`` or credits are not those the header commits to."""

    code = "DSP_OPENING_MISMATCH"


class DisputeUnknownGame(DisputeError):
    """SC-DSP-15, SC-DSP-18: a move or bond claim names no open game (or no unpaid bond)."""

    code = "DSP_UNKNOWN_GAME"


class DisputeInputsMismatch(DisputeError):
    """SC-DSP-21: a credits proof's inputs are not those the sidechain's input accumulator holds for
    the checkpoint's cursor range (another number of them, or another list)."""

    code = "DSP_INPUTS_MISMATCH"


class EvmError(VmError):
    """An EVM sidechain transaction is invalid (EVM-2, EVM-3, EVM-5, EVM-7; docs/vm.md#evm)."""

    code = "VM_EVM_ERROR"


class EvmTxDecode(EvmError):
    """EVM-2: not one canonical legacy or typed Ethereum transaction."""

    code = "VM_EVM_TX_DECODE"


class EvmTxType(EvmError):
    """EVM-2: a known transaction type this chain does not accept (blob transactions on a sidechain)."""

    code = "VM_EVM_TX_TYPE"


class EvmBadSignature(EvmError):
    """EVM-3: r, s or v out of range (s in the upper half), or no key recovers from the signature."""

    code = "VM_EVM_BAD_SIGNATURE"


class EvmChainId(EvmError):
    """EVM-3: the transaction's chain id is not this chain's (or it has none where one is required)."""

    code = "VM_EVM_CHAIN_ID"


class EvmGasLimit(EvmError):
    """EVM-3: the transaction's gas limit is above the block's."""

    code = "VM_EVM_GAS_LIMIT"


class EvmIntrinsicGas(EvmError):
    """EVM-3: the gas limit does not cover the intrinsic gas."""

    code = "VM_EVM_INTRINSIC_GAS"


class EvmInitcodeSize(EvmError):
    """EVM-3: a creation transaction's initcode is above 49,152 bytes (EIP-3860)."""

    code = "VM_EVM_INITCODE_SIZE"


class EvmNonce(EvmError):
    """EVM-3: the nonce is not the sender's, or the sender's nonce is at its maximum."""

    code = "VM_EVM_NONCE"


class EvmSenderNotEoa(EvmError):
    """EVM-3: the sender's account has code (EIP-3607)."""

    code = "VM_EVM_SENDER_NOT_EOA"


class EvmFeeCap(EvmError):
    """EVM-3: the fee cap is below the base fee or the priority fee (or a blob fee rule fails)."""

    code = "VM_EVM_FEE_CAP"


class EvmInsufficientFunds(EvmError):
    """EVM-3: the balance does not cover gas limit x fee cap + value."""

    code = "VM_EVM_INSUFFICIENT_FUNDS"


class EvmAddressError(EvmError):
    """EVM-5, EVM-7: a fee recipient or deposit recipient that is not a 20-byte address."""

    code = "VM_EVM_ADDRESS"


class FerrisTxTooLarge(VmError):
    """VMF-2: a FerrisScript sidechain transaction is longer than ``vm_ferris.max_transaction_bytes``."""

    code = "VM_FERRIS_TX_TOO_LARGE"


class FerrisBadKind(VmError):
    """VMF-2: a FerrisScript sidechain transaction names no known kind (transfer, withdraw, message)."""

    code = "VM_FERRIS_BAD_KIND"


class FerrisWrongChain(VmError):
    """VMF-3: a transaction signed for another sidechain (its ``chain_id`` is not the executing one)."""

    code = "VM_FERRIS_WRONG_CHAIN"


class FerrisBadTarget(VmError):
    """VMF-3: ``target_chain`` is not 0 on a transfer or withdrawal, or is 0 or the own chain on a message."""

    code = "VM_FERRIS_BAD_TARGET"


class FerrisBadRecipient(VmError):
    """VMF-3: a transfer's recipient is not a 32-byte account id, or a withdrawal's or message's is empty."""

    code = "VM_FERRIS_BAD_RECIPIENT"


class FerrisBadPayload(VmError):
    """VMF-3: a payload on a transfer or withdrawal, or a message payload above ``max_payload_bytes``."""

    code = "VM_FERRIS_BAD_PAYLOAD"


class FerrisBadAmount(VmError):
    """VMF-3: an amount or fee above ``max_money``, or a withdrawal or message of nothing."""

    code = "VM_FERRIS_BAD_AMOUNT"


class FerrisGasLimit(VmError):
    """VMF-4: a transaction needs more gas than its block has left (``ExecutionContext.gas_limit``)."""

    code = "VM_FERRIS_GAS_LIMIT"


class FerrisFeeTooLow(VmError):
    """VMF-4: the fee is below ``gas_used * min_gas_price``."""

    code = "VM_FERRIS_FEE_TOO_LOW"


class FerrisUnauthorized(VmError):
    """VMF-5: the unlocking script does not unlock the sender's locking script (any SCRIPT-* failure)."""

    code = "VM_FERRIS_UNAUTHORIZED"


class FerrisBadNonce(VmError):
    """VMF-6: the transaction's nonce is not the sender account's next nonce."""

    code = "VM_FERRIS_BAD_NONCE"


class FerrisCannotPayFee(VmError):
    """VMF-6: the sender's balance is below the fee."""

    code = "VM_FERRIS_CANNOT_PAY_FEE"


# --------------------------------------------------------------------------------------------
# Sidechain blocks (spec/sidechain/chain.py)
# --------------------------------------------------------------------------------------------


class SidechainBlockError(SpecError):
    """A sidechain block breaks its transition rules (SCB-*, docs/sidechain-blocks.md)."""

    code = "SCB_ERROR"


class ScbWrongSidechain(SidechainBlockError):
    """SCB-1: the header names another sidechain."""

    code = "SCB_WRONG_SIDECHAIN"


class ScbBadHeight(SidechainBlockError):
    """SCB-1: the height is not the parent's plus one."""

    code = "SCB_BAD_HEIGHT"


class ScbBadParent(SidechainBlockError):
    """SCB-1: ``parent`` is not the parent header's hash (SC-HDR-2)."""

    code = "SCB_BAD_PARENT"


class ScbTimestamp(SidechainBlockError):
    """SCB-1: the timestamp is before the parent's."""

    code = "SCB_TIMESTAMP"


class ScbCursorBackwards(SidechainBlockError):
    """SCB-2: ``deposit_cursor`` is below the parent's."""

    code = "SCB_CURSOR_BACKWARDS"


class ScbCursorAhead(SidechainBlockError):
    """SCB-2: ``deposit_cursor`` is above the mainchain tip minus the peg-in depth."""

    code = "SCB_CURSOR_AHEAD"


class ScbDuplicateInput(SidechainBlockError):
    """SCB-2: two mainchain inputs of one kind share ``(mainchain_height, position)``."""

    code = "SCB_DUPLICATE_INPUT"


class ScbUnknownVm(SidechainBlockError):
    """SCB-3: the sidechain's VM kind has no execution module yet."""

    code = "SCB_UNKNOWN_VM"


class ScbGasLimit(SidechainBlockError):
    """SCB-3: the block's transactions together need more than the block gas limit."""

    code = "SCB_GAS_LIMIT"


class ScbTxRootMismatch(SidechainBlockError):
    """SCB-4: ``tx_root`` is not the Merkle root of the block's transactions."""

    code = "SCB_TX_ROOT_MISMATCH"


class ScbTxCountMismatch(SidechainBlockError):
    """SCB-4: ``tx_count`` is not the number of the block's transactions."""

    code = "SCB_TX_COUNT_MISMATCH"


class ScbStateRootMismatch(SidechainBlockError):
    """SCB-4: ``state_root`` is not the state root after the block."""

    code = "SCB_STATE_ROOT_MISMATCH"


class ScbTraceRootMismatch(SidechainBlockError):
    """SCB-4: ``trace_root`` is not the Merkle root of the post-state roots of the transactions."""

    code = "SCB_TRACE_ROOT_MISMATCH"


class ScbCreditsRootMismatch(SidechainBlockError):
    """SCB-4: ``credits_root`` is not the Merkle root of the block's encoded credits."""

    code = "SCB_CREDITS_ROOT_MISMATCH"


class ScbOutboxRootMismatch(SidechainBlockError):
    """SCB-4: ``outbox_root`` is not the Merkle root of the block's encoded outbox entries."""

    code = "SCB_OUTBOX_ROOT_MISMATCH"


# --------------------------------------------------------------------------------------------
# The WASM sidechain VM (spec/vm/wasm.py, rules VMW-*)
# --------------------------------------------------------------------------------------------


class WasmModuleError(VmError):
    """VMW-4: a deployed WebAssembly module is rejected at deploy time."""

    code = "VM_WASM_MODULE"


class WasmInvalidModule(WasmModuleError):
    """VMW-4a: the bytes are not a valid module under the deterministic feature set (no SIMD, no threads)."""

    code = "VM_WASM_INVALID_MODULE"


class WasmCodeTooLarge(WasmModuleError):
    """VMW-4a: the module is longer than ``vm_wasm.max_code_bytes``."""

    code = "VM_WASM_CODE_TOO_LARGE"


class WasmStartFunction(WasmModuleError):
    """VMW-4b: the module has a start section (code that would run outside a metered entry point)."""

    code = "VM_WASM_START_FUNCTION"


class WasmForbiddenImport(WasmModuleError):
    """VMW-4c: an import that is not a host API function with its exact signature."""

    code = "VM_WASM_FORBIDDEN_IMPORT"


class WasmMemoryBound(WasmModuleError):
    """VMW-4d: more than one memory, an imported memory, or a memory above ``vm_wasm.max_memory_pages``."""

    code = "VM_WASM_MEMORY_BOUND"


class WasmTableBound(WasmModuleError):
    """VMW-4d: a table above ``vm_wasm.max_table_elements`` elements."""

    code = "VM_WASM_TABLE_BOUND"


class WasmMissingExport(WasmModuleError):
    """VMW-4e: no exported memory ``memory`` or no exported ``call: [] -> []`` (or a badly typed ``init``)."""

    code = "VM_WASM_MISSING_EXPORT"


class WasmTransactionError(VmError):
    """VMW-2/VMW-3: a WASM sidechain transaction is invalid and cannot be included."""

    code = "VM_WASM_TRANSACTION"


class WasmMalformedTransaction(WasmTransactionError):
    """VMW-2: a decodable transaction whose fields do not fit its kind (destination, amounts, data)."""

    code = "VM_WASM_MALFORMED_TRANSACTION"


class WasmBadSignature(WasmTransactionError):
    """VMW-3a: the Ed25519 signature does not verify under the sender key."""

    code = "VM_WASM_BAD_SIGNATURE"


class WasmBadNonce(WasmTransactionError):
    """VMW-3b: the nonce is not the sender account's nonce."""

    code = "VM_WASM_BAD_NONCE"


class WasmFuelLimit(WasmTransactionError):
    """VMW-3c: the fuel limit is below the intrinsic fuel or above the block's gas limit."""

    code = "VM_WASM_FUEL_LIMIT"


class WasmInsufficientFunds(WasmTransactionError):
    """VMW-3d: the sender cannot pay ``value + fuel_limit * fuel_price``."""

    code = "VM_WASM_INSUFFICIENT_FUNDS"


class WasmNotAContract(WasmTransactionError):
    """VMW-3e: a call to an account that holds no code."""

    code = "VM_WASM_NOT_A_CONTRACT"


# --------------------------------------------------------------------------------------------
# Sidechains on the mainchain: registry, checkpoints, peg, messages (spec/sidechain/, fork 3)
# --------------------------------------------------------------------------------------------


class SidechainError(SpecError):
    """A sidechain registration, checkpoint, peg or message is invalid (SC-*, docs/sidechains.md)."""

    code = "SC_ERROR"


class SidechainBadSpec(SidechainError):
    """SC-REG-1: a sidechain proposal names an id, VM kind, quorum type, period or limit out of range."""

    code = "SC_BAD_SPEC"


class SidechainDuplicate(SidechainError):
    """SC-REG-2: a sidechain with this id is already registered (or proposed twice at one superblock)."""

    code = "SC_DUPLICATE_SIDECHAIN"


class SidechainUnknown(SidechainError):
    """SC-TX-2: a deposit, checkpoint, claim or relay names a sidechain that is not registered and active."""

    code = "SC_UNKNOWN_SIDECHAIN"


class SidechainBadMessageOutput(SidechainError):
    """SC-TX-1: a sidechain message output that is not a deposit carries value, or a deposit carries none."""

    code = "SC_BAD_MESSAGE_OUTPUT"


class CheckpointHeight(SidechainError):
    """SC-CP-1: a checkpoint's height is not the previous checkpoint's height + 1 (0 for the first)."""

    code = "SC_CHECKPOINT_HEIGHT"


class CheckpointParent(SidechainError):
    """SC-CP-2: a checkpoint's parent is not the previous checkpoint's header hash."""

    code = "SC_CHECKPOINT_PARENT"


class CheckpointCursorRegressed(SidechainError):
    """SC-CP-3: a checkpoint's deposit cursor is below the previous checkpoint's."""

    code = "SC_CURSOR_REGRESSED"


class CheckpointCursorTooRecent(SidechainError):
    """SC-CP-3: a checkpoint's deposit cursor is above the mainchain height minus the peg-in depth."""

    code = "SC_CURSOR_TOO_RECENT"


class CheckpointCursorBeforeRefund(SidechainError):
    """SC-CP-7: a checkpoint's cursor takes a refunded message's slot before its refund (SC-HDR-6)."""

    code = "SC_CURSOR_BEFORE_REFUND"


class CheckpointRangeTooLarge(SidechainError):
    """SC-CP-8: a checkpoint's cursor range holds more inputs than one credits proof may list
    (``dispute.max_opening_credits``, SC-DSP-21)."""

    code = "SC_CURSOR_RANGE_TOO_LARGE"


class FederationKeyMissing(SidechainError):
    """SC-CP-4: the chain holds no committed group key for the sidechain's federation quorum type."""

    code = "SC_NO_FEDERATION_KEY"


class CheckpointBadSignature(SidechainError):
    """SC-CP-4: the checkpoint signature does not verify under the federation's committed key."""

    code = "SC_BAD_CHECKPOINT_SIGNATURE"


class NotEquivocation(SidechainError):
    """SC-CP-5: two checkpoints are no equivocation evidence (see check_equivocation)."""

    code = "SC_NOT_EQUIVOCATION"


class UnknownCheckpoint(SidechainError):
    """SC-PEG-3: a claim or relay names a checkpoint height the mainchain has not accepted."""

    code = "SC_UNKNOWN_CHECKPOINT"


class ChallengePeriod(SidechainError):
    """SC-PEG-3: the checkpoint's challenge period has not passed."""

    code = "SC_CHALLENGE_PERIOD"


class CheckpointUnderDispute(SidechainError):
    """SC-DSP-19: a claim or relay against a checkpoint an open dispute game could still revert."""

    code = "SC_UNDER_DISPUTE"


class WrongEntryKind(SidechainError):
    """SC-PEG-3 / SC-MSG-1: the proven outbox entry is not of the kind (and target) the transaction needs."""

    code = "SC_WRONG_ENTRY_KIND"


class WithdrawalSpent(SidechainError):
    """SC-PEG-4: the withdrawal was already paid (the spent-withdrawal set holds it)."""

    code = "SC_WITHDRAWAL_SPENT"


class WithdrawalLimit(SidechainError):
    """SC-PEG-3: the withdrawal exceeds the sidechain's ``max_withdrawal``."""

    code = "SC_WITHDRAWAL_LIMIT"


class EscrowUnderflow(SidechainError):
    """SC-PEG-5: paying the amount would take the sidechain's escrow below zero."""

    code = "SC_ESCROW_UNDERFLOW"


class EscrowLimit(SidechainError):
    """SC-PEG-1 / SC-MSG-1: crediting the amount would take the escrow above ``max_escrow``."""

    code = "SC_ESCROW_LIMIT"


class BadPegPayout(SidechainError):
    """SC-PEG-4: the output after a withdrawal claim does not pay exactly the amount to the recipient."""

    code = "SC_BAD_PAYOUT"


class BadMessageDestination(SidechainError):
    """SC-MSG-1: a message targets the mainchain, its own sidechain or an unknown one."""

    code = "SC_BAD_DESTINATION"


class MessageDelivered(SidechainError):
    """SC-MSG-2: the message was already relayed (the delivered-message set holds it)."""

    code = "SC_MESSAGE_DELIVERED"


class MessageNotPending(SidechainError):
    """SC-MSG-4: a refund names a message that is not pending (never relayed, acknowledged or refunded)."""

    code = "SC_MESSAGE_NOT_PENDING"


class MessageAcknowledged(SidechainError):
    """SC-MSG-3: a refund names a message a standing checkpoint of its destination acknowledges, held
    until that checkpoint is settled (matured, and no open dispute game could revert it)."""

    code = "SC_MESSAGE_ACKNOWLEDGED"


class MessageNotTimedOut(SidechainError):
    """SC-MSG-4: a refund before the destination's message timeout has passed."""

    code = "SC_MESSAGE_NOT_TIMED_OUT"


class RefundRangeTooLarge(SidechainError):
    """SC-MSG-6: a refund whose void would leave the destination's next cursor range above the
    bound of SC-CP-8 (its inputs since its latest cursor are above ``max_opening_credits -
    max_block_inputs``)."""

    code = "SC_REFUND_RANGE_TOO_LARGE"


class TooManyBlockInputs(SidechainError):
    """SC-BLK-7: a mainchain block hands one sidechain more than ``sidechains.max_block_inputs``
    inputs (deposits, relays, bounces)."""

    code = "SC_TOO_MANY_INPUTS"


def _all_subclasses(cls: type[SpecError]) -> list[type[SpecError]]:
    found: list[type[SpecError]] = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


def error_classes() -> dict[str, type[SpecError]]:
    """Map every stable error code to its class (the registry that docs and vectors are checked against)."""
    return {c.code: c for c in _all_subclasses(SpecError)}


ALL_ERROR_CODES: frozenset[str] = frozenset(error_classes())
"""Every error code defined so far. Module-level constant: computed once at import."""

RETIRED_ERROR_CODES: frozenset[str] = frozenset({"DECODE_NONCANONICAL_ORDER"})
"""Codes that were defined and are no longer raised by any rule: never to be reused.

``DECODE_NONCANONICAL_ORDER`` (a sorted collection out of order) had no decoder that raised it;
sorted collections are checked by their own rules (``SNAPSHOT_ORDER``, ...).
"""

NON_VECTOR_ERROR_CODES: dict[str, str] = {
    "BLS_UNKNOWN_BACKEND": "chooses a local cryptography backend by name; no protocol input names one",
    "PRESET_UNKNOWN": "a preset name outside the vector set; vectors name only existing presets",
    "SCB_UNKNOWN_VM": (
        "every VmKind (FerrisScript, EVM, WASM) has an execution module in vm_table, and SC-REG-1 "
        "registers only those kinds, so no sidechain a vector can name lacks one"
    ),
    "TRIE_KEY_BAD_NIBBLES": (
        "argument check of the nibble helpers (nibbles_to_bytes, hex_prefix_encode); every path "
        "that protocol input reaches is made of whole key bytes, so no input can raise it"
    ),
}
"""Leaf codes that no conformance vector can carry, each with the reason.

Every other leaf code (a code whose class has no subclasses) appears in at least one vector, as
an invalid case's ``error`` or inside an output (a mempool verdict, a DKG rejection);
``tests/test_conformance_framework.py`` enforces both directions.
"""
