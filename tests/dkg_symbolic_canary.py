"""Deliberately wrong contracts that ``tests/test_dkg_symbolic.py`` expects CrossHair to refute.

``inclusive_phase_lookup`` compares heights with ``<=`` (each phase one block too long, so the
session never ends on time); ``floored_threshold`` computes ``2n // 3`` instead of ``ceil(2n / 3)``.
``zero_ephemeral`` reduces an ephemeral digest mod ``r`` (zero is possible, and ``0 * pk`` would
make the share key public). If CrossHair stops finding these, the DKG symbolic check has become vacuous.
"""

from __future__ import annotations


def inclusive_phase_lookup(start: int, height: int, contribution: int, complaint: int) -> int | None:
    """Claims the two-phase windows end at ``start + contribution + complaint`` (false: off by one).

    pre: 0 <= start <= 2**40
    pre: 0 <= height <= 2**41
    pre: 1 <= contribution <= 1000 and 1 <= complaint <= 1000
    post: (__return__ is None) == (height < start or height >= start + contribution + complaint)
    """
    if height < start:
        return None
    offset = height - start
    for phase, length in enumerate((contribution, complaint)):
        if offset <= length:
            return phase
        offset -= length
    return None


def floored_threshold(members: int) -> int:
    """Claims ``2n // 3`` reaches two thirds of the members (false whenever 3 does not divide 2n).

    pre: 1 <= members <= 2**16
    post: 3 * __return__ >= 2 * members
    """
    return 2 * members // 3


def zero_ephemeral(digest: int) -> int:
    """Claims ``digest mod r`` is a usable ephemeral scalar (false: ``r`` itself reduces to zero).

    pre: 0 <= digest < 2**512
    post: __return__ >= 1
    """
    return digest % 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
