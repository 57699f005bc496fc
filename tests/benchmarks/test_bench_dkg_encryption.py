"""Benchmark of DKG share encryption (DKG-11) per share, against the bare library calls it is made of.

A dealer encrypts each share with two G1 scalar multiplications (``R = e * g1``, ``S = e * pk_j``),
one BLAKE3 key derivation and one ChaCha20-Poly1305 encryption (libsodium via PyNaCl); a recipient
decrypts with one subgroup check of ``R``, one multiplication ``S = sk_j * R``, the key derivation
and one AEAD decryption. The floors are exactly those bare calls (the arkworks backend's
``g1_linear_combination`` and ``g1_status``, and ``crypto_aead_chacha20poly1305_ietf_*``), so the
ratio is the cost of the spec's own code around them; the bare AEAD call alone is measured too, to
show that the group operations are the whole cost.
"""

from __future__ import annotations

from functools import cache

import nacl.bindings
from pytest_benchmark.fixture import BenchmarkFixture

from conformance.dkgbuilder import make_quorum
from spec.crypto import bls
from spec.crypto.bls import G1_GENERATOR
from spec.masternode import share_encryption
from spec.presets import MAINNET

SHARE = (123456789).to_bytes(32, "big")
KEY = bytes(range(32))


@cache
def _setup() -> tuple[bytes, bytes, int, int, bytes]:
    """Context, recipient key, recipient secret, ephemeral scalar and a genuine ciphertext."""
    quorum = make_quorum("bench-encryption", 5, 3, MAINNET)
    context = share_encryption.share_context(quorum.session.session_id, 1, 2)
    ephemeral = share_encryption.share_ephemeral(b"\x01" * 32, 2)
    ciphertext = share_encryption.encrypt_share(context, quorum.publics[1], SHARE, ephemeral)
    return context, quorum.publics[1], bls.decode_secret_key(quorum.secrets[1]), ephemeral, ciphertext


def test_bench_share_aead_floor(benchmark: BenchmarkFixture) -> None:
    """The bare ChaCha20-Poly1305 encryption of one 32-byte share (libsodium)."""
    sealed = benchmark(
        nacl.bindings.crypto_aead_chacha20poly1305_ietf_encrypt, SHARE, None, share_encryption.NONCE, KEY
    )
    assert len(sealed) == 48


def test_bench_share_encrypt_floor(benchmark: BenchmarkFixture) -> None:
    """Bare calls of one encryption: two G1 multiplications and the AEAD encryption."""
    _, key, _, ephemeral, _ = _setup()
    backend = bls.active_backend()

    def bare() -> bytes:
        point = backend.g1_linear_combination((G1_GENERATOR,), (ephemeral,))
        backend.g1_linear_combination((key,), (ephemeral,))
        sealed: bytes = nacl.bindings.crypto_aead_chacha20poly1305_ietf_encrypt(
            SHARE, None, share_encryption.NONCE, KEY
        )
        return point + sealed

    assert len(benchmark(bare)) == share_encryption.CIPHERTEXT_LENGTH


def test_bench_share_encrypt(benchmark: BenchmarkFixture) -> None:
    """DKG-11 ``encrypt_share`` of one share."""
    context, key, _, ephemeral, ciphertext = _setup()
    benchmark.extra_info["floor"] = "test_bench_share_encrypt_floor"
    assert benchmark(share_encryption.encrypt_share, context, key, SHARE, ephemeral) == ciphertext


def test_bench_share_decrypt_floor(benchmark: BenchmarkFixture) -> None:
    """Bare calls of one decryption: the subgroup check of ``R``, one multiplication, the AEAD opening."""
    _, _, secret, _, ciphertext = _setup()
    backend = bls.active_backend()
    body = nacl.bindings.crypto_aead_chacha20poly1305_ietf_encrypt(SHARE, None, share_encryption.NONCE, KEY)

    def bare() -> bytes:
        backend.g1_status(ciphertext[:48])
        backend.g1_linear_combination((ciphertext[:48],), (secret,))
        plain: bytes = nacl.bindings.crypto_aead_chacha20poly1305_ietf_decrypt(
            body, None, share_encryption.NONCE, KEY
        )
        return plain

    assert benchmark(bare) == SHARE


def test_bench_share_decrypt(benchmark: BenchmarkFixture) -> None:
    """DKG-11 ``decrypt_share`` of one share by its recipient."""
    context, key, secret, _, ciphertext = _setup()
    benchmark.extra_info["floor"] = "test_bench_share_decrypt_floor"
    value = benchmark(share_encryption.decrypt_share, context, key, secret, ciphertext)
    assert value.to_bytes(32, "big") == SHARE


def test_bench_share_open(benchmark: BenchmarkFixture) -> None:
    """DKG-12 public opening of one ciphertext from its revealed ephemeral key (two multiplications)."""
    context, key, _, ephemeral, ciphertext = _setup()
    benchmark.extra_info["floor"] = "test_bench_share_encrypt_floor"
    value = benchmark(share_encryption.open_with_ephemeral, context, key, ciphertext, ephemeral)
    assert value.to_bytes(32, "big") == SHARE
