"""Benchmark: the weekly invoices from time against Odoo's stock path.

Ours: ``crm.time.invoicing._invoice_time`` bills every client's unbilled
timesheet lines up to the previous Sunday, one draft invoice per client,
batches locked with SKIP LOCKED and committed per batch.

Stock: the nearest path of Odoo 18 for the same billing, sale orders with a
service line invoiced on timesheets (``sale_timesheet``), invoiced through
the "Create Invoices" wizard ``sale.advance.payment.inv`` ("Regular invoice",
timesheets up to the same Sunday). It runs when ``sale_timesheet`` can be
installed in the bench database (``--no-stock`` skips it).

Both sides get the same shape of data: clients with one project each and the
same number of timesheet lines per client. Stock is usually measured on a
smaller sample (``--stock-clients``); the ratio compares seconds per client.
Creating the data is not timed. Figures: seconds, clients per second, SQL
queries per client (Odoo's per-thread counter) and peak Python memory
(tracemalloc).

Usage (installs crm_client_suite and sale_timesheet into --db when needed):

    /opt/odoo-venv/bin/python bench/weekly_invoicing.py --db ccs_bench_invoicing --clients 2000 --lines 200000
"""

import argparse
import gc
import os
import threading
import time
import tracemalloc
from datetime import date, timedelta

from benchlib import addons_path, ensure_modules

EMPLOYEES = 20


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ccs_bench_invoicing")
    parser.add_argument("--clients", type=int, default=2000, help="clients invoiced by ours (default 2000)")
    parser.add_argument("--lines", type=int, default=200000, help="timesheet lines of those clients (default 200000)")
    parser.add_argument(
        "--stock-clients", type=int, default=200, help="clients invoiced by the stock path (default 200)"
    )
    parser.add_argument("--batch", type=int, default=50, help="our run's clients per committed batch")
    parser.add_argument(
        "--grouping",
        choices=("project", "project_employee"),
        default="project",
        help="our invoice lines: per project (default: one line, as the sale order's) or per project and employee",
    )
    parser.add_argument("--no-stock", action="store_true", help="measure ours only")
    parser.add_argument("--no-tracemalloc", action="store_true", help="time without tracing memory")
    parser.add_argument("--addons-path", default=addons_path(), help="addons path holding crm_client_suite")
    return parser.parse_args()


def ensure_database(args):
    ensure_modules(args.db, ["crm_client_suite"] + ([] if args.no_stock else ["sale_timesheet"]), args.addons_path)


def measure(label, clients, fn, trace=True):
    gc.collect()
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    thread = threading.current_thread()
    thread.query_count = 0
    thread.query_time = 0
    started = time.perf_counter()
    if os.environ.get("CCS_BENCH_PROFILE") == label.strip():
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        invoices = profiler.runcall(fn)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    else:
        invoices = fn()
    elapsed = time.perf_counter() - started
    queries = thread.query_count
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    figures = {
        "seconds": elapsed,
        "clients_s": clients / elapsed,
        "queries_client": queries / clients,
        "peak_mb": peak / 1024 / 1024,
        "invoices": invoices,
    }
    print(
        f"{label:>6}: {clients} clients, {invoices} invoices in {elapsed:.1f}s = {figures['clients_s']:.1f} clients/s, "
        f"{figures['queries_client']:.1f} queries/client, peak memory {figures['peak_mb']:.1f} MiB",
        flush=True,
    )
    return figures


def create_clients(env, count, tag):
    clients = env["res.partner"].create([{"name": f"Bench client {tag} {i}", "is_company": True} for i in range(count)])
    projects = env["project.project"].create([{"name": f"Bench project {tag} {i}"} for i in range(count)])
    for project, client in zip(projects, clients, strict=True):
        project.partner_id = client
    return clients, projects


def insert_lines(env, projects, clients, employees, per_client, period_end):
    """Timesheet lines of ``projects`` through SQL: creating them is not what is measured."""
    env.flush_all()
    env.cr.execute(
        """
        INSERT INTO account_analytic_line
               (name, date, unit_amount, amount, project_id, crm_client_id, partner_id, employee_id,
                account_id, company_id, create_uid, write_uid, create_date, write_date)
        SELECT 'Bench work', %(end)s - (n %% 14), 1 + (n %% 4) * 0.5, -40 * (1 + (n %% 4) * 0.5),
               p.id, p.partner_id, p.partner_id, (%(employees)s)[1 + n %% %(n_employees)s],
               p.account_id, COALESCE(p.company_id, %(company)s), 1, 1, now(), now()
          FROM project_project p, generate_series(0, %(per_client)s - 1) n
         WHERE p.id = ANY(%(projects)s)
        """,
        {
            "end": period_end,
            "company": env.company.id,
            "employees": employees.ids,
            "n_employees": len(employees),
            "per_client": per_client,
            "projects": projects.ids,
        },
    )
    env.invalidate_all()


def main():
    args = parse_args()
    ensure_database(args)
    import odoo
    from odoo import Command, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level=warn"])
    registry = Registry(args.db)
    ctx = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True}
    per_client = max(1, args.lines // args.clients)
    today = date.today()
    period_end = today - timedelta(days=today.weekday() + 1)
    tag = int(time.time())
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, dict(ctx, crm_no_client_project=True))
        stock = not args.no_stock and "sale_timesheet" in env.registry._init_modules
        env.company.crm_invoice_line_grouping = args.grouping
        employees = env["hr.employee"].create(
            [{"name": f"Bench employee {i}", "hourly_cost": 40} for i in range(EMPLOYEES)]
        )
        print(f"creating {args.clients} clients with {per_client} lines each (ours)...", flush=True)
        # One more client on each side warms Odoo's caches before the measures.
        clients, projects = create_clients(env, args.clients + 1, f"ours-{tag}")
        insert_lines(env, projects, clients, employees, per_client, period_end)
        if stock:
            print(f"creating {args.stock_clients} sale orders with {per_client} timesheets each (stock)...", flush=True)
            product = env["product.product"].create(
                {
                    "name": f"Bench timesheet service {tag}",
                    "type": "service",
                    "invoice_policy": "delivery",
                    "service_type": "timesheet",
                    "list_price": 100,
                    "uom_id": env.ref("uom.product_uom_hour").id,
                    "uom_po_id": env.ref("uom.product_uom_hour").id,
                }
            )
            stock_clients, stock_projects = create_clients(env, args.stock_clients + 1, f"stock-{tag}")
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": client.id,
                        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
                    }
                    for client in stock_clients
                ]
            )
            orders.action_confirm()
            for project, order in zip(stock_projects, orders, strict=True):
                project.write({"allow_billable": True, "sale_line_id": order.order_line.id})
            env["account.analytic.line"].create(
                [
                    {
                        "name": "Bench work",
                        "date": period_end - timedelta(days=n % 14),
                        "unit_amount": 1 + (n % 4) * 0.5,
                        "project_id": project.id,
                        "employee_id": employees[n % EMPLOYEES].id,
                        "so_line": order.order_line.id,
                    }
                    for project, order in zip(stock_projects, orders, strict=True)
                    for n in range(per_client)
                ]
            )
        cr.commit()
        warm_client_id, client_ids = clients.ids[0], clients.ids[1:]
        warm_order_id, order_ids = (orders.ids[0], orders.ids[1:]) if stock else (None, [])

    trace = not args.no_tracemalloc
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, dict(ctx, crm_cron_commit=True))
        env["crm.time.invoicing"]._invoice_time(period_end, client_ids=[warm_client_id])

        def ours():
            moves, failures = env["crm.time.invoicing"]._invoice_time(
                period_end, client_ids=client_ids, batch_size=args.batch
            )
            assert not failures, failures
            return len(moves)

        figures = measure("ours", args.clients, ours, trace)
        cr.commit()
        assert figures["invoices"] == args.clients, figures
    stock_figures = None
    if stock:
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, ctx)

            def stock_run(order_ids=order_ids):
                wizard = (
                    env["sale.advance.payment.inv"]
                    .with_context(active_model="sale.order", active_ids=order_ids)
                    .create(
                        {
                            "advance_payment_method": "delivered",
                            "date_start_invoice_timesheet": period_end - timedelta(days=13),
                            "date_end_invoice_timesheet": period_end,
                        }
                    )
                )
                wizard.create_invoices()
                return env["account.move"].search_count([("line_ids.sale_line_ids.order_id", "in", order_ids)])

            stock_run([warm_order_id])
            stock_figures = measure("stock", args.stock_clients, stock_run, trace)
            cr.commit()
    else:
        print(" stock: sale_timesheet is not installed in the bench database, not measured", flush=True)
    per_client = figures["seconds"] / args.clients
    ratio = (stock_figures["seconds"] / args.stock_clients) / per_client if stock_figures else 0.0
    print(
        f"RESULT name=weekly_invoicing grouping={args.grouping} clients={args.clients} "
        f"lines={args.clients * max(1, args.lines // args.clients)} "
        f"seconds={figures['seconds']:.2f} queries_client={figures['queries_client']:.1f} "
        f"peak_mb={figures['peak_mb']:.1f} "
        + (
            f"stock_clients={args.stock_clients} stock_seconds={stock_figures['seconds']:.2f} "
            f"stock_queries_client={stock_figures['queries_client']:.1f} stock_peak_mb={stock_figures['peak_mb']:.1f} "
            if stock_figures
            else ""
        )
        + f"ratio={ratio:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
