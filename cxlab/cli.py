"""The ``cxlab`` command: sample data, studies, maturity assessments and the site.

Heavy libraries are imported inside each command, so ``cxlab --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cxlab.run import usable_cores
from cxlab.send import MAX_PER_RUN

if TYPE_CHECKING:  # imported by the commands that read a file
    from cxlab.data.validate import ValidationResult

#: Characters of each rejection example printed (the full reason is kept with the row).
EXAMPLE_WIDTH = 300


def _kernel_count(text: str) -> int:
    """``--jobs``: a whole number of at least 1."""
    return _at_least_one(text, "a number of kernels")


def _item_count(text: str) -> int:
    """``--max``: a whole number of at least 1."""
    return _at_least_one(text, "a number of messages")


def _at_least_one(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}: expected a whole number of "
                                         "at least 1")
    return value


def _minutes(text: str) -> float:
    """``--timeout``: a positive number of minutes, fractions allowed."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a time limit: expected a positive "
                                         "number of minutes, such as 10 or 2.5")
    return value


#: From this ``--scale`` up, ``cxlab data sample`` says which client and quarter it is at.
SAMPLE_PROGRESS_SCALE = 10.0


def _cmd_sample(args: argparse.Namespace) -> int:
    from cxlab.data import dataset_dir, make_sample, read_manifest

    show = (lambda line: print(line, file=sys.stderr, flush=True)) \
        if args.scale >= SAMPLE_PROGRESS_SCALE else None
    held = (read_manifest(args.dataset).get("clients", [])
            if (dataset_dir(args.dataset) / "manifest.json").is_file() else [])
    path = make_sample(args.dataset, seed=args.seed, scale=args.scale, clients=args.clients,
                       progress=show, interactions_per_response=args.interactions_per_response)
    print(f"sample data written to {path}")
    gone = sorted(set(held) - set(read_manifest(args.dataset)["clients"]))
    if gone:  # --client writes a dataset of those clients only
        print(f"note: dataset {args.dataset!r} no longer holds {', '.join(gone)}; to keep a "
              "dataset's clients, write others with --dataset NAME", file=sys.stderr)
    return 0


def _print_result(file: str, result: ValidationResult) -> bool:
    """Print what a file gave (counts, reasons, examples); return whether it is usable."""
    summary = result.summary()
    filtered = summary.get("rows_filtered", 0)
    print(f"{file} -> {summary['table']}: {summary['rows_read']:,} rows read, "
          f"{summary['rows_accepted']:,} accepted, {summary['rows_rejected']:,} rejected"
          + (f", {filtered:,} filtered by the mapping" if filtered else ""))
    for note in summary["notes"]:
        print(f"  note: {note}")
    for code, count in summary["reasons"].items():
        print(f"  {count:>6,}  {code}")
        for example in summary["examples"][code]:
            shown = example if len(example) <= EXAMPLE_WIDTH else example[:EXAMPLE_WIDTH] + " ..."
            print(f"          e.g. {shown}")
    stored = summary.get("stored")
    if stored:
        print(f"  stored: {stored['added']:,} added, {stored['updated']:,} updated, "
              f"{stored['unchanged']:,} already there unchanged; {stored['skipped']:,} skipped "
              "(id already stored with other values; rejected, see above)")
    usable = summary["rows_accepted"] > 0
    print("usable: yes" if usable else "usable: no (no row was accepted)")
    return usable


def _file_command(args: argparse.Namespace, name: str,
                  read: Callable[[str], tuple[ValidationResult, Path | None]]) -> int:
    """Run ``read(as_of)`` -> (result, folder or None), print it, exit by usability.

    Exit codes: 0 usable, 1 no row usable, 2 a user error (a :class:`CxlabError`: the file,
    mapping or dataset cannot be used as given, or a file cannot be read or written), 3 a bug
    (any other exception; its traceback is printed, and it is never reported as the user's).
    """
    import datetime

    from cxlab import config
    from cxlab.errors import EXIT_INTERNAL_ERROR, EXIT_USER_ERROR, CxlabError
    from cxlab.fsutil import plain_os_error

    try:
        result, folder = read(args.as_of or datetime.date.today().isoformat())
    except CxlabError as err:
        print(f"cxlab data {name}: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as err:  # a file that cannot be opened, a folder that cannot be written
        print(f"cxlab data {name}: {plain_os_error(err, config.project_root())}",
              file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception:  # noqa: BLE001 - a bug: say so, show where, never blame the input
        traceback.print_exc()
        print(f"cxlab data {name}: internal error (a bug in cxlab or a library it uses, not a "
              "problem with your file); please report it with the traceback above",
              file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    usable = _print_result(args.file, result)
    if folder is not None:
        print(f"written to {folder} (rejected rows in {folder / 'rejected'})")
    return 0 if usable else 1


def _cmd_check(args: argparse.Namespace) -> int:
    from cxlab.data.imports import check_file, known_ids, load_mapping

    if (args.dataset is None) != (args.client is None):
        print("cxlab data check: give --dataset and --client together (to check employee ids "
              "against that client's roster), or neither", file=sys.stderr)
        return 2

    def read(as_of: str) -> tuple[ValidationResult, None]:
        known = (known_ids(args.dataset, args.client, load_mapping(args.mapping).table)
                 if args.dataset else None)
        return check_file(args.file, args.mapping, as_of=as_of, known_ids=known,
                          keep_rows=False), None

    return _file_command(args, "check", read)


def _cmd_import(args: argparse.Namespace) -> int:
    from cxlab.data.imports import import_file

    return _file_command(args, "import", lambda as_of: import_file(
        args.file, args.mapping, args.dataset, args.client, as_of=as_of,
        on_conflict=args.on_conflict))


def _file_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every command reading a file through a mapping takes."""
    parser.add_argument("file", help="CSV, Excel or Parquet file")
    parser.add_argument("--mapping", required=True, help="mapping file (YAML)")
    parser.add_argument("--as-of", help="no date may lie after this day (default: today)")


def _send_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of the commands that send (recognize, follow-up), run by _cmd_send."""
    parser.add_argument("--client", required=True, help="client slug (in the run matrix)")
    parser.add_argument("--since", metavar="YYYY-MM-DD",
                        help="start from this date: on a first run (default: the last 7 days "
                             "of data), or to go back over earlier answers (default: where the "
                             "first run started)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would be sent; send and record nothing")
    parser.add_argument("--max", type=_item_count, default=MAX_PER_RUN, metavar="N",
                        help="send at most N items a run (default %(default)s); the rest wait "
                             "for the next run (exit 5)")
    parser.add_argument("--matrix", default="studies.yml",
                        help="run-matrix file with the client's dataset and settings")
    parser.set_defaults(func=_cmd_send)


def _cmd_run(args: argparse.Namespace) -> int:
    import dataclasses

    from cxlab import config
    from cxlab.errors import EXIT_INTERNAL_ERROR, EXIT_USER_ERROR, CxlabError
    from cxlab.fsutil import plain_os_error
    from cxlab.run.executor import RunLocked, exit_code, run_lock, run_studies, summary_text
    from cxlab.run.matrix import MatrixError, Shard, load_matrix

    try:
        matrix = load_matrix(args.matrix)
        studies = matrix.select(args.client or (), args.quarter or ())
        shard = Shard.parse(args.shard) if args.shard else None
    except MatrixError as err:
        print(f"cxlab run: {err}", file=sys.stderr)
        return 2
    if not studies:
        print("cxlab run: no study matches the given --client/--quarter", file=sys.stderr)
        return 2
    mine = len(shard.select(studies)) if shard else len(studies)
    if shard is not None and not mine:
        print(f"cxlab run: shard {shard.index} of {shard.count} has no study (there are "
              f"{len(studies)}); nothing to run", file=sys.stderr)
        return 0
    if args.timeout is not None:
        studies = [dataclasses.replace(s, timeout_seconds=args.timeout * 60) for s in studies]
    try:
        # The lock first: a second run must not even generate the sample data beside this one.
        with run_lock(config.reports_dir(), wait=args.wait, shard=shard):
            if (any(s.dataset == "sample" for s in studies)
                    and not (config.data_dir() / "sample" / "manifest.json").is_file()):
                from cxlab.data import ensure_sample

                ensure_sample("sample")
            kernels = min(args.jobs, mine)
            print(f"{mine} stud{'y' if mine == 1 else 'ies'}"
                  f"{f' (shard {shard.index} of {shard.count})' if shard else ''}, up to "
                  f"{kernels} kernel{'' if kernels == 1 else 's'} in parallel", file=sys.stderr)
            results = run_studies(studies, jobs=args.jobs, progress=not args.no_progress,
                                  matrix_sha256=matrix.sha256, warm=not args.cold,
                                  force=args.force, shard=shard)
    except RunLocked as err:
        print(f"cxlab run: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # the lock file or the reports folder cannot be made
        print(f"cxlab run: {plain_os_error(err, config.project_root())}; nothing was run",
              file=sys.stderr)
        return 2
    except CxlabError as err:  # e.g. the sample data could not be made
        print(f"cxlab run: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception:  # noqa: BLE001 - a bug in the runner: not "a study failed" (1)
        traceback.print_exc()
        print("cxlab run: internal error (a bug in cxlab or a library it uses, not in your "
              "studies); please report it with the traceback above", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    print(summary_text(results))
    return exit_code(results)


def _cmd_site(args: argparse.Namespace) -> int:
    from cxlab import config
    from cxlab.fsutil import plain_os_error
    from cxlab.site import build_site

    try:
        out = build_site(use_quarto=False if args.preview else None, client=args.client,
                         out=args.out, pdf=args.pdf)
    except FileNotFoundError as err:  # no reports yet, a page _quarto.yml lists is missing
        print(f"cxlab site: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a folder that cannot be written: nothing was replaced
        print(f"cxlab site: {plain_os_error(err, config.project_root())}; the previous site "
              "is unchanged", file=sys.stderr)
        return 2
    who = f"for {args.client} alone" if args.client else "for all clients"
    print(f"site built {who}: open {out / 'index.html'}")
    return 0


def _cmd_assess(args: argparse.Namespace) -> int:
    from cxlab.maturity.assessment import assess

    result = assess(args.client, args.quarter, args.dataset, args.answers)
    print(result.summary())
    return 0


def _cmd_send(args: argparse.Namespace) -> int:
    """``cxlab recognize`` and ``cxlab follow-up``: the same run, two kinds of message."""
    from datetime import date

    from cxlab.run.matrix import load_matrix
    from cxlab.send.followup import follow_up
    from cxlab.send.recognize import EXIT_LEFT_FOR_LATER, recognize

    specs = load_matrix(args.matrix).select([args.client])
    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError:
        print(f"cxlab {args.command}: --since {args.since!r} is not a date (expected "
              "YYYY-MM-DD)", file=sys.stderr)
        return 2
    send = recognize if args.command == "recognize" else follow_up
    outcome = send(args.client, specs[0].dataset, dict(specs[0].settings), since=since,
                   dry_run=args.dry_run, show=lambda line: print(line, file=sys.stderr),
                   most=args.max)
    print(outcome.summary())
    return EXIT_LEFT_FOR_LATER if outcome.failed or outcome.held else 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cxlab`` command."""
    parser = argparse.ArgumentParser(
        prog="cxlab", description="CX and EX analytics workbook: data, studies and site.")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="datasets")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    sample = data_sub.add_parser("sample", help="generate the seeded sample dataset")
    sample.add_argument("--dataset", default="sample", help="dataset name (default: sample)")
    sample.add_argument("--seed", type=int, default=20261122, help="random seed")
    sample.add_argument("--scale", type=float, default=1.0,
                        help="size multiplier (1 = about 50,000 customer responses); from "
                             f"{SAMPLE_PROGRESS_SCALE:g} up, each client and quarter is "
                             "printed as it is generated and written")
    sample.add_argument("--interactions-per-response", type=float, metavar="K",
                        help="contacts per customer response (default: 1.6); e.g. 2.5 for a "
                             "centre that surveys fewer of its contacts")
    sample.add_argument("--client", action="append", dest="clients", metavar="NAME",
                        help="generate only this sample client (repeat for more; default: all; "
                             "an unknown name lists them)")
    sample.set_defaults(func=_cmd_sample)
    check = data_sub.add_parser(
        "check", help="read a file through a mapping and report what would be imported; "
                      "writes nothing (exit 0: usable, 1: nothing usable, 2: the file or "
                      "mapping cannot be used, 3: a bug in cxlab)")
    _file_arguments(check)
    check.add_argument("--dataset", help="with --client: check employee ids against the "
                                         "roster in this dataset")
    check.add_argument("--client", help="client slug (with --dataset)")
    check.set_defaults(func=_cmd_check)
    imp = data_sub.add_parser(
        "import", help="check a file and merge its accepted rows into a client's dataset; "
                       "rejected rows are kept beside it, and re-importing adds nothing twice "
                       "(exit codes as for check)")
    _file_arguments(imp)
    imp.add_argument("--dataset", required=True, help="dataset name under data/")
    imp.add_argument("--client", required=True, help="client slug")
    imp.add_argument("--on-conflict", choices=("error", "skip", "update"), default="error",
                     help="rows whose id is already stored with other values: 'error' writes "
                          "nothing and counts them (default), 'skip' keeps the stored rows and "
                          "sets the new ones aside as rejected, 'update' replaces the stored "
                          "rows. Rows identical to stored ones are never a conflict")
    imp.set_defaults(func=_cmd_import)

    run = sub.add_parser(
        "run", help="execute studies from the run matrix with Papermill",
        description="Execute studies from the run matrix with Papermill, past failures, and "
                    "write reports/build-record.json. A report section that cannot be computed "
                    "shows a box saying why and the rest of the report is published; the "
                    "summary lists each such section by study.",
        epilog="exit codes: 0 every study ran and every section was computed; 1 a study "
               "failed (its previous report stays) or the run could not save its record; 2 "
               "the command cannot run as given (bad run matrix or selection, another run "
               "holds the reports folder); 3 a bug in cxlab stopped the run (traceback "
               "printed); 4 every report was published but some sections could not be "
               "computed")
    run.add_argument("--matrix", default="studies.yml", help="run-matrix file")
    run.add_argument("--client", action="append", help="only this client (repeatable)")
    run.add_argument("--quarter", action="append", help="only this quarter (repeatable)")
    run.add_argument("--jobs", "-j", type=_kernel_count, default=usable_cores(),
                     help="parallel kernels, each taking a core and memory (about 0.5 GB with "
                          "the sample data); default: one per core, here %(default)s")
    run.add_argument("--shard", metavar="I/N",
                     help="run only the I-th of N equal parts of the selected studies (1/4, "
                          "2/4, ...), e.g. one per machine or cluster job; each part writes "
                          "its own build record, which `cxlab site` merges")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--force", action="store_true",
                     help="run every study, even those whose inputs are unchanged")
    run.add_argument("--cold", action="store_true",
                     help="a fresh kernel per study, as plain papermill (slower; for checks)")
    run.add_argument("--timeout", type=_minutes, metavar="MINUTES",
                     help="each study's time limit, for this run (default: timeout_minutes in "
                          "the run matrix, else 10)")
    run.add_argument("--wait", action="store_true",
                     help="if another run is using the reports folder, wait for it to end "
                          "(default: stop at once, exit code 2)")
    run.set_defaults(func=_cmd_run)

    assess = sub.add_parser("assess", help="employee-experience maturity of one client")
    assess.add_argument("client", help="client slug")
    assess.add_argument("--quarter", help="as of the end of this quarter (default: latest)")
    assess.add_argument("--dataset", default="sample", help="dataset name (default: sample)")
    assess.add_argument("--answers", help="self-assessment answers file (CSV or Parquet; "
                        "default: the client's maturity_answers table)")
    assess.set_defaults(func=_cmd_assess)

    recognize = sub.add_parser(
        "recognize", help="send each new shout-out once to the client's channels",
        description="Find positive customer comments naming an employee since the last run "
                    "and send each, once, to the channels in the client's settings "
                    "(recognition: channels: Slack, Teams, email, a JSON-lines file). Run it "
                    "after each import or on a schedule.",
        epilog="exit codes: 0 everything new was sent; 2 a setting, the data or a channel "
               "refused a message (fix it; nothing is lost); 3 a bug in cxlab; 5 a channel "
               "could not be reached (the messages are left for the next run)")
    _send_arguments(recognize)
    follow = sub.add_parser(
        "follow-up", help="send each new unhappy customer answer once, to be followed up",
        description="Send each new unhappy answer (NPS 0-6 or CSAT 1-2) once to the channels "
                    "in the client's settings (follow_up: channels:), with what a person "
                    "needs to call the customer back. Outcomes come back by importing the "
                    "follow_ups table.",
        epilog="exit codes as for recognize")
    _send_arguments(follow)

    site = sub.add_parser("site", help="render the website from _quarto.yml")
    site.add_argument("--preview", action="store_true",
                      help="build the static preview even when Quarto is installed")
    site.add_argument("--client", help="a site for this client alone, to deliver to them: "
                                       "the shared pages and its own reports, nothing of "
                                       "other clients (default: every client, for your own use)")
    site.add_argument("--pdf", action="store_true",
                      help="also print each report to PDF beside its page (needs Chromium)")
    site.add_argument("--out", type=Path, help="output folder (default: _site, or "
                                               "_sites/CLIENT with --client)")
    site.set_defaults(func=_cmd_site)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cxlab`` console command."""
    from cxlab.errors import EXIT_INTERNAL_ERROR, EXIT_USER_ERROR, CxlabError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CxlabError, FileNotFoundError) as err:  # the user's input: say what, not where
        print(f"cxlab {args.command}: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception:  # noqa: BLE001 - a bug (in cxlab or a library): never the user's fault
        traceback.print_exc()
        print(f"cxlab {args.command}: stopped by an internal error (the traceback above); "
              "please report it", file=sys.stderr)
        return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
