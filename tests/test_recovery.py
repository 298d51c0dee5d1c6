"""Index self-check: a damaged pointer or version falls back to the newest healthy version, ingest repairs it,
and with no healthy version the CLI and the API say so clearly (JSON 503), never a traceback."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from advisor import cli
from advisor.advisor import Advisor
from advisor.errors import IndexBrokenError
from api.app import create_app

from .api import wait_until_ready
from .conftest import SYNTHETIC_DOC

QUESTION = "Waarom is mandaat belangrijk voor een samenwerkingsverband?"


@pytest.fixture
def two_versions(hash_settings, corpus_dir):
    """(settings, older version, current version): two published versions on disk."""
    first = Advisor(hash_settings).ingest().version
    (corpus_dir / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    second = Advisor(hash_settings).ingest().version
    assert first != second
    return hash_settings, first, second


def _damage(settings, version: str, how: str) -> None:
    data = settings.data_dir
    if how == "empty CURRENT":
        (data / "CURRENT").write_text("", encoding="utf-8")
    elif how == "garbage CURRENT":
        (data / "CURRENT").write_bytes(b"\x00\xffnot json{")
    elif how == "CURRENT names nothing":
        (data / "CURRENT").write_text(json.dumps({"version": "../../etc"}), encoding="utf-8")
    elif how == "truncated chroma.sqlite3":
        db = data / "versions" / version / "chroma.sqlite3"
        db.write_bytes(db.read_bytes()[:4096])
    elif how == "deleted version folder":
        import shutil

        shutil.rmtree(data / "versions" / version)


DAMAGE = ["empty CURRENT", "garbage CURRENT", "CURRENT names nothing", "truncated chroma.sqlite3",
          "deleted version folder"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_index_falls_back_to_the_newest_healthy_version_and_ingest_repairs_it(two_versions, how, caplog):
    settings, first, second = two_versions
    _damage(settings, second, how)
    advisor = Advisor(settings)
    answer = advisor.ask(QUESTION)
    assert answer.answered
    expected = second if "CURRENT" in how else first  # a bad pointer: the newest version is still healthy
    assert advisor.snapshot().version == expected
    assert any("terugval op de laatste gezonde versie" in r.getMessage() for r in caplog.records)
    report = Advisor(settings).ingest()
    assert report.notes and report.version not in (first, second)  # rebuilt and published anew
    healthy = Advisor(settings)
    assert healthy.store.current().version == report.version and healthy.ask(QUESTION).answered
    assert Advisor(settings).ingest().notes == []  # repaired: the next ingest finds nothing wrong


@pytest.mark.parametrize("damage", [["garbage CURRENT", "deleted version folder"], ["truncated chroma.sqlite3"]])
def test_without_a_healthy_version_cli_and_api_say_so_and_ingest_rebuilds(hash_settings, damage, monkeypatch, capsys):
    version = Advisor(hash_settings).ingest().version
    for how in damage:
        _damage(hash_settings, version, how)
    with pytest.raises(IndexBrokenError, match="advisor ingest"):
        Advisor(hash_settings).ask(QUESTION)
    with TestClient(create_app(hash_settings, advisor=Advisor(hash_settings))) as client:
        assert client.get("/readyz").status_code == 503
        res = client.post("/v1/chat", json={"question": QUESTION})
        assert res.status_code == 503 and res.json()["error"]["code"] == "index_broken"
        assert "beschadigd" in res.json()["error"]["message"]
        assert client.get("/v1/documents").json()["error"]["code"] == "index_broken"
        assert client.get("/").status_code == 200  # the demo page still renders, without its FAQ
    for name, value in (("CORPUS_DIR", hash_settings.corpus_dir), ("DATA_DIR", hash_settings.data_dir),
                        ("EMBEDDER", "hash"), ("RETRIEVAL__REFUSE", "false")):
        monkeypatch.setenv(f"ADVISOR_{name}", str(value))
    assert cli.main(["ask", QUESTION]) == 1
    assert "advisor ingest" in capsys.readouterr().err
    assert cli.main(["ingest", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "geen gezonde indexversie over" in err
    assert cli.main(["ask", "--json", QUESTION]) == 0
    assert json.loads(capsys.readouterr().out)["answered"] is True


def test_an_unwritable_data_dir_does_not_stop_the_service(hash_settings, tmp_path):
    Advisor(hash_settings).ingest()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")  # nothing can be created below a file (root ignores chmod)
    settings = hash_settings.model_copy(update={"feedback_db": blocker / "feedback.sqlite3"})
    with TestClient(create_app(settings, advisor=Advisor(settings))) as client:
        wait_until_ready(client)
        assert client.post("/v1/chat", json={"question": QUESTION}).status_code == 200
        res = client.post("/v1/feedback", json={"answer_id": "abc", "rating": "up"})
        assert res.status_code == 503 and res.json()["error"]["message"].startswith("Feedback kan")
