"""The same content gives byte-identical output: whatever order the files were created in,
whatever their times, the machine's time zone and locale, the hash seed, and when it is built."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_site
from tests.test_content_errors import read_tree

DIGEST = Path(__file__).resolve().parent / "sites" / "digest"
EPOCH_2030 = "1893456000"
EPOCH_2035 = "2065000000"
BASE_ENV = {
    "TZ": "UTC",
    "LANG": "C",
    "LC_ALL": "C",
    "SOURCE_DATE_EPOCH": EPOCH_2030,
    "PYTHONHASHSEED": "0",
}


def _other_locale() -> str | None:
    """A locale other than C that this machine has: Korean if there, else any other."""
    try:
        listed = subprocess.run(
            ["locale", "-a"], capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    normal = {name.lower().replace("-", ""): name for name in listed}
    for wanted in ("ko_KR.UTF-8", "ja_JP.UTF-8", "de_DE.UTF-8", "tr_TR.UTF-8", "en_US.UTF-8"):
        if wanted.lower().replace("-", "") in normal:
            return normal[wanted.lower().replace("-", "")]
    others = [n for n in listed if n.split(".")[0] not in ("C", "POSIX")]
    others += [n for n in listed if n.lower().replace("-", "") in ("c.utf8",)]
    return others[0] if others else None


def build_in_subprocess(site: Path, env: dict[str, str | None]) -> dict[str, bytes]:
    """Build a site with `sitegen build` in a fresh interpreter; return output/'s bytes."""
    full = {**os.environ, **BASE_ENV}
    for key, value in env.items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    done = subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "--site", str(site)],
        capture_output=True,
        text=True,
        env=full,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return read_tree(site / "output")


def assert_same_bytes(got: dict[str, bytes], expected: dict[str, bytes]) -> None:
    assert sorted(got) == sorted(expected)
    assert [name for name in sorted(got) if got[name] != expected[name]] == []


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The fixture digest built once in UTC, the C locale, with hash seed 0, in 2030."""
    site = copy_site(DIGEST, tmp_path_factory.mktemp("baseline") / "site")
    output = build_in_subprocess(site, {})
    assert len(output) > 20
    return output


OTHER_LOCALE = _other_locale()


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"TZ": "Pacific/Auckland"}, id="tz-auckland"),
        pytest.param(
            {"LANG": OTHER_LOCALE, "LC_ALL": OTHER_LOCALE},
            id=f"locale-{OTHER_LOCALE}",
            marks=pytest.mark.skipif(OTHER_LOCALE is None, reason="no locale other than C"),
        ),
        pytest.param({"PYTHONHASHSEED": "4242"}, id="hash-seed"),
        pytest.param({"SOURCE_DATE_EPOCH": EPOCH_2035}, id="built-in-2035"),
        pytest.param({"SOURCE_DATE_EPOCH": None}, id="built-now"),
    ],
)
def test_environment_does_not_change_output(
    tmp_path: Path, baseline: dict[str, bytes], env: dict[str, str | None]
) -> None:
    site = copy_site(DIGEST, tmp_path / "elsewhere" / "site")
    assert_same_bytes(build_in_subprocess(site, env), baseline)


def _copy_in_order(source: Path, target: Path, reverse: bool) -> None:
    """Copy a site file by file in sorted or reversed order, each folder made on first use,
    giving each file a different modification time."""
    files = sorted(p for p in source.rglob("*") if p.is_file())
    if reverse:
        files.reverse()
    for number, path in enumerate(files):
        copy = target / path.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        stamp = 1_000_000_000 + (number * 86_400 if reverse else -number * 3_600)
        os.utime(copy, (stamp, stamp))


def test_creation_order_and_file_times_do_not_change_output(
    tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    site = tmp_path / "other-name"
    _copy_in_order(DIGEST, site, reverse=True)
    assert_same_bytes(build_in_subprocess(site, {}), baseline)


def test_rebuilding_in_place_gives_the_same_bytes(
    tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    site = copy_site(DIGEST, tmp_path / "site")
    first = build_in_subprocess(site, {})
    assert_same_bytes(first, baseline)
    assert_same_bytes(build_in_subprocess(site, {"SOURCE_DATE_EPOCH": EPOCH_2035}), baseline)
