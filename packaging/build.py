"""Build SparkTrainer's installers: `python packaging/build.py linux|windows|macos|wheel`.

linux   the frozen folder (PyInstaller), a .tar.gz of it, a .deb and an offline .deb that
        carries PyTorch; then (unless --no-verify) installs the offline .deb with dpkg and
        runs the installed app's --version, --smoke-test and a tiny job with no network.
windows the frozen folder and Setup.exe (Inno Setup's iscc on PATH), online and offline.
macos   SparkTrainer.app and a .dmg (hdiutil).
wheel   the sdist and wheel; then a fresh venv installs the wheel and runs --smoke-test.

Figures go to build/<target>/report.json; --record also writes them into
packaging/README.md ("Last build").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks import run_check
from icons import render_pngs, write_icns, write_ico
from layout import (
    BUILD,
    DIST,
    ICONS,
    ROOT,
    deb_architecture,
    frozen_folder,
    machine,
    version,
    wheelhouse_folder,
)
from wheelhouse import build_wheelhouse

README = Path(__file__).resolve().parent / "README.md"


class Report:
    """Steps timed, artefacts sized, checks recorded: printed and kept as JSON."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.steps: dict[str, float] = {}
        self.sizes: dict[str, int] = {}
        self.checks: dict[str, Any] = {}

    def step(self, name: str, action: Callable[[], Any]) -> Any:
        print(f"== {name}", flush=True)
        began = time.monotonic()
        result = action()
        self.steps[name] = round(time.monotonic() - began, 1)
        return result

    def size(self, name: str, path: Path) -> None:
        # PyInstaller links a library's versioned names to one file: count it once.
        files = (
            [path]
            if path.is_file()
            else [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
        )
        self.sizes[name] = sum(p.stat().st_size for p in files)

    def save(self) -> Path:
        target = BUILD / self.target / "report.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "target": self.target,
            "version": version(),
            "machine": machine(),
            "when": time.strftime("%Y-%m-%d"),
            "steps_s": self.steps,
            "sizes_bytes": self.sizes,
            "checks": self.checks,
        }
        target.write_text(json.dumps(payload, indent=2))
        return target

    def markdown(self) -> str:
        lines = [
            f"Target `{self.target}` on {machine()}, {time.strftime('%Y-%m-%d')} "
            f"(`python packaging/build.py {self.target}`):",
            "",
            "| Artefact | Size |",
            "|---|---|",
            *(f"| {name} | {value / 1e6:,.0f} MB |" for name, value in self.sizes.items()),
            "",
            "| Step | Seconds |",
            "|---|---|",
            *(f"| {name} | {value:,.1f} |" for name, value in self.steps.items()),
        ]
        if self.checks:
            lines += ["", "| Check | Result | Seconds |", "|---|---|---|"]
            for name, check in self.checks.items():
                if isinstance(check, dict):
                    verdict = "passed" if check.get("ok") else f"FAILED ({check.get('code')})"
                    lines.append(f"| {name} | {verdict} | {check.get('seconds', '')} |")
                else:
                    lines.append(f"| {name} | {check} | |")
        return "\n".join(lines)

    def print(self) -> None:
        print()
        print(self.markdown())

    def passed(self) -> bool:
        return all(c.get("ok") for c in self.checks.values() if isinstance(c, dict))


def record(report: Report) -> None:
    """Between the target's markers in packaging/README.md (`<!-- last-build:linux -->`)."""
    text = README.read_text(encoding="utf-8")
    start, end = f"<!-- last-build:{report.target} -->", f"<!-- /last-build:{report.target} -->"
    if start not in text or end not in text:
        raise SystemExit(f"{README}: no {start} … {end} section to record into")
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    README.write_text(pattern.sub(f"{start}\n{report.markdown()}\n{end}", text), encoding="utf-8")


def _icons() -> dict[int, Path]:
    pngs = render_pngs(ICONS / "hicolor")
    write_ico(pngs, ICONS / "sparktrainer.ico")
    write_icns(pngs, ICONS / "sparktrainer.icns")
    return pngs


def freeze(target: str, icon: Path | None) -> Path:
    """PyInstaller's onedir build of main.py (packaging/sparktrainer.spec)."""
    work = BUILD / target
    env = {**os.environ, "SPARKTRAINER_TARGET": target, "SPARKTRAINER_ICON": str(icon or "")}
    subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
            "--distpath", str(work / "dist"), "--workpath", str(work / "work"),
            str(Path(__file__).resolve().parent / "sparktrainer.spec"),
        ],
        check=True, cwd=ROOT, env=env,
    )  # fmt: skip
    return frozen_folder(target)


def _tar(folder: Path, output: Path) -> Path:
    with tarfile.open(output, "w:gz", compresslevel=6) as archive:
        archive.add(folder, arcname=f"sparktrainer-{version()}")
    return output


def build_linux(args: argparse.Namespace) -> Report:
    from linux.deb import build_deb
    from linux.verify import verify_deb

    report = Report("linux")
    DIST.mkdir(exist_ok=True)
    report.step("icons", _icons)
    frozen = report.step("freeze (PyInstaller)", lambda: freeze("linux", None))
    report.size("frozen folder", frozen)
    tarball = DIST / f"sparktrainer-{version()}-linux-{machine()}.tar.gz"
    report.step("tar.gz", lambda: _tar(frozen, tarball))
    report.size(tarball.name, tarball)
    desktop = ROOT / "resources" / "sparktrainer.desktop"
    arch, number = deb_architecture(), version()
    deb = DIST / f"sparktrainer_{number}_{arch}.deb"
    report.step(".deb", lambda: build_deb(frozen, ICONS / "hicolor", desktop, number, arch, deb))
    report.size(deb.name, deb)
    wheels = report.step(
        "wheelhouse (pip download)", lambda: build_wheelhouse(wheelhouse_folder("linux"))
    )
    report.size("wheelhouse (CPU torch and the engine's libraries)", wheels)
    offline = DIST / f"sparktrainer-offline_{number}_{arch}.deb"
    report.step(
        "offline .deb",
        lambda: build_deb(frozen, ICONS / "hicolor", desktop, number, arch, offline, wheels),
    )
    report.size(offline.name, offline)
    if not args.no_verify:
        report.checks = report.step("install and use the offline .deb", lambda: verify_deb(offline))
    return report


def build_windows(args: argparse.Namespace) -> Report:
    report = Report("windows")
    DIST.mkdir(exist_ok=True)
    report.step("icons", _icons)
    frozen = report.step(
        "freeze (PyInstaller)", lambda: freeze("windows", ICONS / "sparktrainer.ico")
    )
    report.size("frozen folder", frozen)
    wheels = report.step(
        "wheelhouse (pip download)", lambda: build_wheelhouse(wheelhouse_folder("windows"))
    )
    script = Path(__file__).resolve().parent / "windows" / "sparktrainer.iss"
    iscc = shutil.which("iscc") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
    for name, defines in (("Setup.exe", []), ("offline Setup.exe", ["/DOffline=1"])):
        report.step(
            name,
            lambda d=defines: subprocess.run(
                [iscc, f"/DAppVersion={version()}", *d, str(script)], check=True
            ),
        )
    for setup in DIST.glob("SparkTrainer-*-Setup*.exe"):
        report.size(setup.name, setup)
    report.size("wheelhouse", wheels)
    if not args.no_verify:
        exe = frozen / "sparktrainer-cli.exe"
        report.checks["version"] = _check([str(exe), "--version"])
        report.checks["smoke_test"] = _check(
            [str(exe), "--smoke-test"], QT_QPA_PLATFORM="offscreen"
        )
    return report


def build_macos(args: argparse.Namespace) -> Report:
    report = Report("macos")
    DIST.mkdir(exist_ok=True)
    report.step("icons", _icons)
    report.step("freeze (PyInstaller)", lambda: freeze("macos", ICONS / "sparktrainer.icns"))
    bundle = BUILD / "macos" / "dist" / "SparkTrainer.app"
    report.size("SparkTrainer.app", bundle)
    dmg = DIST / f"SparkTrainer-{version()}-macos-{machine()}.dmg"
    script = Path(__file__).resolve().parent / "macos" / "make_dmg.sh"
    report.step(
        ".dmg", lambda: subprocess.run(["bash", str(script), str(bundle), str(dmg)], check=True)
    )
    report.size(dmg.name, dmg)
    if not args.no_verify:
        exe = bundle / "Contents" / "MacOS" / "sparktrainer"
        report.checks["version"] = _check([str(exe), "--version"])
        report.checks["smoke_test"] = _check(
            [str(exe), "--smoke-test"], QT_QPA_PLATFORM="offscreen"
        )
    return report


def _check(command: list[str], **env: str) -> dict[str, Any]:
    """The built app run in a fresh data folder of its own."""
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        return run_check(command, {**os.environ, "SPARKTRAINER_HOME": home, **env}, Path(home))


def build_wheel(args: argparse.Namespace) -> Report:
    report = Report("wheel")
    out = DIST
    out.mkdir(exist_ok=True)
    for old in [*out.glob("sparktrainer-*.whl"), *out.glob("sparktrainer-*.tar.gz")]:
        if "linux" not in old.name:
            old.unlink()  # ours: the last wheel build
    report.step(
        "sdist and wheel",
        lambda: subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
            check=True,
        ),
    )
    wheel = next(out.glob("sparktrainer-*.whl"))
    report.size(wheel.name, wheel)
    if not args.no_verify:
        venv = BUILD / "wheel" / "venv"
        if venv.exists():
            shutil.rmtree(venv)  # ours: the last check's
        python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        script = venv / ("Scripts/sparktrainer.exe" if os.name == "nt" else "bin/sparktrainer")

        def install() -> None:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            # torch first, pinned: the CPU build (README), never an unpinned CUDA download.
            subprocess.run([str(python), "-m", "pip", "install", "-q", "torch==2.13.0"], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)

        report.step("fresh venv: pip install the wheel", install)
        report.checks["smoke_test"] = _check(
            [str(script), "--smoke-test"], QT_QPA_PLATFORM="offscreen"
        )
        report.checks["version"] = _check([str(script), "--version"])
    return report


BUILDERS = {
    "linux": build_linux,
    "windows": build_windows,
    "macos": build_macos,
    "wheel": build_wheel,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=sorted(BUILDERS))
    parser.add_argument("--no-verify", action="store_true", help="build only; skip the checks")
    parser.add_argument(
        "--record", action="store_true", help="write the figures into packaging/README.md"
    )
    args = parser.parse_args(argv)
    began = time.monotonic()
    report = BUILDERS[args.target](args)
    report.steps["total"] = round(time.monotonic() - began, 1)
    saved = report.save()
    report.print()
    for name, check in report.checks.items():
        if isinstance(check, dict) and not check.get("ok"):
            print(f"\n{name} failed:\n  " + "\n  ".join(check.get("tail", [])), file=sys.stderr)
    if args.record:
        record(report)
    print(f"\nFigures: {saved}")
    return 0 if report.passed() else 1


if __name__ == "__main__":
    sys.exit(main())
