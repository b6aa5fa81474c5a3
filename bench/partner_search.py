"""Typed partner searches on a large database: CRM Client Suite vs stock Odoo.

Creates (or reuses) two databases in one run:

* ``--db`` with crm_client_suite installed (its trigram indexes), and
* ``--stock-db`` with only crm and contacts (Odoo's own indexes),

bulk-inserts ``--size`` partners into each with one ``generate_series``
INSERT, then times ``name_search`` (what a many2one dropdown runs) and an
email ``ilike`` search (what the search view runs) with the same terms on
both, and prints the medians and the ratio.

    /opt/odoo-venv/bin/python bench/partner_search.py --size 100000
    /opt/odoo-venv/bin/python bench/partner_search.py --size 1000000 --runs 20

Ends with one line: ``RESULT name=partner_search ...``.
"""

import argparse
import random
import statistics
import subprocess
import time

from benchlib import addons_path

ADDONS = addons_path()

INSERT = """
INSERT INTO res_partner (name, complete_name, email, email_normalized, phone, ref,
                         active, type, is_company, create_date, write_date, create_uid, write_uid)
SELECT n, n, e, e, '+34 6' || lpad((i %% 100000000)::text, 8, '0'), 'R' || i,
       true, 'contact', i %% 10 = 0, now(), now(), 1, 1
  FROM (
        SELECT i,
               initcap(substr(md5(i::text), 1, 7)) || ' ' || initcap(substr(md5((i * 7)::text), 3, 9)) AS n,
               'u' || i || '@' || substr(md5((i %% 5000)::text), 1, 8) || '.example.com' AS e
          FROM generate_series(%(start)s, %(stop)s) AS i
       ) AS rows
"""


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prepare(db, modules, size):
    import psycopg2

    sh("dropdb", "--if-exists", db)
    started = time.perf_counter()
    sh(
        "odoo",
        "-d",
        db,
        f"--addons-path={ADDONS}",
        "-i",
        modules,
        "--stop-after-init",
        "--without-demo=all",
        "--log-level=warn",
        "--http-port=8039",
    )
    installed = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        # Bulk load as one would for a big import: drop the trigram indexes,
        # insert, then build them once (much faster than maintaining GIN
        # indexes row by row). Stock has none, so this changes nothing there.
        cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'res_partner' "
            "AND indexdef LIKE '%%gin_trgm_ops%%'"
        )
        trigram = cr.fetchall()
        for name, _definition in trigram:
            cr.execute(f'DROP INDEX "{name}"')
        step = 250_000
        for start in range(1, size + 1, step):
            cr.execute(INSERT, {"start": start, "stop": min(start + step - 1, size)})
        cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
        for _name, definition in trigram:
            cr.execute(definition)
        conn.commit()
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    conn.cursor().execute("VACUUM ANALYZE res_partner")
    conn.close()
    return installed, time.perf_counter() - started


def terms(db, count, size):
    """Search terms taken from existing rows: a fragment of a name, and of an email."""
    import psycopg2

    rng = random.Random(42)
    ids = [rng.randint(1, size) for _ in range(count)]
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        out = []
        for i in ids:
            cr.execute("SELECT name, email FROM res_partner WHERE ref = %s", [f"R{i}"])
            name, email = cr.fetchone()
            out.append((name.split()[1][:6], email.split("@")[0] + "@"))
        return out


def measure(db, searches):
    import odoo
    from odoo import api

    registry = odoo.modules.registry.Registry(db)
    name_times, email_times, found = [], [], 0
    with registry.cursor() as cr:
        env = api.Environment(cr, 2, {})  # the admin user: record rules apply
        Partner = env["res.partner"]
        Partner.name_search("warm-up", limit=8)
        for name_term, email_term in searches:
            env.invalidate_all()
            started = time.perf_counter()
            found += bool(Partner.name_search(name_term, limit=8))
            name_times.append((time.perf_counter() - started) * 1000)
            env.invalidate_all()
            started = time.perf_counter()
            found += bool(Partner.search([("email", "ilike", email_term)], limit=80))
            email_times.append((time.perf_counter() - started) * 1000)
    return statistics.median(name_times), statistics.median(email_times), found


def explain(db, term):
    import psycopg2

    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute(
            "EXPLAIN SELECT id FROM res_partner WHERE active AND email ILIKE %s ORDER BY complete_name LIMIT 80",
            [f"%{term}%"],
        )
        plan = " / ".join(row[0].strip() for row in cr.fetchall())
    return "Seq Scan" in plan, plan


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", default="ccs_h3_bench")
    parser.add_argument("--stock-db", default="ccs_h3_bench_stock")
    parser.add_argument("--reuse", action="store_true", help="reuse databases filled by a previous run")
    args = parser.parse_args()

    import odoo

    odoo.tools.config.parse_config([f"--addons-path={ADDONS}", "--log-level=warn"])
    setup = {}
    if not args.reuse:
        setup[args.db] = prepare(args.db, "crm_client_suite", args.size)
        setup[args.stock_db] = prepare(args.stock_db, "crm,contacts", args.size)
        for db, (install, fill) in setup.items():
            print(f"{db}: installed in {install:.0f} s, {args.size} partners inserted in {fill:.1f} s")
    searches = terms(args.db, args.runs, args.size)
    suite_name, suite_email, suite_found = measure(args.db, searches)
    stock_name, stock_email, stock_found = measure(args.stock_db, searches)
    stock_seq, stock_plan = explain(args.stock_db, searches[0][1])
    suite_seq, suite_plan = explain(args.db, searches[0][1])
    print(f"suite  plan: {suite_plan}")
    print(f"stock  plan: {stock_plan}")
    print(f"name_search  median over {args.runs} runs: suite {suite_name:.1f} ms, stock {stock_name:.1f} ms")
    print(f"email ilike  median over {args.runs} runs: suite {suite_email:.1f} ms, stock {stock_email:.1f} ms")
    print(f"searches that found the record: suite {suite_found}/{2 * args.runs}, stock {stock_found}/{2 * args.runs}")
    print(
        f"RESULT name=partner_search size={args.size} runs={args.runs} "
        f"suite_name_ms={suite_name:.1f} stock_name_ms={stock_name:.1f} "
        f"suite_email_ms={suite_email:.1f} stock_email_ms={stock_email:.1f} "
        f"stock_seq_scan={stock_seq} suite_seq_scan={suite_seq} "
        f"ratio={min(stock_name / suite_name, stock_email / suite_email):.1f}"
    )


if __name__ == "__main__":
    main()
