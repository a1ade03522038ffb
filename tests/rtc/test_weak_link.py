"""Issue 12: on a 1 Mbit/s link (512 kbit/s up, 150 ms, 2 % loss) a receiver still hears everyone.

bench/shaped.py's 1 Mbit/s condition, short (at most 10 s for the receiver to start decoding,
5 s warm-up, a 10 s window; about 1-2 minutes in all with the set-up): the real app, seven
synthetic publishers and one Chromium receiver in a network namespace behind the shaped link
(bench/netshape.py: TUN devices, a delay/loss relay, tbf). The worst concealment of any
publisher's audio at the receiver must stay within ROUNDS_WEAK_LINK_MAX_CONCEALMENT (a share,
default 0.05: "audio breaks up"). Before rtc/bandwidth.py it was 21-47 % (bench/results.md);
after it, 1.5-2.8 % in the full 30 s window on a quiet machine; since the server passes its
subscribers' audio loss on to publishers (and their Opus adds FEC, as a browser's does), under
1 %. The suite's short window on a shared CI machine is given 5 %; the bench, not this test,
measures the 3 % goal. The publishers send a small picture as well, as pages do. Needs root
(namespaces, TUN, tc) and Chromium; the namespace and the relay are removed whatever happens
(``netshape.Link`` is a context manager).
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.browser import require_chromium
from tests.conftest import unavailable

pytestmark = pytest.mark.browser

BENCH = Path(__file__).resolve().parents[2] / "bench"
MAX_CONCEALMENT = float(os.environ.get("ROUNDS_WEAK_LINK_MAX_CONCEALMENT", "0.05"))


def require_shaping() -> None:
    """Skip (fail under CI) without Chromium, root, TUN or iproute2."""
    require_chromium()
    if os.geteuid() != 0 or not Path("/dev/net/tun").exists():
        unavailable("the shaped link needs root and /dev/net/tun")
    if shutil.which("tc") is None or shutil.which("ip") is None:
        unavailable("the shaped link needs ip and tc (iproute2)")


def load_shaped() -> ModuleType:
    """bench/shaped.py (bench/ is scripts, not a package: it goes on the path)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module("shaped")


async def test_audio_holds_on_a_1_mbit_link() -> None:
    require_shaping()
    shaped = load_shaped()
    args = shaped.quick(shaped.parser().parse_args([]))
    shaped.packetize_layers()
    result = await shaped.run_condition(  # publishers send a small picture, as pages do
        "1mbit", shaped.CONDITIONS["1mbit"], shaped.encode_clip(), args,
        small=shaped.encode_clip(small=True),
    )
    print(shaped.table([result]))
    worst = max(result.audio, key=result.audio.get)
    assert result.audio[worst] <= MAX_CONCEALMENT, (
        f"{worst}'s audio concealed {result.audio[worst]:.1%} at the receiver on "
        f"{result.shape} (limit {MAX_CONCEALMENT:.1%}); load average {result.load_after[0]}"
    )
