"""Benchmark: contact export jobs against stock's export, same records, same run.

Creates ``--size`` contacts (name, client, email, phone, mobile, city,
country, owner, tags, job position, client type; 1% of the job positions
start with ``=``, ``+``, ``-`` or ``@``) in one transaction, then exports the
same eleven columns of the same records, as the same user (Odoo's admin):

* ours: a ``crm.export.job`` run at once (``action_export``), CSV and XLSX;
* stock: what the web client's export does, ``export_data`` then the
  ``web`` controller's CSV or XLSX writer (``CSVExport``/``ExcelExport``).

Figures: rows/s, SQL queries per row, and the cells each side leaves
dangerous or polluted: formulas and hyperlinks in the XLSX, formula starts
left as they are in the CSV, and phone numbers given a ``'`` in the CSV.
Everything is rolled back at the end.

    /opt/odoo-venv/bin/python bench/export_contacts.py --db ccs_bench_export --size 20000
"""

import argparse
import csv
import io
import random
import subprocess
import threading
import time
import zipfile
from types import SimpleNamespace

from benchlib import addons_path

FIELDS = [
    "name",
    "parent_id",
    "email",
    "phone",
    "mobile",
    "city",
    "country_id",
    "user_id",
    "category_id",
    "function",
    "crm_client_type",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ccs_bench_export")
    parser.add_argument("--size", type=int, default=20000, help="contacts to export (default 20000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--addons-path", default=addons_path())
    return parser.parse_args()


def ensure_database(args):
    exists = subprocess.run(["psql", "-lqt"], capture_output=True, text=True, check=True).stdout.split("\n")
    if any(line.split("|")[0].strip() == args.db for line in exists):
        return
    print(f"installing crm_client_suite into {args.db}...", flush=True)
    subprocess.run(
        ["odoo", "-d", args.db, "--addons-path", args.addons_path, "-i", "crm_client_suite"]
        + ["--without-demo=all", "--stop-after-init", "--log-level=warn"],
        check=True,
    )


def seed(env, size, rnd):
    countries = env["res.country"].search([("code", "in", ["ES", "DE", "FR", "GB"])])
    tags = env["res.partner.category"].create([{"name": f"Bench tag {i}"} for i in range(5)])
    clients = env["res.partner"].create(
        [{"name": f"Bench Client {i} GmbH", "is_company": True, "crm_client_type": "active"} for i in range(50)]
    )
    user = env.ref("base.user_admin")
    values = []
    for n in range(size):
        function = "Einkauf"
        if rnd.random() < 0.01:
            function = rnd.choice(['=HYPERLINK("http://x.example")', "+1+1", "-2", "@SUM(A1)"])
        values.append(
            {
                "name": f"Bench Contact {n}",
                "parent_id": clients[n % len(clients)].id,
                "email": f"bench.{n}@example.com",
                "phone": f"+34 612 {n % 1000:03d} {n % 997:03d}",
                "mobile": f"+49 151 {n % 10000:04d}",
                "city": rnd.choice(["Sevilla", "Köln", "Lyon"]),
                "country_id": rnd.choice(countries.ids),
                "user_id": user.id,
                "category_id": [(6, 0, rnd.sample(tags.ids, 2))],
                "function": function,
            }
        )
    return env["res.partner"].create(values)


def measure(label, size, run):
    thread = threading.current_thread()
    queries = thread.query_count
    started = time.perf_counter()
    content = run()
    seconds = time.perf_counter() - started
    queries = thread.query_count - queries
    print(f"{label:12} {seconds:7.2f} s  {size / seconds:9.0f} rows/s  {queries / size:6.3f} queries/row", flush=True)
    return content, size / seconds, queries / size


def xlsx_dangers(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = b"".join(archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/"))
    return xml.count(b"<f>") + xml.count(b"<f "), xml.count(b"<hyperlink ")


def csv_dangers(content, delimiter=","):
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))[1:]
    # Columns 3 and 4 are the phones, written as they are on purpose.
    formulas = sum(1 for row in rows for i, cell in enumerate(row) if i not in (3, 4) and cell[:1] in FORMULA_STARTS)
    quoted_phones = sum(1 for row in rows for cell in row[3:5] if cell.startswith("'"))
    return formulas, quoted_phones


def main():
    args = parse_args()
    ensure_database(args)
    import odoo
    from odoo import Command, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level=warn"])
    registry = Registry(args.db)
    thread = threading.current_thread()
    thread.query_count, thread.query_time = 0, 0
    from unittest.mock import patch

    from odoo.addons.web.controllers import export as stock_export
    from odoo.addons.web.controllers.export import CSVExport, ExcelExport

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        partners = seed(env, args.size, random.Random(args.seed))
        env.flush_all()
        user = env.ref("base.user_admin")
        uenv = env(user=user, su=False)
        size = len(partners)
        print(f"{size} contacts, {len(FIELDS)} columns, as {user.login}", flush=True)
        headers = [uenv["res.partner"]._fields[f]._description_string(uenv) for f in FIELDS]

        def ours(file_format):
            def run():
                uenv.invalidate_all()
                job = uenv["crm.export.job"].create(
                    {
                        "res_model": "res.partner",
                        "scope": "domain",
                        "domain": [("id", "in", partners.ids)],
                        "file_format": file_format,
                        "column_ids": [
                            Command.create({"sequence": i, "partner_field": f}) for i, f in enumerate(FIELDS)
                        ],
                    }
                )
                job.action_export()
                return job.attachment_id.raw

            return run

        def stock(file_format):
            def run():
                uenv.invalidate_all()
                records = uenv["res.partner"].search([("id", "in", partners.ids)], order="id")
                rows = records.export_data(FIELDS)["datas"]
                writer = CSVExport() if file_format == "csv" else ExcelExport()
                # The controller reads the decimal places through the request's environment.
                with patch.object(stock_export, "request", SimpleNamespace(env=uenv)):
                    content = writer.from_data(FIELDS, headers, rows)
                return content.encode() if isinstance(content, str) else content

            return run

        env["ir.config_parameter"].set_param("crm_client_suite.export_background_threshold", str(size + 1))
        figures = {}
        for file_format in ("csv", "xlsx"):
            for side, make in (("stock", stock), ("ours", ours)):
                figures[side, file_format] = measure(f"{side} {file_format}", size, make(file_format))
        stock_csv = csv_dangers(figures["stock", "csv"][0])
        ours_csv = csv_dangers(figures["ours", "csv"][0])
        stock_xlsx = xlsx_dangers(figures["stock", "xlsx"][0])
        ours_xlsx = xlsx_dangers(figures["ours", "xlsx"][0])
        print(f"csv cells left starting like a formula: stock {stock_csv[0]}, ours {ours_csv[0]}")
        print(f"csv phone numbers given a quote: stock {stock_csv[1]}, ours {ours_csv[1]}")
        print(
            f"xlsx formulas / hyperlinks: stock {stock_xlsx[0]} / {stock_xlsx[1]}, ours {ours_xlsx[0]} / {ours_xlsx[1]}"
        )
        cr.rollback()
    ratio_csv = figures["ours", "csv"][1] / figures["stock", "csv"][1]
    ratio_xlsx = figures["ours", "xlsx"][1] / figures["stock", "xlsx"][1]
    print(
        f"RESULT name=export_contacts rows={size} "
        f"ours_csv_rows_s={figures['ours', 'csv'][1]:.0f} stock_csv_rows_s={figures['stock', 'csv'][1]:.0f} "
        f"ours_xlsx_rows_s={figures['ours', 'xlsx'][1]:.0f} stock_xlsx_rows_s={figures['stock', 'xlsx'][1]:.0f} "
        f"ours_queries_row={figures['ours', 'csv'][2]:.3f} stock_queries_row={figures['stock', 'csv'][2]:.3f} "
        f"stock_xlsx_formulas={stock_xlsx[0]} ours_xlsx_formulas={ours_xlsx[0]} "
        f"stock_csv_unneutralised={stock_csv[0]} ours_csv_unneutralised={ours_csv[0]} "
        f"stock_quoted_phones={stock_csv[1]} ours_quoted_phones={ours_csv[1]} "
        f"ratio_xlsx={ratio_xlsx:.2f} ratio={ratio_csv:.2f}"
    )


if __name__ == "__main__":
    main()
