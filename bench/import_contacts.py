"""Benchmark: contact import jobs against stock base_import, same data, same database.

A seeded generator writes ``--size`` contact rows with 20 columns (names,
email, client, phones, address, country, tags, owner, team, role, channel,
opt-out, notes, source...), about 5% duplicates inside the file (case and
format variants of earlier rows), 10% rows matching partners created in the
database beforehand and 1% invalid rows, as a cp1252 CSV with ``;`` or as
XLSX (``--format``).

* ours: a ``crm.import.job`` run from the cron in committed chunks, with
  dedupe against the file and the database (mode create and update). The
  upload happens in this process; the load and the chunks run in a process
  of their own (``--ours-side``), so its memory figures are the worker's
  alone, not the generator's nor the upload's (which holds the file, as
  any upload does);
* stock: ``base_import.import.execute_import`` the way the web client calls
  it, batches of 2,000 rows, each committed, tracking off, the client column
  mapped to ``parent_id`` with "create if missing". Stock refuses a whole
  file with an invalid row, so it gets the same file without them, and it
  has no dedupe: it creates the duplicates. It runs in a process of its
  own (``--side stock``), like ours, so the memory figures compare;
* OCA: ``base_import_match`` 18.0 with an email and a VAT match rule (the
  file has no VAT column, so only the email rule applies), importing stock's
  file the same way. It runs in a process of its own on a separate database
  (``--oca-db``, a copy of ``--db`` with base_import_match installed), the
  only one whose addons path holds ``--oca-addons``; the add-on never
  depends on it. Without that folder the OCA side is skipped, and says so.
  Get it without installing it into Odoo's venv:

      pip download --no-deps 'odoo-addon-base_import_match==18.0.*' -d DIR
      unzip the wheel's odoo/addons/base_import_match into DIR/addons

Figures: rows/s, SQL queries per row (Odoo's per-thread counter), growth of
the resident set (sampled every 50 ms) and the tracemalloc peak of each
side, the longest transaction (time between two commits) and, for ours, the
revert rate.

Memory at 1M rows against 100k (the import only, no stock, no revert):

    python3 bench/import_contacts.py --db DB --size 1000000 --ours-only --skip-revert --no-tracemalloc

Usage (installs crm_client_suite into --db when needed):

    /opt/odoo-venv/bin/python bench/import_contacts.py --db ccs_bench_import --size 10000 \
        --oca-addons DIR

DIR holds base_import_match (and its OCA dependencies) unzipped from the
18.0 wheels on PyPI (`pip download --no-deps odoo-addon-base_import_match`);
they are never a dependency of the add-on.
"""

import argparse
import collections
import contextlib
import cProfile
import csv
import io
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import tracemalloc
import types

from benchlib import addons_path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
HEADERS = [
    "First Name",
    "Last Name",
    "Email",
    "Company",
    "Phone",
    "Mobile",
    "Street",
    "City",
    "Zip",
    "Country",
    "Job Position",
    "Website",
    "Tags",
    "Salesperson",
    "Sales Team",
    "Role",
    "Preferred Channel",
    "Do Not Email",
    "Notes",
    "Source",
]
# Stock's mapping of the same columns (fields of res.partner, by name).
STOCK_FIELDS = [
    "crm_first_name",
    "crm_last_name",
    "email",
    "parent_id",
    "phone",
    "mobile",
    "street",
    "city",
    "zip",
    "country_id",
    "function",
    "website",
    "category_id",
    "user_id",
    "team_id",
    "crm_role_category",
    "crm_preferred_channel",
    "crm_no_email",
    "comment",
    "source_id",
]
FIRST = ["Ana", "Jürgen", "Lucía", "Björn", "José", "Müge", "Iñaki", "Zoë", "Renée", "Søren", "Pablo", "Greta"]
LAST = ["Müller", "García", "Núñez", "Schäfer", "López", "Groß", "Fernández", "Weiß", "Martín", "Köhler"]
# City, zip, country, phone prefix and digits after it, mobile prefix and digits.
CITIES = [
    ("Madrid", "28001", "ES", "91 ", 7, "6", 8),
    ("Berlin", "10115", "DE", "030 ", 7, "0151 ", 8),
    ("Sevilla", "41001", "ES", "954 ", 6, "6", 8),
]
ROLES = ["primary", "decision_maker", "technical", "administrative", "external"]
CHANNELS = ["email", "call", "messenger", "social", "platform"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ccs_bench_import")
    parser.add_argument("--size", type=int, default=10000, help="rows in the file (default 10000)")
    parser.add_argument("--stock-size", type=int, help="rows for stock (default: --size, at most 4000: stock is slow)")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--batch", type=int, default=500, help="our chunk size")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-tracemalloc", action="store_true", help="time without tracing memory")
    parser.add_argument("--addons-path", default=addons_path())
    parser.add_argument(
        "--oca-addons",
        default=os.environ.get("CCS_OCA_ADDONS"),
        help="folder holding OCA base_import_match 18.0 (default: $CCS_OCA_ADDONS; the OCA side is skipped without it)",
    )
    parser.add_argument("--oca-db", help="database of the OCA side (default: --db + _oca)")
    parser.add_argument(
        "--ours-only", action="store_true", help="skip stock and OCA (memory figure at 1M rows): no ratio"
    )
    parser.add_argument(
        "--skip-revert", action="store_true", help="with --ours-only: no revert, the imported contacts stay"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="profile our import and revert: cProfile to FILE, queries by statement"
    )
    parser.add_argument("--side", choices=("stock", "oca"), help=argparse.SUPPRESS)  # internal: run that side
    parser.add_argument("--side-file", help=argparse.SUPPRESS)  # internal: on this file
    parser.add_argument("--ours-side", help=argparse.SUPPRESS)  # internal: load and run this job
    args = parser.parse_args()
    args.oca_db = args.oca_db or f"{args.db}_oca"
    args.stock_size = args.stock_size or min(args.size, 4000)
    return args


def ensure_database(args):
    exists = subprocess.run(["psql", "-lqt"], capture_output=True, text=True, check=True).stdout.split("\n")
    if any(line.split("|")[0].strip() == args.db for line in exists):
        return
    print(f"installing crm_client_suite into {args.db}...", flush=True)
    subprocess.run(
        ["odoo", "-d", args.db, "--addons-path", args.addons_path, "-i", "crm_client_suite,base_import"]
        + ["--without-demo=all", "--stop-after-init", "--log-level=warn"],
        check=True,
    )


def unique_number(n, digits):
    """A ``digits``-digit number, a different one for each ``n`` below 9 * 10 ** (digits - 1)."""
    span = 9 * 10 ** (digits - 1)
    return 10 ** (digits - 1) + n * 7919 % span


def generate(size, domain, logins, teams, rnd):
    """(rows, existing, invalid): the file's rows, the rows to pre-create and
    the numbers of the invalid rows."""
    rows, existing, invalid = [], [], set()
    # About five contacts a client, and no phone number twice: with a fixed
    # pool of clients and random numbers, the name-plus-client and phone
    # keys matched far more rows than the 5% duplicates meant (21% at 100k,
    # 75% at 1M), which left little work for the import.
    kinds = ["GmbH", "S.L.", "S.A.", "AG"]
    companies = [f"{rnd.choice(LAST)} {kinds[n % 4]} {n}" for n in range(max(200, size // 5))]
    while len(rows) < size:
        n = len(rows)
        if n > 20 and rnd.random() < 0.05:
            # A duplicate of an earlier row: other case, other phone format.
            source = rnd.randrange(n)
            if source in invalid:
                invalid.add(n)  # a copy of an invalid row is invalid too: stock gets neither
            row = list(rows[source])
            row[0], row[1], row[2] = row[0].upper(), row[1].upper(), row[2].upper()
            row[4] = row[4].replace(" ", "")
            rows.append(row)
            continue
        city, zip_code, country, prefix, digits, mobile, mobile_digits = rnd.choice(CITIES)
        first, last = rnd.choice(FIRST), f"{rnd.choice(LAST)} {rnd.choice(LAST)}"
        email = f"{first.lower()}.{n}@{domain}"
        row = [
            first,
            last,
            email,
            rnd.choice(companies),
            f"{prefix}{unique_number(n, digits)}",
            f"{mobile}{unique_number(n + 1, mobile_digits)}",
            f"Calle {n}",
            city,
            zip_code,
            country,
            rnd.choice(["CEO", "CTO", "Buyer", "Einkauf"]),
            f"https://{domain}/{n}",
            rnd.choice(["VIP", "Newsletter", "Fair 2026"]),
            rnd.choice(logins),
            rnd.choice(teams),
            rnd.choice(ROLES),
            rnd.choice(CHANNELS),
            rnd.choice(["0", "1"]),
            "Imported in the benchmark",
            rnd.choice(["Trade Fair", "Website", "Referral"]),
        ]
        if rnd.random() < 0.01:
            row[2] = f"broken.{n}.{domain}"
            invalid.add(n)
        elif rnd.random() < 0.10:
            existing.append(row)
        rows.append(row)
    return rows, existing, invalid


def write_file(rows, fmt):
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=";").writerows([HEADERS, *rows])
        return buffer.getvalue().encode("cp1252"), "contacts.csv"
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Contacts")
    for row in [HEADERS, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), "contacts.xlsx"


def current_rss():
    """Bytes of this process now resident in memory."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_SIZE


class Measure:
    """Time, queries, memory and the longest transaction of one side."""

    def __init__(self, cr, trace):
        self.cr, self.trace = cr, trace

    def __enter__(self):
        self.rss_before = self.rss_peak = current_rss()
        self.sampling = threading.Event()

        def sample():
            # The peak of the resident set during the block: the process's
            # own maximum (ru_maxrss) also holds what came before it.
            while not self.sampling.wait(0.05):
                self.rss_peak = max(self.rss_peak, current_rss())

        self.sampler = threading.Thread(target=sample, daemon=True)
        self.sampler.start()
        if self.trace:
            tracemalloc.start()
            tracemalloc.reset_peak()
        thread = threading.current_thread()
        thread.query_count = 0
        thread.query_time = 0
        self.longest, self.last = 0.0, time.perf_counter()
        origin = self.cr.commit

        def commit():
            origin()
            now = time.perf_counter()
            self.longest = max(self.longest, now - self.last)
            self.last = now

        self.cr.commit = commit
        self.origin = origin
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.cr.commit()
        self.seconds = time.perf_counter() - self.started
        self.queries = threading.current_thread().query_count
        self.peak_mb = tracemalloc.get_traced_memory()[1] / 1024 / 1024 if self.trace else 0.0
        if self.trace:
            tracemalloc.stop()
        self.sampling.set()
        self.sampler.join()
        self.rss_mb = (max(self.rss_peak, current_rss()) - self.rss_before) / 1024 / 1024
        self.cr.commit = self.origin
        return False


# Innermost of these functions on the stack names the part of the job a query belongs to.
PROFILE_PARTS = {
    "_load": "load",
    "_validate_rows": "validate",
    "_mark_file_duplicates": "in-file dedupe",
    "_parents": "client second pass",
    "_plan": "match",
    "_merged_values": "match",
    "_prefetch_tags_sources": "tags/sources",
    "_create_partners": "creates",
    "_write_batch": "updates",
    "_crm_prefetch_dependents": "updates: dependents",
    "_crm_audit_batch": "audit",
    "_crm_audit_snapshot": "audit",
    "_insert": "audit",
    "_enrol_created": "pipeline observer",
    "_crm_automation_batch": "pipeline observer",
    "_crm_automation_changed": "pipeline observer",
    "_store_outcomes": "row outcomes",
    "_store_external_ids": "row outcomes",
    "_resolve_duplicates": "row outcomes",
    "_refresh_client_dates": "client dates",
    "_notify_done": "progress",
    "_send_progress": "progress",
    "_revert_created": "revert: created",
    "_referenced": "revert: references",
    "_changed": "revert: changes",
    "_unlink_created": "revert: delete",
    "_revert_updated": "revert: updated",
}


class QueryProfile:
    """Count the queries of a block by part of the job and by statement
    (numbers and quoted strings folded), and profile its Python time."""

    def __init__(self, label, path):
        self.label, self.path = label, path

    def __enter__(self):
        from odoo import sql_db

        self.origin = origin = sql_db.Cursor.execute
        self.parts, self.statements = collections.Counter(), collections.Counter()
        self.times = collections.Counter()
        parts, statements, times = self.parts, self.statements, self.times

        def execute(cr, query, params=None, log_exceptions=True):
            frame, part = sys._getframe(1), "other"
            while frame:
                if frame.f_code.co_name in PROFILE_PARTS:
                    part = PROFILE_PARTS[frame.f_code.co_name]
                    break
                frame = frame.f_back
            text = re.sub(r"\s+", " ", str(getattr(query, "code", query)))
            text = re.sub(r"'[^']*'|\b\d+\b", "?", text)[:110]
            parts[part] += 1
            statements[(part, text)] += 1
            started = time.perf_counter()
            try:
                return origin(cr, query, params, log_exceptions)
            finally:
                times[(part, text)] += time.perf_counter() - started

        sql_db.Cursor.execute = execute
        self.profile = cProfile.Profile()
        self.profile.enable()
        return self

    def __exit__(self, *exc):
        from odoo import sql_db

        self.profile.disable()
        sql_db.Cursor.execute = self.origin
        self.profile.dump_stats(f"{self.path}.{self.label}")
        print(f"  profile {self.label}: queries by part {dict(self.parts.most_common())}", flush=True)
        for (part, text), count in self.statements.most_common(40):
            print(f"    {count:7d} {part:22s} {text}", flush=True)
        print(f"  profile {self.label}: slowest statements (seconds in all, calls)", flush=True)
        for (part, text), seconds in self.times.most_common(25):
            print(f"    {seconds:7.2f}s {self.statements[(part, text)]:6d} {part:22s} {text}", flush=True)
        return False


def profiled(args, label):
    return QueryProfile(label, args.profile) if args.profile else contextlib.nullcontext()


STOCK_OPTIONS = {
    "separator": ";",
    "quoting": '"',
    "encoding": "cp1252",
    "has_headers": True,
    "limit": 2000,
    "skip": 0,
    "date_format": "",
    "datetime_format": "",
    "float_thousand_separator": ",",
    "float_decimal_separator": ".",
    "advanced": True,
    "import_skip_records": [],
    "import_set_empty_fields": [],
    "fallback_values": {},
    "name_create_enabled_fields": {"parent_id": True, "category_id": True, "source_id": True},
}


def import_like_web_client(cr, env, content, name, args):
    """base_import's execute_import over the file, 2,000 rows a call, each
    batch committed, tracking off: (Measure, error messages)."""
    mimetype = (
        "text/csv" if args.format == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    env = env(context={**env.context, "import_file": True, "name_create_enabled_fields": {}})
    messages = []
    with Measure(cr, not args.no_tracemalloc) as measure:
        wizard = env["base_import.import"].create(
            {"res_model": "res.partner", "file": content, "file_name": name, "file_type": mimetype}
        )
        skip = 0
        while skip is not False:
            result = wizard.execute_import(STOCK_FIELDS, HEADERS, {**STOCK_OPTIONS, "skip": skip})
            messages += [m for m in result.get("messages", []) if m.get("type") == "error"]
            cr.commit()
            skip = result.get("nextrow") or False
    return measure, messages


def run_process(args, label, options):
    """Run this script with ``options`` in a process of its own: the figures
    of its ``FIGURES {json}`` line (its other output printed), or None and a
    line saying why."""
    command = [sys.executable, os.path.abspath(__file__), "--db", args.db, "--addons-path", args.addons_path]
    command += options + (["--no-tracemalloc"] if args.no_tracemalloc else [])
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    figures = None
    for line in out.stdout.splitlines():
        if line.startswith("FIGURES "):
            figures = json.loads(line[len("FIGURES ") :])
        else:
            print(line, flush=True)
    if figures is None:
        print(f"  {label}: failed (exit {out.returncode}): {out.stderr.strip()[-600:]}", flush=True)
    return figures


def run_side(args, side, content, data):
    """Figures of ``side`` ("stock" on --db, or "oca": base_import_match on
    --oca-db) importing ``content``, from a process of its own (``--side``);
    None, and a line saying why, when it fails."""
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"import_contacts_{side}_{os.getpid()}.{args.format}")
    with open(path, "wb") as f:
        f.write(content)
    with open(f"{path}.json", "w") as f:
        json.dump(data, f)
    options = ["--oca-db", args.oca_db, "--side", side, "--side-file", path, "--format", args.format]
    options += ["--oca-addons", args.oca_addons] if side == "oca" else []
    try:
        return run_process(args, side, options)
    finally:
        os.unlink(path)
        os.unlink(f"{path}.json")


def run_ours_side(args, job_id, upload):
    """Load and run job ``job_id`` from the cron in a process of its own
    (``--ours-side``): its figures, the upload's time, queries and longest
    transaction added."""
    options = ["--ours-side", str(job_id), "--batch", str(args.batch)]
    figures = run_process(args, "ours", options + (["--profile", args.profile] if args.profile else []))
    if figures is None:
        sys.exit("  ours: the worker process failed")
    return types.SimpleNamespace(
        seconds=upload.seconds + figures["seconds"],
        queries=upload.queries + figures["queries"],
        longest=max(upload.longest, figures["longest_s"]),
        rss_mb=figures["rss_mb"],
        peak_mb=figures["peak_mb"],
    )


def ours_side(args):
    """Our side's worker: load the uploaded job, queue it and run it from the
    cron in committed chunks; its figures as one ``FIGURES {json}`` line."""
    import odoo
    from odoo import api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level=warn"])
    registry = Registry(args.db)
    ctx = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, ctx)
        job = env["crm.import.job"].browse(int(args.ours_side))
        job = job.with_user(job.user_id)
        with Measure(cr, not args.no_tracemalloc) as ours, profiled(args, "import"):
            job.action_load()
            cr.commit()
            job.action_import()
            cr.commit()
            env["crm.import.job"].with_context(crm_cron_commit=True)._cron_run_jobs(
                batch_size=args.batch, time_budget=None
            )
    figures = {"seconds": ours.seconds, "queries": ours.queries, "longest_s": ours.longest}
    print("FIGURES " + json.dumps({**figures, "rss_mb": ours.rss_mb, "peak_mb": ours.peak_mb}), flush=True)


def oca_available(args):
    return os.path.isdir(os.path.join(args.oca_addons or "", "base_import_match"))


def ensure_oca_database(args):
    """--oca-db: a copy of --db (the add-on installed) with base_import_match,
    made before this process connects to --db."""
    exists = subprocess.run(["psql", "-lqt"], capture_output=True, text=True, check=True).stdout.split("\n")
    if any(line.split("|")[0].strip() == args.oca_db for line in exists):
        return
    print(f"copying {args.db} into {args.oca_db} and installing base_import_match there...", flush=True)
    subprocess.run(["createdb", "-T", args.db, args.oca_db], check=True)
    subprocess.run(
        ["odoo", "-d", args.oca_db, "--addons-path", f"{args.addons_path},{os.path.abspath(args.oca_addons)}"]
        + ["-i", "base_import_match", "--without-demo=all", "--stop-after-init", "--log-level=warn"]
        + ["--max-cron-threads=0"],
        check=True,
    )


def run_side_process(args):
    """Stock (on --db) or OCA (on --oca-db, the only database whose addons
    path holds --oca-addons) importing --side-file, in a process of its own;
    its figures as one ``FIGURES {json}`` line."""
    oca = args.side == "oca"
    db, addons = (
        (args.oca_db, f"{args.addons_path},{os.path.abspath(args.oca_addons)}") if oca else (args.db, args.addons_path)
    )
    import odoo
    from odoo import api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", db, "--addons-path", addons, "--log-level=error"])
    registry = Registry(db)
    ctx = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True}
    with open(args.side_file, "rb") as f:
        content = f.read()
    with open(f"{args.side_file}.json") as f:
        data = json.load(f)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, ctx)
        if oca:
            # The OCA database is a copy made before the partners existed.
            env["res.partner"].create(
                [{"name": f"{r[0]} {r[1]}", "email": r[2].lower(), "phone": r[4]} for r in data["existing"]]
            )
            Match = env["base_import.match"]
            model = env["ir.model"]._get("res.partner")
            for fname in ("email", "vat"):
                field = env["ir.model.fields"]._get("res.partner", fname)
                if not Match.search([("model_id", "=", model.id), ("field_ids.field_id", "=", field.id)]):
                    Match.create({"model_id": model.id, "field_ids": [(0, 0, {"field_id": field.id})]})
            env.registry.clear_cache()
            cr.commit()
        admin = env.ref("base.user_admin")
        name = data.get("name") or os.path.basename(args.side_file)
        measure, messages = import_like_web_client(cr, api.Environment(cr, admin.id, ctx), content, name, args)
        size = sum(1 for _line in csv.reader(io.StringIO(content.decode("cp1252")), delimiter=";")) - 1
        if args.format != "csv":
            size = openpyxl_rows(content) - 1
        figures = {
            "seconds": measure.seconds,
            "rows_s": size / measure.seconds,
            "queries_row": measure.queries / size,
            "longest_s": measure.longest,
            "rss_mb": measure.rss_mb,
            "peak_mb": measure.peak_mb,
            "errors": len(messages),
            "first_error": messages[0].get("message") if messages else None,
        }
        if oca:
            contacts = env["res.partner"].search([("email", "=ilike", f"%@{data['domain']}")])
            figures.update(contacts=len(contacts), existing=len(data["existing"]))
            # Leave the database reusable.
            contacts.unlink()
            cr.commit()
        print("FIGURES " + json.dumps(figures), flush=True)


def openpyxl_rows(content):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return sum(1 for _row in book.active.iter_rows())


def main():
    args = parse_args()
    if args.side:
        return run_side_process(args)
    if args.ours_side:
        return ours_side(args)
    ensure_database(args)
    if oca_available(args) and not args.ours_only:
        ensure_oca_database(args)
    import base64

    import odoo
    from odoo import api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level=warn"])
    registry = Registry(args.db)
    from odoo.addons.crm_client_suite.models.crm_import_job import setting

    ctx = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True}
    thread = threading.current_thread()
    thread.query_count, thread.query_time = 0, 0
    tag = int(time.time())
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, ctx)
        admin = env.ref("base.user_admin")
        env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "0")
        logins = [admin.login]
        teams = env["crm.team"].search([]).mapped("name")[:3] or [env["crm.team"].create({"name": "Bench"}).name]
        files = {}
        for side in ("ours", "stock"):
            rnd = random.Random(args.seed)
            size = args.size if side == "ours" else args.stock_size
            rows, existing, invalid = generate(size, f"{side}-{tag}.example", logins, teams, rnd)
            env["res.partner"].create(
                [{"name": f"{r[0]} {r[1]}", "email": r[2].lower(), "phone": r[4]} for r in existing]
            )
            if side == "stock":
                rows = [row for n, row in enumerate(rows) if n not in invalid]
            files[side] = (*write_file(rows, args.format), len(rows), len(existing), len(invalid), existing)
        files["tag"] = tag
        # An admin raises the size cap (100 MB by default) for a larger file.
        megabytes = len(files["ours"][0]) // 1024 // 1024 + 1
        if megabytes > setting(env, "import_max_mb"):
            env["ir.config_parameter"].set_param("crm_client_suite.import_max_mb", str(megabytes))
        cr.commit()
        print(
            f"file: {args.size} rows ({files['ours'][3]} pre-existing, {files['ours'][4]} invalid), "
            f"{args.format}, {len(files['ours'][0]) / 1024 / 1024:.1f} MiB; stock: {files['stock'][2]} rows",
            flush=True,
        )

        # Ours: upload (this process), then parse once and run from the cron
        # in committed chunks in a process of its own, whose memory is then
        # that of the worker alone (neither the generator's nor the upload's).
        content, name, size = files["ours"][:3]
        user_env = api.Environment(cr, admin.id, ctx)
        with Measure(cr, not args.no_tracemalloc) as upload:
            job = user_env["crm.import.job"].create({"file": base64.b64encode(content), "file_name": name})
        ours = run_ours_side(args, job.id, upload)
        job.invalidate_recordset()
        print(
            f"  ours: {size} rows in {ours.seconds:.1f}s = {size / ours.seconds:.0f} rows/s, "
            f"{ours.queries / size:.2f} queries/row, longest transaction {ours.longest:.1f}s, "
            f"RSS +{ours.rss_mb:.0f} MiB, tracemalloc peak {ours.peak_mb:.0f} MiB (upload: {upload.seconds:.1f}s, "
            f"RSS +{upload.rss_mb:.0f} MiB); created {job.count_created}, "
            f"updated {job.count_updated}, merged {job.count_merged}, failed {job.count_failed}, "
            f"review {job.count_review}, state {job.state}",
            flush=True,
        )
        reverted_records = job.count_created + job.count_updated
        if args.skip_revert and args.ours_only:
            print(
                f"RESULT name=import_contacts size={args.size} format={args.format} stock=skipped oca=skipped "
                f"ours_rows_s={args.size / ours.seconds:.0f} ours_queries_row={ours.queries / args.size:.2f} "
                f"ours_peak_mb={ours.peak_mb:.0f} ours_rss_mb={ours.rss_mb:.0f} ours_longest_tx_s={ours.longest:.1f} "
                f"revert=skipped ratio=skipped",
                flush=True,
            )
            return
        # Above the background threshold (0 here), the cron reverts the job in committed chunks.
        with Measure(cr, False) as revert, profiled(args, "revert"):
            job.action_revert()
            cr.commit()
            env["crm.import.job"].with_context(crm_cron_commit=True)._cron_run_jobs(
                batch_size=args.batch, time_budget=None
            )
        revert_seconds = revert.seconds
        job.invalidate_recordset()
        print(
            f"  ours: revert of {reverted_records} records in {revert_seconds:.1f}s "
            f"= {reverted_records / revert_seconds:.0f} rows/s, {revert.queries / max(reverted_records, 1):.2f} "
            f"queries/row, longest transaction {revert.longest:.1f}s, state {job.state} ({job.revert_log})",
            flush=True,
        )

        if args.ours_only:
            print(
                f"RESULT name=import_contacts size={args.size} format={args.format} stock=skipped oca=skipped "
                f"ours_rows_s={args.size / ours.seconds:.0f} ours_queries_row={ours.queries / args.size:.2f} "
                f"ours_peak_mb={ours.peak_mb:.0f} ours_rss_mb={ours.rss_mb:.0f} ours_longest_tx_s={ours.longest:.1f} "
                f"revert_rows_s={reverted_records / revert_seconds:.0f} "
                f"revert_longest_tx_s={revert.longest:.1f} ratio=skipped",
                flush=True,
            )
        else:
            compare_with_stock(args, files, ours, reverted_records / revert_seconds)
        # Leave the database reusable, in a transaction that sees what the
        # other processes wrote.
        cr.rollback()
        env["res.partner"].with_context(active_test=False).search(
            ["|", ("email", "=ilike", f"%@ours-{tag}.example"), ("email", "=ilike", f"%@stock-{tag}.example")]
        ).unlink()
        cr.commit()


def compare_with_stock(args, files, ours, revert_rows_s):
    """Stock and OCA on their file, then the RESULT line of the three."""
    tag = files["tag"]
    # Stock: base_import the way the web client calls it, in a process of
    # its own like ours and OCA's, so the memory figures compare.
    content, name, size = files["stock"][:3]
    stock = run_side(args, "stock", content, {"name": name})
    if not stock:
        sys.exit(" stock: failed")
    print(
        f" stock: {size} rows in {stock['seconds']:.1f}s = {stock['rows_s']:.0f} rows/s, "
        f"{stock['queries_row']:.2f} queries/row, longest transaction {stock['longest_s']:.1f}s, "
        f"RSS +{stock['rss_mb']:.0f} MiB, tracemalloc peak {stock['peak_mb']:.0f} MiB, {stock['errors']} errors"
        + (f" (first: {stock['first_error']})" if stock["first_error"] else ""),
        flush=True,
    )
    oca = None
    if oca_available(args):
        oca = run_side(args, "oca", content, {"existing": files["stock"][5], "domain": f"stock-{tag}.example"})
    else:
        print(f"   oca: skipped, no base_import_match in {args.oca_addons!r} (see --oca-addons)", flush=True)
    if oca:
        print(
            f"   oca: {size} rows in {oca['seconds']:.1f}s = {oca['rows_s']:.0f} rows/s, "
            f"{oca['queries_row']:.2f} queries/row, longest transaction {oca['longest_s']:.1f}s, "
            f"RSS +{oca['rss_mb']:.0f} MiB, tracemalloc peak {oca['peak_mb']:.0f} MiB, {oca['errors']} errors; "
            f"{oca['contacts']} contacts in the end ({oca['existing']} existed before)",
            flush=True,
        )
    ours_rate, stock_rate = args.size / ours.seconds, stock["rows_s"]
    if oca:
        oca_result = (
            f"oca_rows_s={oca['rows_s']:.0f} oca_queries_row={oca['queries_row']:.2f} "
            f"oca_peak_mb={oca['peak_mb']:.0f} oca_rss_mb={oca['rss_mb']:.0f} "
            f"oca_longest_tx_s={oca['longest_s']:.1f} oca_ratio={ours_rate / oca['rows_s']:.2f} "
        )
    else:
        oca_result = "oca=skipped "
    print(
        f"RESULT name=import_contacts size={args.size} stock_size={size} format={args.format} "
        f"ours_rows_s={ours_rate:.0f} stock_rows_s={stock_rate:.0f} "
        f"ours_queries_row={ours.queries / args.size:.2f} stock_queries_row={stock['queries_row']:.2f} "
        f"ours_peak_mb={ours.peak_mb:.0f} stock_peak_mb={stock['peak_mb']:.0f} "
        f"ours_rss_mb={ours.rss_mb:.0f} stock_rss_mb={stock['rss_mb']:.0f} "
        f"ours_longest_tx_s={ours.longest:.1f} stock_longest_tx_s={stock['longest_s']:.1f} "
        f"revert_rows_s={revert_rows_s:.0f} {oca_result}ratio={ours_rate / stock_rate:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
