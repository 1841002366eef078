"""catrust's cost as the work grows, side by side with what users would otherwise run.

    python benchmarks/run.py                 # full run: prints the table, writes benchmarks/results.json
    python benchmarks/run.py --quick         # small N, one repeat: proves every row still runs (CI)

Each row runs catrust and its comparison in the same run, repeats, and reports medians and the
ratio (how many times cheaper catrust is; above 1 is better). Targets come from issue 6.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository: tests.support.certkit, the test CA maker
sys.path.insert(0, str(HERE))  # reload_check

import httpx  # noqa: E402

import catrust  # noqa: E402
from catrust import TrustStore  # noqa: E402
from tests.support.certkit import CA  # noqa: E402


@dataclass
class Row:
    case: str
    catrust: float  # seconds, or bytes for memory
    comparison: str
    other: float
    unit: str  # "s" or "B"
    target: float | None = None  # the ratio asked for, if any
    limit: float | None = None  # or the most catrust may take, in `unit`
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.other / self.catrust if self.catrust else float("inf")

    @property
    def met(self) -> bool | None:
        if self.limit is not None:
            return self.catrust <= self.limit
        return None if self.target is None else self.ratio >= self.target


def median_time(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def command_time(cmd: list[str], repeat: int, env: dict[str, str] | None = None) -> float:
    def run() -> None:
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})}
        )

    return median_time(run, repeat)


# --- 1. client creation --------------------------------------------------------------------------------


def client_creation(quick: bool) -> list[Row]:
    n_cheap, n_dear = (20, 3) if quick else (500, 40)
    catrust.httpx_client().close()  # the shared context is built once per process, outside the loop

    def make(factory: Callable[[], httpx.Client]) -> Callable[[], None]:
        return lambda: factory().close()

    ours = median_time(make(catrust.httpx_client), n_cheap)
    plain = median_time(make(httpx.Client), n_dear)
    fresh_ctx = median_time(make(lambda: httpx.Client(verify=ssl.create_default_context())), n_dear)
    return [
        Row("client creation", ours, "httpx.Client()", plain, "s", 100),
        Row("client creation", ours, "httpx.Client(verify=create_default_context())", fresh_ctx, "s", 100),
    ]


# --- 2. memory ------------------------------------------------------------------------------------------

_MEMORY = """
import gc, httpx, catrust, ssl
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS"))
httpx.Client(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)).close()  # both sides: httpx's lazy imports
gc.collect(); before = rss()
clients = [{factory} for _ in range({n})]
gc.collect(); print(rss() - before)
"""


def memory(quick: bool) -> list[Row]:
    if not Path("/proc/self/status").exists():
        return []
    n = 20 if quick else 200

    def added(factory: str) -> float:
        out = subprocess.run(
            [sys.executable, "-c", _MEMORY.format(factory=factory, n=n)], check=True, capture_output=True, text=True
        ).stdout
        return float(out.strip())

    ours = statistics.median(added("catrust.httpx_client()") for _ in range(1 if quick else 3))
    plain = statistics.median(added("httpx.Client()") for _ in range(1 if quick else 3))
    return [
        Row(
            f"memory, {n} live clients (RSS added)",
            max(ours, 1.0),
            "httpx.Client()",
            plain,
            "B",
            50,
            note="catrust's figure includes building its one shared context",
        )
    ]


# --- 3. cold load at scale ------------------------------------------------------------------------------


def make_folder(root: Path, cas: list[bytes], n: int) -> Path:
    folder = root / f"ca-{n}"
    folder.mkdir()
    for i, pem in enumerate(cas[:n]):
        (folder / f"ca-{i:05d}.crt").write_bytes(pem)
    return folder


def update_ca_certificates(folder: Path, work: Path) -> float | None:
    """Debian's tool on the same certificates, entirely in temporary folders: the system is untouched."""
    tool = shutil.which("update-ca-certificates") or "/usr/sbin/update-ca-certificates"
    if not Path(tool).exists() or not Path("/usr/share/ca-certificates").is_dir():
        return None
    etc, hooks = work / "etc-certs", work / "hooks"
    shutil.rmtree(etc, ignore_errors=True)
    etc.mkdir()
    hooks.mkdir(exist_ok=True)
    conf = work / "ca-certificates.conf"
    shutil.copy("/etc/ca-certificates.conf", conf) if Path("/etc/ca-certificates.conf").exists() else conf.touch()
    cmd = [
        tool,
        "--fresh",
        "--certsconf",
        str(conf),
        "--certsdir",
        "/usr/share/ca-certificates",
        "--localcertsdir",
        str(folder),
        "--etccertsdir",
        str(etc),
        "--hooksdir",
        str(hooks),
    ]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def cold_load(quick: bool, work: Path) -> list[Row]:
    sizes = [10, 100] if quick else [10, 100, 1000, 10000]
    repeat = 1 if quick else 3
    cas = [CA(f"bench CA {i}").cert_pem for i in range(max(sizes))]
    rows: list[Row] = []
    cli = [sys.executable, "-m", "catrust"]
    for n in sizes:
        folder = make_folder(work, cas, n)
        many = n >= 10000
        stores: list[TrustStore] = []
        scan = median_time(
            lambda folder=folder, stores=stores: stores.append(TrustStore.load(str(folder))), 1 if many else repeat
        )
        store = stores[-1]
        assert len(store.custom) == n, (len(store.custom), store.rejected[:3])
        ders = b"".join(c.der for c in store.certificates)

        def floor(ders: bytes = ders) -> None:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=ders)

        openssl = median_time(floor, 1 if many else repeat)
        ready = median_time(lambda folder=folder: TrustStore.load(str(folder)).ssl_context(), 1 if many else repeat)
        out = work / f"bundle-{n}.pem"
        end_to_end = command_time([*cli, "--ca-dir", str(folder), "write", str(out)], 1 if many else repeat)
        rows.append(
            Row(f"scan+validate {n} CAs (+system roots)", scan, "OpenSSL floor: load_verify_locations", openssl, "s", 4)
        )
        rows.append(
            Row(
                f"ready context, {n} CAs",
                ready,
                "OpenSSL floor: load_verify_locations",
                openssl,
                "s",
                limit=0.5 if n == 10000 else None,
                note="stretch goal at 10,000: a ready context under 0.5 s" if n == 10000 else "",
            )
        )
        debian = update_ca_certificates(folder, work) if (not quick or n == 10) else None
        if debian is not None:
            rows.append(
                Row(
                    f"bundle file, {n} CAs, CLI end to end",
                    end_to_end,
                    "update-ca-certificates",
                    debian,
                    "s",
                    30 if n == 1000 else None,
                )
            )
        shutil.rmtree(folder)
    return rows


# --- 4. reload -----------------------------------------------------------------------------------------


def reload(quick: bool) -> list[Row]:
    """A reload check of N files (benchmarks/reload_check.py), against loading the folder afresh."""
    import reload_check

    files, repeats = (20, 1) if quick else (1000, 20)
    cas = reload_check.make_cas(files + 1)
    rows = []
    for layout in reload_check.LAYOUTS:
        result = reload_check.measure(cas[:files], layout, repeats, spare=cas[files])
        with tempfile.TemporaryDirectory() as folder:
            for i, pem in enumerate(cas[:files]):
                Path(folder, f"ca-{i:05}.pem").write_bytes(pem)
            fresh = median_time(lambda: TrustStore.load(folder), 1 if quick else 3)
            build = median_time(lambda: TrustStore.load([], system="auto").ssl_context(), 1 if quick else 3)
        rows.append(
            Row(
                f"reload check, no change, {files} files ({layout})",
                result.no_change_ms / 1e3,
                "loading the folder afresh",
                fresh,
                "s",
                limit=0.005,
            )
        )
        rows.append(
            Row(
                f"reload check, 1 of {files} files changed ({layout})",
                result.one_changed_ms / 1e3,
                "loading the folder afresh",
                fresh,
                "s",
                note=f"target: one parse plus one context build (~{fmt(build, 's')} here); the "
                "context is built on first use after the change, not in the check",
            )
        )
    return rows


# --- 5. start-up ----------------------------------------------------------------------------------------


def startup(quick: bool, work: Path) -> list[Row]:
    repeat = 3 if quick else 15
    py = sys.executable
    folder = make_folder(work, [CA(f"startup CA {i}").cert_pem for i in range(100)], 100)
    baseline = command_time([py, "-c", "import ssl; ssl.create_default_context()"], repeat)
    rows = [
        Row(
            "start-up: import catrust",
            command_time([py, "-c", "import catrust"], repeat),
            "python -c 'import httpx'",
            command_time([py, "-c", "import httpx"], repeat),
            "s",
        ),
        Row(
            "start-up: catrust bundle, 100 CAs",
            command_time([py, "-m", "catrust", "--ca-dir", str(folder), "bundle"], repeat),
            "python -c 'import ssl; ssl.create_default_context()'",
            baseline,
            "s",
        ),
    ]
    shutil.rmtree(folder)
    return rows


# --- 6. inject(): Python's defaults carrying the trust ------------------------------------------------------


def injected(quick: bool, work: Path) -> list[Row]:
    """What inject() costs a library that makes a default context per connection (redis-py, urllib3's
    pools), and what CATRUST_INJECT=1 costs a program's start. Each in a child reading the folder afresh."""
    repeat, starts = (3, 3) if quick else (200, 15)
    py = sys.executable
    folder = make_folder(work, [CA(f"inject CA {i}").cert_pem for i in range(100)], 100)
    env = {**os.environ, "CATRUST_CA_DIRS": str(folder), "XDG_CACHE_HOME": str(work / "cache")}
    child = (
        "import json, ssl, statistics, sys, time, catrust\n"
        "def median(n):\n"
        "    samples = []\n"
        "    for _ in range(n):\n"
        "        start = time.perf_counter()\n"
        "        ssl.create_default_context()\n"
        "        samples.append(time.perf_counter() - start)\n"
        "    return statistics.median(samples)\n"
        "plain = median(int(sys.argv[1])); catrust.inject(); ours = median(int(sys.argv[1]))\n"
        "print(json.dumps([ours, plain]))\n"
    )
    measured = subprocess.run([py, "-c", child, str(repeat)], env=env, capture_output=True, text=True, check=True)
    ours, plain = json.loads(measured.stdout)
    rows = [
        Row("a default context, injected (system roots + 100 CAs)", ours, "ssl.create_default_context()", plain, "s"),
        Row(
            "start-up: CATRUST_INJECT=1, 100 CAs",
            command_time([py, "-c", "pass"], starts, env={**env, "CATRUST_INJECT": "1"}),
            "python -c pass",
            command_time([py, "-c", "pass"], starts),
            "s",
        ),
    ]
    shutil.rmtree(folder)
    return rows


# --- output ---------------------------------------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value / 1024 / 1024:.2f} MiB" if value >= 1024 * 1024 else f"{value / 1024:.0f} KiB"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"


def table(rows: list[Row], judged: bool) -> str:
    """A Markdown table; `met` only for a full run, since quick mode's small N says nothing about targets."""
    header = ("case", "catrust", "comparison", "theirs", "ratio", "target", "met")
    lines = [header]
    for r in rows:
        target = f"≤ {fmt(r.limit, r.unit)}" if r.limit is not None else f"≥ {r.target:g}×" if r.target else "–"
        met = {True: "yes", False: "NO", None: "–"}[r.met if judged else None]
        lines.append(
            (r.case, fmt(r.catrust, r.unit), r.comparison, fmt(r.other, r.unit), f"{r.ratio:.1f}×", target, met)
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |" for line in lines]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small N, one repeat: checks that every row runs")
    parser.add_argument("--out", default=str(HERE / "results.json"), help="where to write the JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("CATRUST_CA_DIRS", os.devnull + ".absent")  # no accidental /custom/ca
    gc.collect()
    with tempfile.TemporaryDirectory(prefix="catrust-bench-") as tmp:
        work = Path(tmp)
        rows = [
            *client_creation(args.quick),
            *memory(args.quick),
            *cold_load(args.quick, work),
            *reload(args.quick),
            *startup(args.quick, work),
            *injected(args.quick, work),
        ]
    text = table(rows, judged=not args.quick)
    print(text)
    meta = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "command": "python benchmarks/run.py" + (" --quick" if args.quick else ""),
        "python": platform.python_version(),
        "openssl": ssl.OPENSSL_VERSION,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }
    data = {"meta": meta, "rows": [{**asdict(r), "ratio": r.ratio, "met": None if args.quick else r.met} for r in rows]}
    Path(args.out).write_text(json.dumps(data, indent=2) + "\n")
    print(f"\n{meta['date']}, Python {meta['python']}, {meta['openssl']}, {meta['cpus']} cores; JSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
