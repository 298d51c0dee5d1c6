"""The `advisor` command: ingest | ask | serve | eval | bench | train | insights | faq. Heavy imports happen inside the commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _advisor():
    from .advisor import Advisor

    return Advisor.from_settings()


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if args.show:
        return cmd_show(args)
    advisor = _advisor()
    if args.gate:
        return cmd_gated_ingest(args, advisor)
    bar = tqdm(total=0, unit="doc", desc="indexeren", disable=args.quiet, file=sys.stderr)

    def progress(done: int, total: int, path: str) -> None:
        bar.total = total
        bar.set_postfix_str(path[-40:])
        bar.update(done - bar.n)

    report = advisor.ingest(Path(args.path) if args.path else None, progress=progress)
    bar.close()
    for note in report.notes:
        print(f"advisor: index: {note}", file=sys.stderr)
    if args.json:
        from dataclasses import asdict

        print(json.dumps(asdict(report), ensure_ascii=False, indent=2))
        return 0
    if not report.changed_anything and not report.embedded_chunks:
        print(f"Nothing changed: {report.documents} documents, {report.chunks} chunks (version {report.version}).")
    else:
        print(f"Published version {report.version}: {report.documents} documents, {report.chunks} chunks "
              f"({report.embedded_chunks} embedded) in {report.seconds:.1f}s.")
        for label, items in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
            if items:
                print(f"  {label}: {', '.join(items)}")
    for skipped in report.skipped:
        print(f"  skipped {skipped.path}: {skipped.reason}")
    for issue in report.metadata_issues:
        print(f"  metadata {issue.path}: {issue.field}: {issue.reason}")
    for flagged in report.flagged:
        print(f"  left out of {flagged.path} ({flagged.reason}): {flagged.text[:100]}")
    return 0


def cmd_gated_ingest(args: argparse.Namespace, advisor) -> int:
    """Stage, run the serving corpus's eval sets against the staged version, publish only within the bounds."""
    from .gate import gated_ingest

    result = gated_ingest(advisor, Path(args.path) if args.path else None,
                          thresholds=Path(args.thresholds) if args.thresholds else None,
                          config=Path(args.config) if args.config else None)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    elif result.staged is None:
        print(f"Nothing changed: version {result.version} keeps serving.")
    elif result.published:
        print(f"Gate passed ({', '.join(result.datasets) or 'no datasets'}): published version {result.version}.")
    else:
        print(f"Gate FAILED: version {result.staged} was NOT published; {result.version} keeps serving.")
        for failure in result.failures:
            print(f"  {failure}")
        print(f"  what would get worse: {result.report}")
    for warning in result.warnings:
        print(f"  warning: {warning}", file=sys.stderr)
    return 0 if result.published or result.staged is None else 3


def _database():
    from .db import Database
    from .settings import get_settings

    return Database.from_settings(get_settings())


def _since(args: argparse.Namespace):
    """The --since period, or None after printing why it is not one."""
    from .insights import parse_since

    try:
        return parse_since(args.since)
    except ValueError as exc:
        print(f"advisor: {exc}", file=sys.stderr)
        return None


def cmd_insights(args: argparse.Namespace) -> int:
    from .insights import build_insights
    from .insights_report import write_insights
    from .settings import get_settings

    since = _since(args)
    if since is None:
        return 2
    settings = get_settings()
    db = _database()
    db.purge(feedback_days=settings.security.feedback_retention_days, analytics_days=settings.analytics.retention_days)
    data = build_insights(db, _advisor(), since=since)
    paths = write_insights(data, Path(args.out))
    t = data["totals"]
    print(f"{t['questions']} questions since {data['since'][:10]}: {t['answered']} answered, {t['unanswered']} not in "
          f"the sources ({len(data['unanswered_topics'])} topics) -> {paths[1]}")
    for topic in data["unanswered_topics"][:5]:
        print(f"  {topic['size']:4}  {topic['questions'][0]}")
    return 0


def cmd_faq_suggest(args: argparse.Namespace) -> int:
    """The most-asked answered topics as a question file for `advisor faq build --questions`."""
    from .insights import build_insights

    since = _since(args)
    if since is None:
        return 2
    data = build_insights(_database(), _advisor(), since=since)
    questions = data["faq_suggestions"][:args.limit]
    text = "# Voorgesteld door `advisor faq suggest` (meest gestelde beantwoorde onderwerpen)\n" + \
        "".join(q + "\n" for q in questions)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote {len(questions)} questions to {args.out}; next: advisor faq build --questions {args.out} ...")
    else:
        print(text, end="")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """How one document was read: metadata, blocks with their kind, and what was dropped and why."""
    from .corpus import load_corpus
    from .settings import get_settings

    path = Path(args.show)
    root = Path(args.path) if args.path else (path.parent if path.is_file() else get_settings().corpus_dir)
    documents, skipped = load_corpus(root)
    wanted = [d for d in documents if d.id == args.show or d.path == args.show or Path(root, d.path) == path
              or Path(d.path).name == path.name]
    if not wanted:
        reasons = [f"{s.path}: {s.reason}" for s in skipped if Path(s.path).name == path.name]
        print(f"advisor: {args.show} is not a document of {root}" + (f" ({reasons[0]})" if reasons else ""),
              file=sys.stderr)
        return 1
    doc = wanted[0]
    if args.json:
        from dataclasses import asdict

        print(json.dumps({"id": doc.id, "title": doc.title, "metadata": doc.metadata,
                          "blocks": [asdict(b) for b in doc.blocks], "dropped": doc.dropped},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"{doc.id}  ({doc.path})\n  title: {doc.title}")
    for key in ("author", "date", "url", "publisher", "kind", "format"):
        print(f"  {key}: {doc.metadata.get(key, '-')}")
    print("blocks:")
    for block in doc.blocks:
        where = " > ".join(block.headings)
        print(f"  [{block.kind}] {block.text[:100]}" + (f"   ({where})" if where and block.kind != "heading" else ""))
        for item in block.items:
            print(f"      - {item[:96]}")
    print("dropped:")
    for text, reason in doc.dropped:
        print(f"  ({reason}) {text[:100]}")
    return 0


# Blind sets whose errors were looked at count as dev (evals/README.md): they join dev where thresholds are chosen.
# Of those, the older ones are fitted on (more documents and phrasings to learn from), the newer ones judge.
DEFAULT_ALSO_TRAIN = ("test", "test2", "test3", "test4")
DEFAULT_ALSO_DEV = ("test5", "test6")
DEFAULT_GUARDRAILS = ("evals/guardrails/train.jsonl", "evals/guardrails/train2.jsonl", "evals/guardrails/test.jsonl",
                      "evals/guardrails/test2.jsonl", "evals/guardrails/test3.jsonl", "evals/guardrails/test4.jsonl",
                      "evals/guardrails/test5.jsonl", "evals/guardrails/test6.jsonl")


def cmd_train(args: argparse.Namespace) -> int:
    import itertools
    import tempfile

    from .advisor import Advisor
    from .evaluation import resolve_dataset
    from .settings import get_settings
    from .train import train

    settings = get_settings()
    def named(names: list[str] | None, default: tuple[str, ...]) -> list[tuple[str, Path, Path]]:
        out = []
        for name in names if names is not None else default:
            if name != "none":
                spec = resolve_dataset(name)
                out.append((name, spec.path, spec.corpus))
        return out
    with tempfile.TemporaryDirectory(prefix="advisor-train-") as tmp:
        made = itertools.count()

        def make_advisor(corpus: Path) -> Advisor:  # one index per set (every set's folder is called "corpus")
            run = settings.model_copy(update={"data_dir": Path(tmp) / f"{next(made)}-{corpus.name}",
                                              "corpus_dir": corpus,
                                              "chroma_url": None, "refresh_seconds": 0})
            advisor = Advisor(run)
            advisor.ingest(corpus)
            return advisor

        train(make_advisor=make_advisor, train_items=Path(args.train), train_corpus=Path(args.train_corpus),
              dev_items=Path(args.dev), dev_corpus=Path(args.dev_corpus),
              guardrails=[Path(p) for p in args.guardrails or DEFAULT_GUARDRAILS], intents=Path(args.intents),
              also_train=named(args.also_train, DEFAULT_ALSO_TRAIN), also_dev=named(args.also_dev, DEFAULT_ALSO_DEV),
              out=Path(args.out) if args.out else Path(__file__).parent / "models", limit=args.limit)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    advisor = _advisor()
    turns = json.loads(Path(args.turns).read_text(encoding="utf-8")) if args.turns else []
    answer = advisor.ask(args.question, turns=turns)
    if args.json:
        print(answer.model_dump_json(indent=2))
        return 0
    print(answer.answer)
    for c in answer.citations:
        print(f"\n[{c.n}] {c.title}" + (f" — {c.url}" if c.url else "") + (f" (p. {c.page})" if c.page else ""))
        print(f"    “{c.quote}”")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .settings import get_settings

    settings = get_settings()
    if args.workers > 1 and not settings.chroma_url:
        # Each worker would open the embedded Chroma files on its own; several processes on one embedded
        # store are not supported by Chroma. A Chroma server gives every worker the same index version.
        print("advisor: --workers > 1 needs a Chroma server (set ADVISOR_CHROMA_URL, e.g. `chroma run --path "
              "DIR --port 8001`); the embedded store serves one worker.", file=sys.stderr)
        return 2
    # X-Forwarded-For is believed only from the configured proxies (uvicorn's own default trusts 127.0.0.1).
    proxies = settings.security.forwarded_allow_ips
    uvicorn.run("api.app:create_app", factory=True, host=args.host or settings.host, port=args.port or settings.port,
                workers=args.workers, log_level="info", access_log=False, proxy_headers=bool(proxies),
                forwarded_allow_ips=list(proxies) or None)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.load:
        from .loadtest import format_load, run_load

        result = run_load(args.url, clients=args.clients, requests=args.requests, duration_s=args.duration,
                          pid=args.pid, key=args.key)
        print(format_load(result))
        return 0 if result["errors"] == 0 else 1
    from .bench import run_bench

    run_bench(corpus=Path(args.corpus) if args.corpus else None, repeat=args.repeat,
              questions_file=Path(args.questions) if args.questions else None)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    import time
    import tomllib

    from tqdm import tqdm

    from .evaluation import check_thresholds, compare_reports, evaluate, resolve_dataset
    from .report import column_labels, headline_table, write_reports
    from .settings import get_settings

    if args.guardrails:
        from .decision import Models
        from .embeddings import make_embedder
        from .evaluation import evaluate_guardrail

        settings = get_settings()
        embedder = make_embedder(settings.embedder, settings.embedding_model)
        result = evaluate_guardrail(Path(args.guardrails), embedder.embed_query, Models.load(settings.models_dir))
        print(f"guardrail on {args.guardrails}: {result['items']} phrasings")
        print(f"  harmful recall (crime, legal, injection)  {result['harmful_recall']:.3f}")
        for label, value in result["by_label"].items():
            print(f"  {label:40} {value:.3f}" + ("  (benign answered)" if label == "benign" else "  (refused)"))
        print(f"  benign look-alikes refused               {result['lookalikes_refused']:.3f}")
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            (Path(args.out) / "guardrail.json").write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                                           encoding="utf-8")
        return 0
    if args.ablations:
        from .ablation import run_ablations

        for name in args.dataset or ["corpus", "multi"]:
            print(f"{name}: retrieval ablations (answerable items)")
            for variant, metrics in run_ablations(resolve_dataset(name), get_settings()).items():
                print(f"  {variant:26} R@5 {metrics['recall_at_5']:.3f}  MRR {metrics['mrr']:.3f}  "
                      f"nDCG@10 {metrics['ndcg_at_10']:.3f}")
        return 0
    failures: list[str] = []
    for name in args.dataset or ["corpus", "multi"]:
        spec = resolve_dataset(name)
        from .evaluation import load_dataset

        count = len(load_dataset(spec.path))
        count = min(count, args.limit) if args.limit else count
        total = (4 if args.composer == "llm" else 3) * count * 2
        with tqdm(total=total, desc=f"eval {spec.name}", unit="vraag", file=sys.stderr, disable=args.quiet) as bar:
            report = evaluate(spec, get_settings(), progress=lambda: bar.update(1), composer=args.composer,
                              limit=args.limit)
        comparison = None
        if args.compare:
            old = json.loads(Path(args.compare).read_text(encoding="utf-8"))
            comparison = compare_reports(old, report) if old.get("dataset") == report["dataset"] else None
        out = Path(args.out) if args.out else Path("evals/reports") / time.strftime("%Y%m%d-%H%M%S")
        paths = write_reports(report, out / spec.name if len(args.dataset or [1, 2]) > 1 else out, comparison)
        print(f"\n{spec.name}: {report['items']} items -> {paths[0].parent}")
        print(f"  {'metric':38} " + " ".join(f"{c:>14}" for c in column_labels(report)))
        for label, *values in headline_table(report):
            print(f"  {label:38} " + " ".join(f"{v:>14}" for v in values))
        if comparison:
            for key, (was, now) in comparison["deltas"].items():
                if was is not None and now is not None and abs(now - was) > 1e-9:
                    print(f"  Δ {key}: {was:.3f} -> {now:.3f} ({now - was:+.3f})")
            for item in comparison["changed"]:
                print(f"  changed {item['id']}: answered {item['before']} -> {item['after']}, "
                      f"facts {item['facts_before']} -> {item['facts_after']}")
        if report.get("composer") == "llm":
            reasons = report["advisor"]["summary"].get("fallback_reasons", {})
            print(f"  fallbacks by reason: {reasons or 'none'}")
        print("  LLM-judge metrics (RAGAS faithfulness, answer relevancy): not computed here (no judge model); "
              f"run them on {paths[3]} with a judge of your choice.")
        if args.gate:
            thresholds = tomllib.loads(Path(args.thresholds).read_text(encoding="utf-8"))
            failures += check_thresholds(report, thresholds)
    if failures:
        print("\nQuality gate FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 3
    if args.gate:
        print("\nQuality gate passed.")
    return 0


def cmd_faq_build(args: argparse.Namespace) -> int:
    import html

    from .faq import read_questions, render_faq

    questions = read_questions(Path(args.questions).read_text(encoding="utf-8").splitlines())
    advisor = _advisor()
    pairs = [(q, advisor.ask(q)) for q in questions]
    fragment = render_faq(pairs, title=args.title)
    if args.page:
        fragment = (f'<!doctype html>\n<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" '
                    f'content="width=device-width, initial-scale=1"><title>{html.escape(args.title)}</title></head>'
                    f"<body><main>{fragment}</main></body></html>\n")
    Path(args.out).write_text(fragment, encoding="utf-8")
    refused = sum(1 for _, a in pairs if not a.answered)
    print(f"Wrote {len(pairs)} questions to {args.out} ({refused} without an answer in the sources).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="advisor", description="Dutch advisor over your own publications.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index the corpus (only what changed) and publish a new version")
    p.add_argument("path", nargs="?", help="corpus folder (default: ADVISOR_CORPUS_DIR or ./corpus)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--show", metavar="DOC", help="print how one document is read (metadata, blocks, what was "
                   "dropped and why) instead of indexing; DOC is a path, file name or document id")
    p.add_argument("--gate", action="store_true", help="stage the new version, run the eval sets of this corpus "
                   "against it and publish only if no gated metric falls below the thresholds (exit 3 if refused)")
    p.add_argument("--thresholds", help="with --gate: bounds file (default evals/thresholds.toml)")
    p.add_argument("--config", help="with --gate: datasets file (default evals/config.toml)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("insights", help="content-team report: unanswered topics, thumbs-down, FAQ candidates, "
                       "citations, volume")
    p.add_argument("--since", default="30d", help="period back from now: 12h, 30d, 2w (default 30d)")
    p.add_argument("--out", default="insights", help="folder for insights.html and insights.json")
    p.set_defaults(func=cmd_insights)

    p = sub.add_parser("train", help="fit the decision models on evals/train, choose thresholds on evals/dev")
    p.add_argument("--train", default="evals/train/items")
    p.add_argument("--train-corpus", default="evals/train/corpus")
    p.add_argument("--dev", default="evals/dev/items")
    p.add_argument("--dev-corpus", default="evals/dev/corpus")
    p.add_argument("--also-dev", action="append", metavar="DATASET",
                   help="a dataset of evals/config.toml that joins dev for choosing thresholds (repeatable; default: "
                        f"the blind sets that were looked at since, {', '.join(DEFAULT_ALSO_DEV)}; "
                        "--also-dev none for evals/dev alone)")
    p.add_argument("--also-train", action="append", metavar="DATASET",
                   help="a dataset of evals/config.toml whose items join train (repeatable; default: the oldest "
                        f"blind sets that were looked at since, {', '.join(DEFAULT_ALSO_TRAIN)}; "
                        "--also-train none for evals/train alone)")
    p.add_argument("--guardrails", action="append", metavar="JSONL",
                   help="labelled guardrail phrasings (repeatable; default: " + ", ".join(DEFAULT_GUARDRAILS) + ")")
    p.add_argument("--intents", default="evals/intents/train.jsonl")
    p.add_argument("--out", help="folder for the model files (default: the package's advisor/models)")
    p.add_argument("--limit", type=int, help="use only the first N items of each set (a quick check)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("ask", help="ask a question in Dutch")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the Answer contract as JSON")
    p.add_argument("--turns", help="JSON file with earlier turns [{role, content}, ...]")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="serve the HTTP API")
    p.add_argument("--host", help="default ADVISOR_HOST or 127.0.0.1")
    p.add_argument("--port", type=int, help="default ADVISOR_PORT or 8000")
    p.add_argument("--workers", type=int, default=1, help="worker processes (use a Chroma server for >1)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("faq", help="static 'Meer weten?' Q&A (works without JavaScript)")
    faq_sub = p.add_subparsers(dest="faq_command", required=True)
    p = faq_sub.add_parser("build", help="answer a list of questions and write an accessible HTML section")
    p.add_argument("--questions", required=True, help="text file: one question per line (# comments allowed)")
    p.add_argument("--out", required=True, help="HTML file to write")
    p.add_argument("--title", default="Meer weten?")
    p.add_argument("--page", action="store_true", help="write a complete HTML page instead of a fragment")
    p.set_defaults(func=cmd_faq_build)
    p = faq_sub.add_parser("suggest", help="propose FAQ questions from the most-asked answered topics")
    p.add_argument("--since", default="30d", help="period back from now (default 30d)")
    p.add_argument("--limit", type=int, default=10, help="questions at most")
    p.add_argument("--out", help="question file to write (default: print)")
    p.set_defaults(func=cmd_faq_suggest)

    p = sub.add_parser("eval", help="answer-quality evaluation, advisor and a naive baseline side by side")
    p.add_argument("--dataset", action="append", help="name in evals/config.toml or a JSONL path (repeatable; "
                   "default: corpus and multi)")
    p.add_argument("--compare", help="an earlier report.json: print metric deltas and changed items")
    p.add_argument("--out", help="output folder (default evals/reports/<timestamp>/)")
    p.add_argument("--gate", action="store_true", help="fail (exit 3) when a metric misses evals/thresholds.toml")
    p.add_argument("--thresholds", default="evals/thresholds.toml")
    p.add_argument("--ablations", action="store_true", help="retrieval metrics per pipeline variant instead")
    p.add_argument("--guardrails", metavar="JSONL", help="measure the guardrail classifier on held-out labelled "
                   "phrasings instead (e.g. evals/guardrails/test.jsonl)")
    p.add_argument("--composer", choices=("extractive", "llm"), default="extractive",
                   help="who writes the answers: extractive (default) or llm (the chat model of ADVISOR_LLM__*; "
                   "the report then compares it with the extractive composer side by side)")
    p.add_argument("--limit", type=int, help="only the first N items of each dataset (an LLM run is slow)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="measure ingest throughput, query latency and memory against a naive baseline")
    p.add_argument("--corpus", help="folder to ingest (default: the corpus folder)")
    p.add_argument("--questions", help="JSONL with a 'question' per line (default: evals/datasets/corpus.jsonl)")
    p.add_argument("--repeat", type=int, default=3, help="passes over the question list")
    p.add_argument("--load", action="store_true", help="bounded load test of a RUNNING server (loopback only)")
    p.add_argument("--url", default="http://127.0.0.1:8000", help="with --load: the server (127.0.0.1/localhost)")
    p.add_argument("--clients", type=int, default=50, help="with --load: concurrent clients")
    p.add_argument("--requests", type=int, default=5000, help="with --load: total requests at most")
    p.add_argument("--duration", type=float, default=60.0, help="with --load: seconds at most")
    p.add_argument("--pid", type=int, help="with --load: server process whose memory is sampled")
    p.add_argument("--key", help="with --load: widget key sent as X-Advisor-Key (its rate limit applies)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .errors import AdvisorError, InvalidQuestionError

    try:
        return args.func(args)
    except InvalidQuestionError as exc:
        print(f"advisor: {exc.user_message}", file=sys.stderr)
        return 2
    except AdvisorError as exc:
        print(f"advisor: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
