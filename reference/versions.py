"""``--version`` text of ``rusty`` and ``rusty-spec``: the suite and the protocol versions."""

from __future__ import annotations

from importlib import metadata

from spec.presets import PRESET_NAMES, get_preset

PACKAGE = "rusty-coin-spec"


def suite_version() -> str:
    """The installed ``rusty-coin-spec`` version (the suite's and the conformance vectors')."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:  # pragma: no cover - a bare checkout, not installed
        return "0.0.0"


def version_text(program: str, *extra: str) -> str:
    """``PROGRAM VERSION``, then the suite and each preset's P2P protocol version (P2P-HS), then ``extra``."""
    networks = [(name, get_preset(name).network) for name in PRESET_NAMES]
    protocols = ", ".join(f"{n} {p.protocol_version} (min {p.min_protocol_version})" for n, p in networks)
    lines = [
        f"{program} {suite_version()}",
        f"suite: {PACKAGE} {suite_version()}",
        f"P2P protocol: {protocols}",
    ]
    return "\n".join([*lines, *extra])
