"""Publishing: the GitHub Actions workflow that `sitegen init` writes into a site's folder.

The workflow builds the site with `--strict` for the address GitHub Pages gives it (its
`base_url`, with the repository's sub-path) and deploys it with GitHub's own Pages actions.
sitegen is installed with `pip install .` when the repository has a pyproject.toml (sitegen's
own repository, or a site that lists sitegen as a dependency), else from SITEGEN_PACKAGE.
"""

from __future__ import annotations

import json
from pathlib import Path

from sitegen.errors import SitegenError, SourceLocation

WORKFLOW_PATH = Path(".github") / "workflows" / "publish.yml"

_WORKFLOW = """\
# Builds the site and publishes it to GitHub Pages on every push to main.
# Written by `sitegen init`; edit it as you like.
#
# Once: in the repository's Settings > Pages, set "Source" to "GitHub Actions".
# The site is built for the address Pages gives it (https://<owner>.github.io/<repository>/
# or your own domain), so every link follows that sub-path.
name: Publish site

on:
  push:
    branches: [main]
  workflow_dispatch:
  schedule:
    # Once a day, so that reports dated in the future appear soon after their date
    # ("17 * * * *" would build every hour).
    - cron: "17 0 * * *"

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

env:
  # Where pip finds sitegen when this repository has no pyproject.toml (with one,
  # `pip install .` installs the repository and what it depends on), for example
  # "sitegen @ git+https://github.com/<owner>/sitegen@<tag>".
  SITEGEN_PACKAGE: @@PACKAGE@@

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install sitegen
        run: |
          if [ -f pyproject.toml ]; then
            python -m pip install .
          elif [ -n "$SITEGEN_PACKAGE" ]; then
            python -m pip install "$SITEGEN_PACKAGE"
          else
            echo "::error::set SITEGEN_PACKAGE in .github/workflows/publish.yml"
            exit 1
          fi
      - name: Configure Pages
        id: pages
        uses: actions/configure-pages@v5
      - name: Build
        run: sitegen build --strict --base-url "${{ steps.pages.outputs.base_url }}/" --output _site
      - uses: actions/upload-pages-artifact@v3
        with:
          path: _site

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - name: Deploy to GitHub Pages
        id: deployment
        uses: actions/deploy-pages@v4
"""


class PublishError(SitegenError):
    """The publishing workflow cannot be written as asked."""


def workflow_text(package: str = "") -> str:
    """The workflow's YAML; `package` is the pip requirement used without a pyproject.toml."""
    return _WORKFLOW.replace("@@PACKAGE@@", json.dumps(package))


def write_workflow(site: Path, *, package: str = "", force: bool = False) -> Path:
    """Write `.github/workflows/publish.yml` into the site's folder; refuse to replace one."""
    path = site / WORKFLOW_PATH
    if path.exists() and not force:
        raise PublishError(
            f"{WORKFLOW_PATH.as_posix()} already exists",
            SourceLocation(path),
            "use --force to replace it",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(workflow_text(package), encoding="utf-8")
    except OSError as error:
        raise PublishError(
            f"cannot write {WORKFLOW_PATH.as_posix()}: {error.strerror or error}",
            SourceLocation(path),
        ) from None
    return path


BUILT_FOLDERS = (
    "/output/",
    "/.sitegen-cache/",
)
"""What a build writes beside the content, which no repository should hold."""


def ignore_built_folders(site: Path) -> list[str]:
    """Add the built folders to the site's .gitignore; return the lines added."""
    path = site / ".gitignore"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in BUILT_FOLDERS if line not in present]
    if missing:
        prefix = "" if not text or text.endswith("\n") else "\n"
        path.write_text(text + prefix + "\n".join(missing) + "\n", encoding="utf-8")
    return missing
