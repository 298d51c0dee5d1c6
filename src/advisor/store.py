"""Versioned vector store over Chroma (the only module that imports chromadb).

Every ingest writes a complete new *version* and then flips a pointer, so readers only ever see
a fully built index:
- embedded mode: each version is its own Chroma persist directory under ``data_dir/versions/``;
  the pointer is ``data_dir/CURRENT`` (written to a temp file, fsynced, then ``os.replace``d);
- server mode (``chroma_url``): each version is a collection ``advisor-<version>``; the pointer is
  the metadata of the collection ``advisor-meta`` (one atomic ``modify``), so every API worker
  talking to the same server sees the same version.
An interrupted ingest leaves an unpublished version that is never read and is removed by the next one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlparse

import numpy as np

from .errors import ConfigurationError, IndexBrokenError

_PREFIX = "advisor-"
_META = "advisor-meta"
_EMBEDDED_COLLECTION = "chunks"
_STAMP = "advisor-version.json"  # in each embedded version folder: what it was built with (for a fallback)


@dataclass(frozen=True)
class Pointer:
    """The published version, the embedder it was built with, and earlier published versions."""

    version: str
    embedder: str
    history: tuple[str, ...] = ()  # published versions, oldest first, current last


@dataclass(frozen=True)
class StoredRecords:
    ids: list[str]
    documents: list[str]
    metadatas: list[dict[str, Any]]
    embeddings: np.ndarray | None = None


def new_version_id() -> str:
    """Sortable, unique version ids (time first, then randomness for concurrent writers). The seconds and the
    milliseconds come from one clock reading: two readings could straddle a second and sort a later version
    first ("…31880" after "…31001" for 31.880 and 32.001)."""
    now = time.time()
    return f"v{time.strftime('%Y%m%d%H%M%S', time.localtime(now))}{int(now * 1000) % 1000:03d}-{secrets.token_hex(3)}"


def _chroma_settings():
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


class VectorStore:
    """Chunks with their embeddings, one Chroma collection per index version."""

    def __init__(self, data_dir: Path, chroma_url: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.chroma_url = chroma_url
        self._clients: dict[str, Any] = {}
        self._server = None
        if chroma_url:
            parsed = urlparse(chroma_url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ConfigurationError(f"ADVISOR_CHROMA_URL must look like http://host:port, got {chroma_url!r}")

    # -- clients ---------------------------------------------------------------------------
    def _server_client(self):
        if self._server is None:
            import chromadb

            parsed = urlparse(self.chroma_url or "")
            try:
                self._server = chromadb.HttpClient(
                    host=parsed.hostname,
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=_chroma_settings(),
                )
            except Exception as exc:  # noqa: BLE001 - connection errors come in many types
                raise ConfigurationError(f"cannot reach the Chroma server at {self.chroma_url}: {exc}") from exc
        return self._server

    def _collection(self, version: str, *, create: bool = False):
        if self.chroma_url:
            client = self._server_client()
            name = _PREFIX + version
        else:
            client = self._clients.get(version)
            if client is None:
                import chromadb

                path = self.data_dir / "versions" / version
                if not create and not path.is_dir():
                    raise ConfigurationError(f"index version {version} is missing from {path}")
                client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
                self._clients[version] = client
            name = _EMBEDDED_COLLECTION
        if create:
            return client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        return client.get_collection(name, embedding_function=None)

    # -- the pointer -----------------------------------------------------------------------
    def current(self) -> Pointer | None:
        """The published version, or None before the first ingest."""
        if self.chroma_url:
            meta = self._server_client().get_or_create_collection(_META, embedding_function=None).metadata or {}
            if not meta.get("version"):
                return None
            history = tuple(h for h in str(meta.get("history", "")).split(",") if h)
            return Pointer(str(meta["version"]), str(meta.get("embedder", "")), history)
        path = self.data_dir / "CURRENT"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            pointer = Pointer(str(data["version"]), str(data.get("embedder", "")),
                              tuple(str(h) for h in data.get("history", ())))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:  # empty, garbage, wrong shape
            raise IndexBrokenError(f"{path} is unreadable ({type(exc).__name__})") from None
        if not pointer.version or "/" in pointer.version or pointer.version.startswith("."):
            raise IndexBrokenError(f"{path} names no valid version")
        return pointer

    # -- self-check ------------------------------------------------------------------------
    def problem(self, version: str) -> str | None:
        """Why `version` cannot be read (missing folder, damaged database, ...), or None when it reads."""
        try:
            collection = self._collection(version)
            collection.count()
            collection.get(limit=1, include=["metadatas"])
        except Exception as exc:  # noqa: BLE001 - every way of failing means: not usable
            self._clients.pop(version, None)
            return f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
        return None

    def healthy(self, index_key: str) -> tuple[Pointer | None, list[str]]:
        """The published pointer if its version reads; else the newest earlier version built with `index_key`
        that reads (a fallback); else None. Also what was wrong, one line each (Dutch, for operators)."""
        notes: list[str] = []
        try:
            pointer = self.current()
        except IndexBrokenError as exc:
            pointer = None
            notes.append(f"de indexwijzer is beschadigd ({exc})")
        else:
            if pointer is None:
                return None, notes
            if pointer.embedder != index_key:
                return pointer, notes  # built with another embedder: the caller explains that
            problem = self.problem(pointer.version)
            if problem is None:
                return pointer, notes
            notes.append(f"indexversie {pointer.version} is onbruikbaar ({problem})")
        history = pointer.history if pointer else ()
        trusted_history = pointer is not None and pointer.embedder == index_key
        candidates = list(dict.fromkeys([*reversed(history), *reversed(self.versions())]))
        for version in candidates:
            if pointer is not None and version == pointer.version:
                continue
            stamp = self._stamp(version)
            if not (stamp == index_key or (stamp is None and trusted_history and version in history)):
                continue  # built with another embedder, or never published: not a fallback
            if self.problem(version) is None:
                notes.append(f"terugval op de laatste gezonde versie {version}")
                return Pointer(version, index_key, tuple(v for v in history if v != version) + (version,)), notes
        if notes:
            notes.append("geen gezonde indexversie over: `advisor ingest` bouwt de index opnieuw op")
        return None, notes

    def _stamp(self, version: str) -> str | None:
        """The index key a version folder was built with (None: not recorded, e.g. a server collection)."""
        if self.chroma_url:
            return None
        try:
            return str(json.loads((self.data_dir / "versions" / version / _STAMP).read_text("utf-8"))["embedder"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def publish(self, version: str, embedder: str) -> None:
        """Make `version` the one every reader uses, in one atomic step."""
        try:
            previous = self.current()
        except IndexBrokenError:
            previous = None  # a damaged pointer is replaced by this one
        history = [*(previous.history if previous else ()), version][-20:]
        if self.chroma_url:
            meta = self._server_client().get_or_create_collection(_META, embedding_function=None)
            meta.modify(metadata={"version": version, "embedder": embedder, "published": time.time(),
                                  "history": ",".join(history)})
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        stamp = self.data_dir / "versions" / version / _STAMP
        if stamp.parent.is_dir():
            stamp.write_text(json.dumps({"embedder": embedder}), encoding="utf-8")
        tmp = self.data_dir / f".CURRENT.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"version": version, "embedder": embedder, "published": time.time(), "history": history}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.data_dir / "CURRENT")
        dir_fd = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    # -- writing ---------------------------------------------------------------------------
    def create(self, version: str) -> None:
        self._collection(version, create=True)

    def add(self, version: str, ids: Sequence[str], embeddings: np.ndarray, documents: Sequence[str],
            metadatas: Sequence[dict[str, Any]], batch_size: int = 500) -> None:
        collection = self._collection(version)
        for start in range(0, len(ids), batch_size):
            end = start + batch_size
            collection.add(
                ids=list(ids[start:end]),
                embeddings=np.asarray(embeddings[start:end], dtype=np.float32),
                documents=list(documents[start:end]),
                metadatas=list(metadatas[start:end]),
            )

    # -- reading ---------------------------------------------------------------------------
    def read(self, version: str, *, embeddings: bool = False, where: dict | None = None) -> StoredRecords:
        include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
        got = self._collection(version).get(include=include, where=where)
        emb = np.asarray(got["embeddings"], dtype=np.float32) if embeddings and len(got["ids"]) else None
        return StoredRecords(list(got["ids"]), list(got["documents"]), list(got["metadatas"]), emb)

    def query(self, version: str, embedding: np.ndarray, k: int, *, where: dict | None = None
              ) -> list[tuple[str, float]]:
        """The k nearest chunk ids with cosine similarity (1 - cosine distance), optionally filtered."""
        collection = self._collection(version)
        n = min(k, collection.count())
        if n == 0:
            return []
        res = collection.query(query_embeddings=[np.asarray(embedding, dtype=np.float32)], n_results=n,
                               include=["distances"], where=where)
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

    # -- housekeeping ----------------------------------------------------------------------
    def versions(self) -> list[str]:
        if self.chroma_url:
            names = [c if isinstance(c, str) else c.name for c in self._server_client().list_collections()]
            return sorted(n[len(_PREFIX):] for n in names if n.startswith(_PREFIX + "v"))
        root = self.data_dir / "versions"
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def drop(self, version: str) -> None:
        """Delete one version (never the published one)."""
        try:
            current = self.current()
        except IndexBrokenError:
            current = None
        if current and current.version == version:
            raise ConfigurationError("refusing to drop the published index version")
        if self.chroma_url:
            try:
                self._server_client().delete_collection(_PREFIX + version)
            except Exception:  # noqa: BLE001 - already gone is fine
                pass
            return
        client = self._clients.pop(version, None)
        if client is not None:
            try:
                client.clear_system_cache()
            except Exception:  # noqa: BLE001
                pass
        shutil.rmtree(self.data_dir / "versions" / version, ignore_errors=True)

    def prune(self, keep: int, *, protect: Sequence[str] = ()) -> list[str]:
        """Keep the newest `keep` published versions; drop older ones and abandoned (never published) ones."""
        current = self.current()
        if current is None:
            return []
        kept = set(current.history[-keep:]) | {current.version} | set(protect)
        dropped = [v for v in self.versions() if v not in kept]
        for version in dropped:
            self.drop(version)
        return dropped
