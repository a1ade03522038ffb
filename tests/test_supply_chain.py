"""What the assurance team is handed holds: the lock files match pyproject.toml and what is
installed, every install path uses them with hashes, the SBOM lists them, and the documents
exist and are linked from the README."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ASSURANCE = ["SECURITY.md", "docs/assurance/README.md", "docs/assurance/dtac.md",
             "docs/assurance/clinical-safety.md", "docs/assurance/dspt.md",
             "docs/assurance/hazard-log.md"]


def locked(name: str) -> dict[str, str]:
    """Package -> version in a lock file; every entry must carry at least one hash."""
    text = (ROOT / name).read_text()
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}.*\n)+)",
                         text, re.M)
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)
    assert len(entries) == len(pins) > 0, f"{name}: an entry without a hash"
    return {canonicalize_name(n): v for n, v, _ in entries}


def test_the_locks_satisfy_pyproject() -> None:
    app, test = locked("requirements.lock"), locked("requirements-test.lock")
    project = PYPROJECT["project"]
    for lock, requirements in ((app, project["dependencies"]),
                               (test, project["dependencies"]
                                + project["optional-dependencies"]["test"])):
        for line in requirements:
            requirement = Requirement(line)
            name: str = canonicalize_name(requirement.name)
            assert name in lock, f"{name} is not locked"
            assert requirement.specifier.contains(lock[name], prereleases=True), (
                f"{name}=={lock[name]} does not satisfy {requirement}: run ./scripts/lock")
    # The tests run exactly the versions the image ships.
    for name, version in app.items():
        assert test.get(name) == version, f"{name}: {version} vs {test.get(name)}"


def test_the_installed_packages_are_the_locked_ones() -> None:
    for name, version in locked("requirements-test.lock").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is locked but not installed: run ./scripts/test")
        assert installed == version, f"{name}: installed {installed}, locked {version}"


def test_every_install_path_uses_the_lock_with_hashes() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "COPY requirements.lock ./" in dockerfile
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    start = (ROOT / "scripts" / "start").read_text()
    assert "--require-hashes -r requirements.lock" in start and "--no-deps -e ." in start
    test = (ROOT / "scripts" / "test").read_text()
    assert "--require-hashes -r requirements-test.lock" in test and "--no-deps -e ." in test
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()
    for script in (start, test):
        assert not re.search(r"pip install [^\n]*-e '?\.\[", script), "an unlocked install"


def test_the_sbom_lists_the_locked_and_installed_packages(tmp_path: Path) -> None:
    out = tmp_path / "sbom.cdx.json"
    done = subprocess.run([str(ROOT / "scripts" / "sbom"), str(out)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    bom = json.loads(out.read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    root = bom["metadata"]["component"]
    assert (root["name"], root["version"]) == ("rounds", PYPROJECT["project"]["version"])
    listed = {canonicalize_name(c["name"]): c["version"] for c in bom["components"]}
    assert listed == locked("requirements.lock")
    for component in bom["components"]:
        assert component["purl"] == f"pkg:pypi/{component['name']}@{component['version']}"
        hashes = [h for r in component["externalReferences"] for h in r.get("hashes", [])]
        assert hashes, component["name"]
    for name, version in listed.items():
        assert metadata.version(name) == version


def test_the_assurance_documents_exist_and_are_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in ASSURANCE:
        path = ROOT / name
        assert path.exists() and len(path.read_text()) > 800, f"{name} is missing or a stub"
        assert name in readme, f"README does not link {name}"
    index = (ROOT / "docs" / "assurance" / "README.md").read_text()
    for name in ASSURANCE[2:]:
        assert Path(name).name in index


def test_the_assurance_documents_name_what_exists() -> None:
    """Every repository path an assurance document names in backticks exists."""
    for name in ASSURANCE:
        text = (ROOT / name).read_text()
        for path in re.findall(r"`((?:app|rtc|docs|deploy|scripts|tests|frontend)/[\w./-]+)`",
                               text):
            assert (ROOT / path.rstrip("/")).exists(), f"{name} names {path}, which is missing"
