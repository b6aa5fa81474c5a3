"""The cost of the audit log: the same writes with and without it.

On a database with crm_client_suite installed (``--db``), in one transaction
that is rolled back at the end (nothing is kept), creates ``--size`` contacts
and ``--size`` deals, then times, with the audit log on and off
(``crm_audit_mixin.AUDIT``, a switch only this process can turn):

* one write of a field on all contacts (a mass edit, an import update),
* one write of three fields on all deals,
* ``--single`` writes of one contact each, with a different value, each
  flushed as its own request would (the UI).

On a shared machine the load changes during a run, so the two sides are
interleaved: after one unmeasured warm-up round, each of ``--repeat`` rounds
runs every case once with the log and once without, in an order that
alternates from round to round (so that neither side always runs first or on
a warmer cache). Each case reports the median time of each side and its
queries (the COPY of the log's rows included); ``ratio`` is the sum of the
medians with the log over the sum without it (target: under 1.15).

    /opt/odoo-venv/bin/python bench/audit_overhead.py --db ccs_bench --size 10000

Ends with one line: ``RESULT name=audit_overhead ...``.
"""

import argparse
import os
import statistics
import time

from benchlib import addons_path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ccs_bench", help="a database with crm_client_suite installed")
    parser.add_argument("--size", type=int, default=10000, help="contacts and deals written at once (default 10000)")
    parser.add_argument("--single", type=int, default=500, help="one-record writes (default 500)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="measured rounds, each running every case on both sides (default 5)"
    )
    return parser.parse_args()


def main():
    args = parse_args()
    import odoo
    from odoo import api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", addons_path(), "--log-level=warn"])
    registry = Registry(args.db)
    from odoo.addons.crm_client_suite.models.crm_audit_mixin import AUDIT

    ctx = {"tracking_disable": True, "mail_create_nolog": True, "crm_automation_no_enrol": True}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, ctx)
        env = env(user=env.ref("base.user_admin").id)
        print(f"creating {args.size} contacts and {args.size} deals...", flush=True)
        partners = env["res.partner"].create([{"name": f"Audit bench {i}"} for i in range(args.size)])
        deals = env["crm.lead"].create(
            [{"name": f"Audit bench deal {i}", "type": "opportunity"} for i in range(args.size)]
        )
        users = env["res.users"].search([("share", "=", False)], limit=2)
        env.flush_all()
        singles = partners[: args.single]
        counter = iter(range(10**9))

        def bulk_contacts():
            partners.write({"function": f"Job {next(counter)}"})

        def bulk_deals():
            n = next(counter)
            deals.write({"expected_revenue": n, "priority": str(n % 3), "user_id": users[n % len(users)].id})

        def one_by_one():
            n = next(counter)
            for i, partner in enumerate(singles):
                partner.write({"comment": f"Note {n}-{i}"})
                # one request each: the UI saves one record and flushes
                env.flush_all()

        cases = [
            ("contacts", f"write 1 field on {args.size} contacts", bulk_contacts),
            ("deals", f"write 3 fields on {args.size} deals", bulk_deals),
            ("single", f"{args.single} one-contact writes", one_by_one),
        ]
        # The log's rows are loaded with COPY, which the cursor's query count
        # does not see: count one statement per batch of rows.
        Log = type(env["crm.audit.log"])
        insert = Log._insert
        copies = [0]

        def counted_insert(self, records, operation, rows):
            copies[0] += bool(rows)
            return insert(self, records, operation, rows)

        Log._insert = counted_insert

        def run(case, enabled):
            AUDIT["enabled"] = enabled
            env.invalidate_all()
            start_queries = cr.sql_log_count + copies[0]
            start = time.perf_counter()
            case()
            env.flush_all()
            elapsed = time.perf_counter() - start
            AUDIT["enabled"] = True
            return elapsed, cr.sql_log_count + copies[0] - start_queries

        times = {key: {True: [], False: []} for key, _label, _case in cases}
        queries = {key: {} for key, _label, _case in cases}
        print(f"load average at start: {' '.join(f'{load:.2f}' for load in os.getloadavg())}", flush=True)
        for round_ in range(args.repeat + 1):
            for index, (key, _label, case) in enumerate(cases):
                first = (round_ + index) % 2 == 0
                for enabled in (first, not first):
                    elapsed, count = run(case, enabled)
                    if round_:  # round 0 warms up the caches of both sides
                        times[key][enabled].append(elapsed)
                        queries[key][enabled] = count
        Log._insert = insert
        totals = {True: 0.0, False: 0.0}
        ratios = {}
        print(f"{'case':40} {'no log':>10} {'with log':>10} {'ratio':>7} {'queries':>15}")
        for key, label, _case in cases:
            off, on = statistics.median(times[key][False]), statistics.median(times[key][True])
            totals[False] += off
            totals[True] += on
            ratios[key] = on / off
            print(
                f"{label:40} {off * 1000:8.0f}ms {on * 1000:8.0f}ms {on / off:7.2f} "
                f"{queries[key][False]:>7} -> {queries[key][True]:<7}",
                flush=True,
            )
        print(f"load average at end: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
        logged = env["crm.audit.log"].search_count([("record_name", "like", "Audit bench")])
        print(f"audit log rows written: {logged}")
        ratio = totals[True] / totals[False]
        cr.rollback()
    print(
        f"RESULT name=audit_overhead size={args.size} single={args.single} repeat={args.repeat} "
        f"no_log_ms={totals[False] * 1000:.0f} with_log_ms={totals[True] * 1000:.0f} "
        f"contacts_ratio={ratios['contacts']:.3f} deals_ratio={ratios['deals']:.3f} "
        f"single_ratio={ratios['single']:.3f} ratio={ratio:.3f} "
        f"target=1.15 ok={'yes' if ratio < 1.15 else 'no'}"
    )


if __name__ == "__main__":
    main()
