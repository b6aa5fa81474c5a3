"""The cost of the audit log: the same writes with and without it.

On a database with crm_client_suite installed (``--db``), in one transaction
that is rolled back at the end (nothing is kept), creates ``--size`` contacts
and ``--size`` deals, then times, alternately with the audit log on and off
(``crm_audit_mixin.AUDIT``, a switch only this process can turn):

* one write of a field on all contacts (a mass edit, an import update),
* one write of three fields on all deals,
* ``--single`` writes of one contact each, with a different value, each
  flushed as its own request would (the UI),

each ``--repeat`` times, and prints the median time and the queries of each
side. ``ratio`` is the total time with the log over the total without it
(target: under 1.15).

    /opt/odoo-venv/bin/python bench/audit_overhead.py --db ccs_bench --size 10000

Ends with one line: ``RESULT name=audit_overhead ...``.
"""

import argparse
import statistics
import time

from benchlib import addons_path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ccs_bench", help="a database with crm_client_suite installed")
    parser.add_argument("--size", type=int, default=10000, help="contacts and deals written at once (default 10000)")
    parser.add_argument("--single", type=int, default=500, help="one-record writes (default 500)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each case per side (default 5)")
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
            (f"write 1 field on {args.size} contacts", bulk_contacts),
            (f"write 3 fields on {args.size} deals", bulk_deals),
            (f"{args.single} one-contact writes", one_by_one),
        ]
        totals = {True: 0.0, False: 0.0}
        print(f"{'case':40} {'no log':>10} {'with log':>10} {'ratio':>7} {'queries':>15}")
        for label, case in cases:
            times = {True: [], False: []}
            queries = {}
            for run in range(args.repeat):
                # alternate the order, so that neither side always runs on a warmer cache
                for enabled in (run % 2 == 0, run % 2 != 0):
                    AUDIT["enabled"] = enabled
                    env.invalidate_all()
                    start_queries = cr.sql_log_count
                    start = time.perf_counter()
                    case()
                    env.flush_all()
                    times[enabled].append(time.perf_counter() - start)
                    queries[enabled] = cr.sql_log_count - start_queries
            AUDIT["enabled"] = True
            off, on = statistics.median(times[False]), statistics.median(times[True])
            totals[False] += off
            totals[True] += on
            print(
                f"{label:40} {off * 1000:8.0f}ms {on * 1000:8.0f}ms {on / off:7.2f} "
                f"{queries[False]:>7} -> {queries[True]:<7}",
                flush=True,
            )
        logged = env["crm.audit.log"].search_count([("record_name", "like", "Audit bench")])
        print(f"audit log rows written: {logged}")
        ratio = totals[True] / totals[False]
        cr.rollback()
    print(
        f"RESULT name=audit_overhead size={args.size} single={args.single} repeat={args.repeat} "
        f"no_log_ms={totals[False] * 1000:.0f} with_log_ms={totals[True] * 1000:.0f} ratio={ratio:.3f} "
        f"target=1.15 ok={'yes' if ratio < 1.15 else 'no'}"
    )


if __name__ == "__main__":
    main()
