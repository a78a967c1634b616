"""`sitegen init`: a GitHub Actions workflow that builds with --strict and publishes to Pages."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import build, make_site, report_text, run_sitegen

WORKFLOW = Path(".github") / "workflows" / "publish.yml"


def load(site: Path) -> dict[str, Any]:
    data = yaml.safe_load((site / WORKFLOW).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(data: dict[str, Any], job: str) -> list[dict[str, Any]]:
    found = data["jobs"][job]["steps"]
    assert isinstance(found, list)
    return found


def uses(data: dict[str, Any], job: str) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(data, job) if "uses" in step]


def test_init_writes_a_publishing_workflow(tmp_path: Path) -> None:
    run = run_sitegen(tmp_path, "init")
    assert run.exit_code == 0, run.output
    data = load(tmp_path)
    # PyYAML reads the bare key `on` as YAML 1.1's true
    triggers = data.get("on", data.get(True))
    assert triggers["push"]["branches"] == ["main"]
    assert uses(data, "build") == [
        "actions/checkout",
        "actions/setup-python",
        "actions/cache/restore",
        "actions/configure-pages",
        "actions/cache/save",
        "actions/upload-pages-artifact",
    ]
    assert uses(data, "deploy") == ["actions/deploy-pages"]
    assert data["jobs"]["deploy"]["needs"] == "build"
    python = next(s for s in steps(data, "build") if s.get("uses", "").startswith("actions/setup-"))
    assert str(python["with"]["python-version"]) == "3.11"


def test_the_build_step_is_strict_and_follows_the_pages_address(tmp_path: Path) -> None:
    assert run_sitegen(tmp_path, "init").exit_code == 0
    data = load(tmp_path)
    commands = [shlex.split(s["run"]) for s in steps(data, "build") if "run" in s]
    builds = [c for c in commands if c[:2] == ["sitegen", "build"]]
    assert len(builds) == 1
    command = builds[0]
    assert "--strict" in command
    base_url = command[command.index("--base-url") + 1]
    assert base_url == "$BASE_URL/"
    step = next(s for s in steps(data, "build") if s.get("run", "").startswith("sitegen build"))
    assert step["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    configure = next(s for s in steps(data, "build") if "configure-pages" in s.get("uses", ""))
    assert configure["id"] == "pages"
    output = command[command.index("--output") + 1]
    upload = next(s for s in steps(data, "build") if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == output


def test_sitegen_is_installed_from_the_repository_or_the_given_package(tmp_path: Path) -> None:
    package = "sitegen @ git+https://github.com/example/sitegen@v1"
    assert run_sitegen(tmp_path, "init", "--package", package).exit_code == 0
    data = load(tmp_path)
    assert data["env"]["SITEGEN_PACKAGE"] == package
    install = next(s["run"] for s in steps(data, "build") if "pip install" in s.get("run", ""))
    assert "python -m pip install ." in install.splitlines()[1]
    assert "pyproject.toml" in install.splitlines()[0]


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    workflow = tmp_path / WORKFLOW
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: mine\n", encoding="utf-8")
    run = run_sitegen(tmp_path, "init")
    assert run.exit_code == 1
    assert "already exists" in run.output
    assert "--force" in run.output
    assert workflow.read_text(encoding="utf-8") == "name: mine\n"
    forced = run_sitegen(tmp_path, "init", "--force")
    assert forced.exit_code == 0, forced.output
    assert load(tmp_path)["name"] != "mine"


def test_init_writes_only_the_workflow_and_gitignore(tmp_path: Path) -> None:
    assert run_sitegen(tmp_path, "init").exit_code == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert written == [
        ".github",
        ".github/workflows",
        ".github/workflows/publish.yml",
        ".gitignore",
    ]


def test_gitignore_covers_every_folder_a_build_writes(tmp_path: Path) -> None:
    site = make_site(
        tmp_path / "site",
        {"content/reports/a.md": report_text(title="A", date="2024-03-01")},
        "search = false\n",
    )
    (site / ".gitignore").write_text("notes/\n", encoding="utf-8")
    before = {p.name for p in site.iterdir()}
    assert run_sitegen(site, "init").exit_code == 0
    build(site)
    (site / "content/reports/a.md").write_text(
        report_text(title="A, edited", date="2024-03-01"), encoding="utf-8"
    )
    build(site)
    made = {p.name for p in site.iterdir()} - before - {".github"}
    lines = (site / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "notes/"
    ignored = {line.strip("/") for line in lines}
    assert made and made <= ignored, (made, lines)
    assert run_sitegen(site, "init", "--force").exit_code == 0
    assert (site / ".gitignore").read_text(encoding="utf-8").splitlines() == lines
