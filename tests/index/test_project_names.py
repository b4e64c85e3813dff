"""Close names for a project no index has: probes, the streamed list, its cache, the bound."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from lockctl.events import ProjectListProgress
from lockctl.index import Cache
from lockctl.index.cache import url_key
from lockctl.index.projectnames import (
    MAX_CANDIDATES,
    ProjectNames,
    RootScanner,
    candidate_names,
)
from lockctl.urls import SecretURL
from tests.support.dists import make_wheel
from tests.support.faults import Drip, Status
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

from .helpers import EventLog, make_client

# -- the likely names -------------------------------------------------------------------------


def test_candidates_hold_the_swapped_and_doubled_letter_typos_and_confusables() -> None:
    assert "requests" in candidate_names("reqeusts")  # two neighbours swapped
    assert "requests" in candidate_names("requestss")  # a key held down
    assert "numpy" in candidate_names("nummpy")
    assert candidate_names("sklearn")[0] == "scikit-learn"  # an import name
    assert "pyyaml" in candidate_names("yaml")
    assert "python-dateutil" in candidate_names("Dateutil")
    assert "reqeusts" not in candidate_names("Reqeusts")  # never the name itself
    long_name = "a-very-long-project-name-with-many-letters-in-it"
    assert len(candidate_names(long_name)) == MAX_CANDIDATES


# -- the compact list -------------------------------------------------------------------------


def test_the_list_is_canonical_and_searched_by_first_letter_and_length() -> None:
    names = ProjectNames.from_names(["Requests", "reqwests", "Zope.Interface", "r", "rich"])
    assert len(names) == 5 and "zope-interface" in names and "ZOPE_interface" in names
    assert names.close_to("reqeusts") == ("requests", "reqwests")  # same letters first
    assert names.close_to("rqeuests")[0] == "requests"
    assert names.close_to("xyz") == ()
    assert ProjectNames(text="\n").close_to("a") == ()


@pytest.mark.parametrize("content_type", ["application/vnd.pypi.simple.v1+json", "text/html"])
def test_the_root_page_is_scanned_whatever_the_chunks(content_type: str) -> None:
    raw = ["Django", "zope.interface", "Caf\u00e9-Tools", 'quo"te', "amp&co", "x_y"]
    if "json" in content_type:
        body = json.dumps({"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in raw]})
    else:
        import html

        body = "<html><body>" + "".join(
            f'<a href="/{html.escape(n)}/">{html.escape(n)}</a>\n' for n in raw
        )
    data = body.encode()
    for size in (1, 3, 7, 64, len(data)):
        scanner = RootScanner(content_type)
        for start in range(0, len(data), size):
            scanner.feed(data[start : start + size])
        assert scanner.finish().names() == [
            "django",
            "zope-interface",
            "caf\u00e9-tools",
            'quo"te',
            "amp&co",
            "x-y",
        ], size


def test_the_cache_keeps_the_text_for_a_day_and_ignores_the_older_json_form(
    tmp_path: Path,
) -> None:
    cache = Cache(tmp_path)
    key = url_key(SecretURL("https://index.example.invalid/simple/"))
    text = ProjectNames.from_names(["requests", "rich"]).text
    cache.put_project_names(key, text)
    assert cache.get_project_names(key) == text
    # The form before this one: a JSON list in the body, no "form" in the entry's metadata.
    cache._store.write(
        "names", key, {}, json.dumps({"fetched_at": time.time(), "names": []}).encode()
    )
    assert cache.get_project_names(key) is None
    cache._store.write("names", key, {"form": "lines", "fetched_at": time.time() - 90000}, b"\na\n")
    assert cache.get_project_names(key) is None  # older than a day


# -- the search against a real index ----------------------------------------------------------


def test_a_swapped_letter_is_found_by_probes_without_the_list(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_wheel("requests", "1.0"))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        found = client.suggest_names("reqeusts")
    assert found.names == ("requests",) and found.gave_up_after is None
    assert index_server.count("/simple/") == 0  # the list of every project was not needed
    assert index_server.count("/simple/requests/", method="HEAD") == 1


def test_a_mistyped_letter_reads_the_list_once_then_the_cache(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_wheel("requests", "1.0"))
    index_server.add(make_wheel("rich", "1.0"))
    events = EventLog()
    with make_client([index_server.simple_url], cache_dir=tmp_path, reporter=events) as client:
        assert client.suggest_names("requesxs").names == ("requests",)
    assert index_server.count("/simple/") == 1
    progress = [e for e in events if isinstance(e, ProjectListProgress)]
    assert progress[0].received == 0 and progress[0].names is None
    assert progress[-1].names == 2 and progress[-1].received > 0
    requests_before = len(index_server.requests)
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        assert client.suggest_names("ricj").names == ("rich",)
    assert len(index_server.requests) == requests_before  # the cached list answered alone


def test_a_slow_list_is_given_up_on_at_the_bound(index_server: IndexServer, tmp_path: Path) -> None:
    for number in range(50):
        index_server.add(make_wheel(f"project-{number}", "1.0"))
    index_server.inject("/simple/", Drip(0.05), times=None)  # about 2 minutes for the list
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        start = time.monotonic()
        found = client.suggest_names("projetc-x", wait=1.0)
        took = time.monotonic() - start
    assert found.names == () and found.gave_up_after == 1.0
    assert took < 5  # the bound (1 s) and a generous margin; never the list's two minutes
    assert not list(tmp_path.rglob("names/*/*.json"))  # a partial list is never cached


def test_offline_only_the_cached_list_is_searched(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_wheel("requests", "1.0"))
    with make_client([index_server.simple_url], cache_dir=tmp_path, offline=True) as client:
        assert client.suggest_names("reqeusts").names == ()
    assert index_server.requests == []


def test_a_failing_list_on_one_index_leaves_the_others(
    make_index: IndexFactory, tmp_path: Path
) -> None:
    broken, working = make_index(), make_index()
    working.add(make_wheel("requests", "1.0"))
    broken.inject("/simple/*", Status(500), times=None)
    with make_client([broken.simple_url, working.simple_url], cache_dir=tmp_path) as client:
        assert client.suggest_names("requesxs").names == ("requests",)


# -- an index URL that is not an index --------------------------------------------------------


def test_a_root_that_answers_404_is_a_wrong_index_url(
    index_server: IndexServer, tmp_path: Path
) -> None:
    from lockctl.errors import WrongIndexURL
    from lockctl.index import ProjectNotFound

    index_server.add(make_wheel("requests", "1.0"))
    wrong = index_server.url + "/wrong/"
    with make_client([wrong], cache_dir=tmp_path) as client:
        assert isinstance(client.project("requests"), ProjectNotFound)
        with pytest.raises(WrongIndexURL) as raised:
            client.check_index_roots()
    assert raised.value.status == 404 and raised.value.projects == 1
    assert raised.value.exit_code == 2 and "/wrong/" in raised.value.url
    with make_client([index_server.simple_url], cache_dir=tmp_path / "right") as client:
        assert isinstance(client.project("absent"), ProjectNotFound)
        client.check_index_roots()  # the root lists projects: only the project is missing
