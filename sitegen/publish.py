"""Publishing: the GitHub Actions workflow that `sitegen init` writes into a site's folder.

The workflow builds the site with `--strict` for the address GitHub Pages gives it (its
`base_url`, with the repository's sub-path) and deploys it with GitHub's own Pages actions.
sitegen is installed with `pip install .` when the repository has a pyproject.toml (sitegen's
own repository, or a site that lists sitegen as a dependency), else from SITEGEN_PACKAGE.

It is locked down (no permission at the top and the least each job needs, every action
pinned to the commit of a release, no token kept by the checkout, no expression expanded in
a script), and it restores .sitegen-cache/ before the build and saves it after, leaving out
the twin and the dev server's folder. docs/publishing.md says why each line is there.
"""

from __future__ import annotations

import json
from pathlib import Path

from sitegen.errors import SitegenError, SourceLocation

WORKFLOW_PATH = Path(".github") / "workflows" / "publish.yml"

CACHE_PATHS = (
    ".sitegen-cache/*",
    "!.sitegen-cache/outputs",
    "!.sitegen-cache/serve",
    "!.sitegen-cache/search-pages",
    ".sitegen-cache/outputs/*/*",
    "!.sitegen-cache/outputs/*/twin",
)
"""What the workflow restores and saves of the cache (the same paths for both)."""

_WORKFLOW = """\
# Builds the site and publishes it to GitHub Pages on every push to main.
# Written by `sitegen init`; edit it as you like.
#
# Once: in the repository's Settings > Pages, set "Source" to "GitHub Actions".
# The site is built for the address Pages gives it (https://<owner>.github.io/<repository>/
# or your own domain), so every link follows that sub-path.
#
# Every action is pinned to the commit of a release (its version in the comment beside it),
# and each job gets only the permissions it needs.
name: Publish site

on:
  push:
    branches: [main]
  workflow_dispatch:
  schedule:
    # Once a day, so that reports dated in the future appear soon after their date
    # ("17 * * * *" would build every hour).
    - cron: "17 0 * * *"

permissions: {}

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
    name: Build the site
    runs-on: ubuntu-latest
    permissions:
      contents: read # to check out the repository
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - name: Set up Python
        id: python
        uses: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97 # v7.0.0
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
      # The cache is kept for one sitegen (its version and files), Python and configuration
      # (sitegen.toml, and the pyproject.toml and lock files that choose sitegen): any other
      # starts clean. Each run saves its own; a run restores the newest with its prefix.
      - name: Name the build cache
        id: cache-key
        run: |
          python - >> "$GITHUB_OUTPUT" <<'EOF'
          import hashlib, os, platform
          from importlib.metadata import distribution
          from pathlib import Path
          sitegen = distribution("sitegen")
          code = hashlib.sha256((sitegen.read_text("RECORD") or "").encode()).hexdigest()
          settings = hashlib.sha256()
          for pattern in ("sitegen.toml", "pyproject.toml", "*.lock", "requirements*.txt"):
              for path in sorted(Path().glob(pattern)):
                  settings.update(f"{path.name} {path.stat().st_size}\\n".encode())
                  settings.update(path.read_bytes())
          prefix = "-".join(("sitegen", sitegen.version, code[:16], settings.hexdigest()[:16],
                             os.environ["RUNNER_OS"], "python" + platform.python_version(), ""))
          print(f"prefix={prefix}")
          print(f"key={prefix}{os.environ['GITHUB_RUN_ID']}-{os.environ['GITHUB_RUN_ATTEMPT']}")
          EOF
      # What the last build left in .sitegen-cache/ (loaded and rendered reports, image
      # copies, the search index), but the site before last (outputs/*/twin), the dev
      # server's folder (serve/) and the pages the search index was made from
      # (search-pages/, written again where a shard is made). actions/cache leaves out
      # only what stands at the level of a pattern it takes, hence the two levels.
      - name: Restore the build cache
        id: cache
        uses: actions/cache/restore@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        with:
@@CACHE_PATHS@@
          key: ${{ steps.cache-key.outputs.key }}
          restore-keys: ${{ steps.cache-key.outputs.prefix }}
      - name: Configure Pages
        id: pages
        uses: actions/configure-pages@45bfe0192ca1faeb007ade9deae92b16b8254a0d # v6.0.0
      - name: Build
        env:
          BASE_URL: ${{ steps.pages.outputs.base_url }}
        run: sitegen build --strict --base-url "$BASE_URL/" --output _site
      - name: Save the build cache
        uses: actions/cache/save@55cc8345863c7cc4c66a329aec7e433d2d1c52a9 # v6.1.0
        with:
@@CACHE_PATHS@@
          key: ${{ steps.cache-key.outputs.key }}
      - uses: actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9 # v5.0.0
        with:
          path: _site

  deploy:
    name: Publish to GitHub Pages
    needs: build
    runs-on: ubuntu-latest
    permissions:
      pages: write # to deploy to Pages
      id-token: write # to prove to Pages that the deployment comes from this workflow
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - name: Deploy to GitHub Pages
        id: deployment
        uses: actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128 # v5.0.0
"""


class PublishError(SitegenError):
    """The publishing workflow cannot be written as asked."""


def workflow_text(package: str = "") -> str:
    """The workflow's YAML; `package` is the pip requirement used without a pyproject.toml."""
    paths = "".join(f"\n            {path}" for path in CACHE_PATHS)
    return _WORKFLOW.replace("@@PACKAGE@@", json.dumps(package)).replace(
        "@@CACHE_PATHS@@", "          path: |" + paths
    )


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
