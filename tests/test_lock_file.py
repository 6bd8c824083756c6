"""The lock file the README's install uses holds every dependency pyproject.toml names."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from orchestration.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

LOCK = PROJECT_ROOT / "requirements.lock"


def _locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of every package in the lock."""
    text = LOCK.read_text(encoding="utf-8")
    found = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = re.match(r"([A-Za-z0-9_.\-]+)==([^\s;\\]+)", block)
        if m:
            name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
            found[name] = (m.group(2), block.count("--hash=sha256:"))
    return found


def test_every_dependency_is_locked_at_a_version_it_allows_with_hashes():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    locked = _locked()
    for line in wanted:
        req = Requirement(line)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in locked, f"{req.name} is not in requirements.lock: run `make lock`"
        version, hashes = locked[name]
        assert req.specifier.contains(version, prereleases=True), (line, version)
        assert hashes, f"{name} has no hash"


def test_the_install_and_ci_use_the_lock():
    for path in (PROJECT_ROOT / "Makefile", PROJECT_ROOT / ".ci" / "run"):
        text = Path(path).read_text()
        assert "--require-hashes --no-deps -r requirements.lock" in text, path
        assert "install --quiet -e '.[dev]'" not in text and "-e '.[dev]'" not in text, path
