"""The API documentation works without the internet, 405 answers name every allowed method, and the repository
needs nothing outside itself."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import Server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("docs") / "data") as s:
        yield s


@pytest.mark.parametrize("page", ["/api/v1/docs", "/api/v1/redoc"])
def test_docs_pages_reference_no_outside_host_and_their_assets_load(srv: Server, page: str) -> None:
    r = httpx.get(srv.url + page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert re.findall(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", r.text) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert assets and all(a.startswith("/api/v1/docs/static/") for a in assets), assets
    assert "/api/v1/openapi.json" in r.text
    for asset in assets:
        loaded = httpx.get(srv.url + asset)
        assert loaded.status_code == 200 and len(loaded.content) > 1000, asset


ALLOW = [
    # (id, method, path, the Allow header a 405 must carry)
    ("silences-options", "OPTIONS", "/api/v1/silences", "GET, POST"),
    ("silences-put", "PUT", "/api/v1/silences", "GET, POST"),
    ("alarms-delete", "DELETE", "/api/v1/alarms", "GET"),
    ("events-get", "GET", "/api/v1/events", "POST"),
    ("silence-get", "GET", "/api/v1/silences/1", "DELETE"),
]


@pytest.mark.parametrize(("method", "path", "allow"), [c[1:] for c in ALLOW], ids=[c[0] for c in ALLOW])
def test_a_wrong_method_names_every_allowed_method(srv: Server, method: str, path: str, allow: str) -> None:
    r = httpx.request(method, srv.url + path)
    assert (r.status_code, r.headers["allow"]) == (405, allow)


def tracked_files() -> list[Path]:
    """The files git tracks, or (outside a git checkout) every file but the ignored folders."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        return [ROOT / name for name in listed.stdout.decode().split("\0") if name]
    skip = {".git", ".venv", "build", "dist", "fairwatch-data", "__pycache__"}
    return [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


def test_nothing_in_the_repository_points_outside_it() -> None:
    """A clone has no shared folder beside it: no tracked text file may name one; the README links only what exists."""
    offenders = []
    for path in tracked_files():
        if "standards" in path.relative_to(ROOT).parts or path.suffix in (".png", ".svg", ".xsd", ".yaml"):
            continue
        if not path.exists():
            continue  # deleted in the work tree
        text = path.read_text(errors="replace")
        if re.search(r"\.\./shared\b|\bshared/(design|standards)\b", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    readme = (ROOT / "README.md").read_text()
    for link in re.findall(r"\]\(([^)#]+)", readme):
        assert not link.startswith(("/", "..")) and (ROOT / link).exists(), link


def test_the_vendored_cap_schema_is_the_one_the_tests_read() -> None:
    from tests.notify.test_notify_cap import XSD

    assert XSD == ROOT / "standards" / "CAP-v1.2.xsd" and XSD.is_file()
    assert "Copyright OASIS Open 2010" in XSD.read_text()
    notes = (ROOT / "standards" / "README.md").read_text()
    assert "CAP-v1.2.xsd" in notes and "eido/" in notes and "7f62055" in notes
