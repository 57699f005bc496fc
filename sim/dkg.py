"""DKG completion with byzantine members, on the spec's DKG (DKG-1..8) and signing (SIGN-1..4).

For a quorum of ``n`` members with threshold ``t = quorum_threshold(n)`` (QUORUM-3) and ``f`` byzantine
dealers for ``f = 0 .. n - t + 1``, the session runs through its phases with real BLS keys
and real encrypted shares (``conformance.dkgbuilder`` drives ``spec.masternode.dkg`` as honest
members would: complain about every bad share, answer every complaint truthfully). Byzantine
dealers take turns at the three faults the spec handles: staying silent (``missing``), sending a
victim a bad share and not answering the complaint (``bad_share``), and dealing two polynomials
(``equivocation``). Each run reports whether ``finalize`` produced a key, who was excluded and
why, and whether ``t`` honest members' signature shares make a finality certificate that
``verify_finality_certificate`` accepts under the group key. With ``f <= n - t`` it must succeed;
with ``f = n - t + 1`` too few qualified dealers remain and it must fail (``DKG_FAILED``).

The wall time of each run is not in the report (it is not deterministic); the DKG's simulated
duration is the preset's phase lengths: ``dkg_length`` blocks of ``target_block_seconds``.
"""

from __future__ import annotations

from typing import Any

from conformance import dkgbuilder
from sim.scenario import Scenario
from spec.chain.forkchoice import verify_finality_certificate
from spec.errors import SpecError
from spec.masternode import dkg
from spec.masternode.finality import dkg_length
from spec.masternode.quorum import quorum_threshold
from spec.presets import get_preset

BEHAVIOURS = ("missing", "bad_share", "equivocation")


def _run(n: int, byzantine: int, label: str) -> dict[str, Any]:
    preset = get_preset("mainnet")
    t = quorum_threshold(n)
    quorum = dkgbuilder.make_quorum(label, n, t, preset)
    behaviour = {dealer: BEHAVIOURS[i % 3] for i, dealer in enumerate(range(n - byzantine + 1, n + 1))}
    honest = [j for j in range(1, n + 1) if j not in behaviour]
    messages: list[dkg.Contribution] = []
    for dealer in range(1, n + 1):
        kind = behaviour.get(dealer)
        if kind is None:
            messages.append(dkgbuilder.contribution(quorum, dealer))
        elif kind == "bad_share":
            messages.append(dkgbuilder.tampered(quorum, dealer, [honest[dealer % len(honest)]]))
        elif kind == "equivocation":
            messages += [dkgbuilder.contribution(quorum, dealer), dkgbuilder.contribution(quorum, dealer, 1)]
    state = dkgbuilder.run_session(quorum, messages, complainers=honest, justifiers=honest)
    out: dict[str, Any] = {"members": n, "threshold": t, "byzantine": byzantine}
    try:
        result = dkg.finalize(state)
    except SpecError as exc:
        out.update(completed=False, error=exc.code)
        return out
    excluded: dict[str, int] = {}
    for _, reason in result.excluded:
        excluded[reason.name] = excluded.get(reason.name, 0) + 1
    # Finished holds the honest members' secret key shares (each Share keeps its member index);
    # certify's signers are positions in that tuple: the first t honest members sign.
    honest_shares = tuple(dkg.member_secret_share(state, result, j, quorum.secrets[j - 1]) for j in honest)
    finished = dkgbuilder.Finished(quorum, result, honest_shares)
    certificate = dkgbuilder.certify(finished, 1000, bytes(32), range(1, t + 1))
    certified = verify_finality_certificate(certificate, result.group_public_key)
    out.update(
        completed=True,
        qualified=len(result.qualified),
        excluded=excluded,
        qualified_are_the_honest=list(result.qualified) == honest,
        certificate_of_t_honest_members_verifies=certified,
    )
    return out


def simulate_dkg(scenario: Scenario, seed: int) -> dict[str, Any]:
    """The report of a ``dkg`` scenario (``[dkg] members``: quorum sizes to run)."""
    settings = scenario.extra.get("dkg", {})
    sizes = [int(x) for x in settings.get("members", [10])]
    preset = get_preset(scenario.preset)
    runs: list[dict[str, Any]] = []
    for n in sizes:
        t = quorum_threshold(n)
        counts = sorted({0, 1, (n - t) // 2, n - t, n - t + 1})
        runs.extend(_run(n, f, f"sim/{scenario.name}/{seed}/{n}/{f}") for f in counts)
    return {
        "scenario": scenario.name,
        "seed": seed,
        "dkg_blocks": dkg_length(preset),
        "dkg_minutes": round(dkg_length(preset) * preset.chain.target_block_seconds / 60, 1),
        "runs": runs,
    }
