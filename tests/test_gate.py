"""Gated publishing on a real index (e5, embedded Chroma): `advisor ingest --gate` refuses a change that replaces
a key passage and publishes a harmless one; the admin reingest route gates when the setting says so."""

from __future__ import annotations

import json
import sys
import shutil

import pytest
from fastapi.testclient import TestClient

from advisor import cli
from advisor.advisor import Advisor
from advisor.settings import AdvisorSettings, GateSettings, SecuritySettings
from api.app import create_app

from .api import wait_until_ready
from .conftest import BLOG, ROOT, SYNTHETIC_DOC

# The key passage of the "Mandaat om te handelen" section (8 items of the corpus set are written from it).
KEY_PASSAGE = "Betrokkenheid in de vorm van mandaat is belangrijk"
REPLACEMENT = ("In deze paragraaf beschrijven we kort de geschiedenis van de regio en de gebouwen waarin de "
               "organisaties zijn gevestigd. De kantoren liggen verspreid over verschillende steden.")


def _config(tmp_path, corpus) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[datasets.corpus]\npath = "{ROOT / "evals/datasets/corpus.jsonl"}"\ncorpus = "{corpus}"\n',
                    encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_ingest_gate_refuses_a_harmful_change_and_publishes_a_harmless_one(tmp_path, monkeypatch, capsys,
                                                                           e5_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(BLOG, corpus / BLOG.name)
    data = tmp_path / "data"
    advisor = Advisor(AdvisorSettings(corpus_dir=corpus, data_dir=data, refresh_seconds=0), embedder=e5_embedder)
    first = advisor.ingest().version
    monkeypatch.setenv("ADVISOR_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(data))
    monkeypatch.setattr(cli, "_advisor", lambda: Advisor.from_settings(embedder=e5_embedder))
    gate = ["ingest", "--gate", "--json", "--quiet", "--config", _config(tmp_path, corpus),
            "--thresholds", str(ROOT / "evals/thresholds.toml")]

    # 1. A key passage replaced: the gated metrics fall below their bounds, nothing is published.
    text = BLOG.read_text(encoding="utf-8")
    paragraph = next(p for p in text.split("\n\n") if p.startswith(KEY_PASSAGE))
    (corpus / BLOG.name).write_text(text.replace(paragraph, REPLACEMENT), encoding="utf-8")
    assert cli.main(gate) == 3
    refused = json.loads(capsys.readouterr().out)
    print("refused:", refused["failures"], file=sys.stderr)
    assert refused["published"] is False and refused["version"] == first and refused["staged"] != first
    assert refused["failures"] and all(f.startswith("corpus: ") for f in refused["failures"])
    assert advisor.store.current().version == first  # the current version keeps serving
    assert refused["staged"] not in advisor.store.versions()  # the refused version is not left behind
    worse = refused["worse"][0]
    assert worse["dataset"] == "corpus" and worse["changed"]
    assert any(now < was for was, now in worse["deltas"].values())
    report = (tmp_path / "data" / "gate").glob("*/gate.md")
    assert "Publicatie geweigerd" in next(report).read_text(encoding="utf-8")

    # 2. The passage back, plus a new document no eval item covers: published, with a warning naming it.
    shutil.copy(BLOG, corpus / BLOG.name)
    (corpus / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    assert cli.main(gate) == 0
    published = json.loads(capsys.readouterr().out)
    assert published["published"] is True and published["failures"] == []
    assert advisor.store.current().version == published["version"] == published["staged"] != first
    assert any("synthetisch" in w for w in published["warnings"])
    answer = Advisor(advisor.settings, embedder=e5_embedder).ask("Wat legt een convenant vast?")
    assert answer.answered and answer.citations[0].document_id == "synthetisch"


def test_admin_reingest_goes_through_the_gate_when_the_setting_says_so(hash_settings, tmp_path, corpus_dir):
    """Hash embedder: a bound nobody can meet (recall above 1) shows the route refuses and keeps serving."""
    thresholds = tmp_path / "thresholds.toml"
    thresholds.write_text("[corpus]\nmin_recall_at_5 = 1.01\n", encoding="utf-8")
    settings = hash_settings.model_copy(update={
        "security": SecuritySettings(admin_key="adm", rate_per_ip=0),
        "gate": GateSettings(reingest=True, config=tmp_path / "config.toml", thresholds=thresholds)})
    (tmp_path / "config.toml").write_text(_config_text(tmp_path, corpus_dir), encoding="utf-8")
    advisor = Advisor(settings)
    first = advisor.ingest().version
    (corpus_dir / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    with TestClient(create_app(settings, advisor=advisor)) as c:
        wait_until_ready(c)
        res = c.post("/v1/admin/reingest", headers={"X-Advisor-Key": "adm"})
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["published"] is False and body["version"] == first
        assert len(body["failures"]) == 1 and body["failures"][0].startswith("corpus: recall_at_5 = ")
        assert body["failures"][0].endswith("(min 1.01)")
        assert any("synthetisch" in w for w in body["warnings"])
        assert c.get("/readyz").json()["version"] == first


def _config_text(tmp_path, corpus) -> str:
    item = {"id": "g1", "question": "Waarom is mandaat belangrijk?", "kind": "direct", "answerable": True,
            "facts": [["ruggenspraak"]], "documents": ["het-belang-van-betrokken-moederorganisaties"],
            "quotes": ["continu ruggenspraak nodig is"]}
    (tmp_path / "items.jsonl").write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    return f'[datasets.corpus]\npath = "{tmp_path / "items.jsonl"}"\ncorpus = "{corpus}"\nloo = false\n'


def test_the_gate_without_its_files_is_a_clear_error_and_publishes_nothing(hash_settings, tmp_path):
    from advisor.errors import ConfigurationError
    from advisor.gate import gated_ingest

    advisor = Advisor(hash_settings)
    with pytest.raises(ConfigurationError, match="ADVISOR_GATE__CONFIG"):
        gated_ingest(advisor, config=tmp_path / "missing.toml", thresholds=ROOT / "evals/thresholds.toml")
    assert advisor.store.current() is None and advisor.store.versions() == []
