"""Opening and paging the timeline of a client with many entries.

On a database with crm_client_suite installed (``--db``), in one transaction
rolled back at the end, creates one client with two contacts and two deals
and ``--size`` timeline entries spread over them (emails and notes, done and
planned activities, outreach, stage changes), then times, as a Manager
(record rules on):

* the first page (40 entries) of the client's timeline,
* a page further on (offset 400),
* the first page filtered to emails, to documents (attachments, one
  message in twenty has one), to one contact, with a word searched and
  with a deal's reference searched,
* the choices of the contact, deal and author filters,

each the median of ``--runs`` runs, and, for comparison, stock Odoo's
chatter loading the client's own first 30 messages (``_message_fetch``), which
shows only the client's messages, not its contacts' and deals'.

    /opt/odoo-venv/bin/python bench/timeline.py --db ccs_bench --size 10000

Ends with one line: ``RESULT name=timeline ...`` (target: under 300 ms).
"""

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta

from benchlib import addons_path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ccs_bench", help="a database with crm_client_suite installed")
    parser.add_argument("--size", type=int, default=10000, help="timeline entries on the client (default 10000)")
    parser.add_argument("--runs", type=int, default=7, help="runs of each case (default 7)")
    return parser.parse_args()


def main():
    args = parse_args()
    import odoo
    from odoo import Command, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", addons_path(), "--log-level=warn"])
    registry = Registry(args.db)
    rng = random.Random(42)
    ctx = {"tracking_disable": True, "mail_create_nolog": True, "crm_automation_no_enrol": True}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, ctx)
        manager = env["res.users"].create(
            {
                "name": "Timeline Bench Manager",
                "login": f"timeline_bench_{int(time.time())}",
                "groups_id": [Command.link(env.ref("crm_client_suite.group_manager").id)],
            }
        )
        client = env["res.partner"].create({"name": "Timeline Bench S.A.", "is_company": True, "user_id": manager.id})
        contacts = env["res.partner"].create(
            [{"name": f"Timeline Contact {i}", "parent_id": client.id, "user_id": manager.id} for i in range(2)]
        )
        deals = env["crm.lead"].create(
            [
                {
                    "name": f"Timeline Deal {i}",
                    "type": "opportunity",
                    "partner_id": contacts[i].id,
                    "user_id": manager.id,
                }
                for i in range(2)
            ]
        )
        documents = [("res.partner", client.id)] + [("res.partner", c.id) for c in contacts]
        documents += [("crm.lead", d.id) for d in deals]
        start = datetime(2024, 1, 1)
        dates = sorted(start + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60)) for _i in range(args.size))
        n_messages = args.size * 70 // 100
        n_activities = args.size * 10 // 100
        n_stages = args.size * 5 // 100
        n_outreach = args.size - n_messages - n_activities - n_stages
        print(
            f"creating {n_messages} messages, {n_activities} activities, {n_outreach} outreach, "
            f"{n_stages} stage changes...",
            flush=True,
        )
        note, comment = env.ref("mail.mt_note").id, env.ref("mail.mt_comment").id
        words = "presupuesto obra nave visita catálogo oferta contrato entrega factura llamada".split()
        messages = []
        for i in range(n_messages):
            model, res_id = rng.choice(documents)
            kind = rng.random()
            messages.append(
                {
                    "model": model,
                    "res_id": res_id,
                    "date": dates[i],
                    "body": f"<p>{' '.join(rng.choices(words, k=12))} #{i}</p>",
                    "subject": f"Asunto {i}" if kind < 0.5 else False,
                    "message_type": "email" if kind < 0.3 else "comment",
                    "subtype_id": comment if kind < 0.5 else note,
                    "author_id": contacts[0].id if kind < 0.3 else manager.partner_id.id,
                }
            )
        created = env["mail.message"].create(messages)
        # one message in twenty carries a document (an attachment)
        with_files = created[::20]
        attachments = env["ir.attachment"].create(
            [
                {"name": f"documento-{i}.pdf", "raw": b"%PDF-1.4", "res_model": m.model, "res_id": m.res_id}
                for i, m in enumerate(with_files)
            ]
        )
        for message, attachment in zip(with_files, attachments, strict=True):
            message.attachment_ids = [Command.link(attachment.id)]
        # the assignee follows the documents already (a batch of activities
        # would otherwise subscribe them once per activity)
        for record in (client | contacts, deals):
            record.message_subscribe(partner_ids=manager.partner_id.ids)
        activity_type = env.ref("mail.mail_activity_data_call")
        env["mail.activity"].create(
            [
                {
                    "res_model_id": env["ir.model"]._get_id(model),
                    "res_id": res_id,
                    "activity_type_id": activity_type.id,
                    "summary": f"Llamada {i}",
                    "date_deadline": dates[n_messages + i].date(),
                    "user_id": manager.id,
                }
                for i, (model, res_id) in enumerate(rng.choice(documents) for _i in range(n_activities))
            ]
        )
        env["crm.outreach"].create(
            [
                {
                    "summary": f"Visita {i}",
                    "channel": "call",
                    "partner_id": rng.choice(contacts).id,
                    "user_id": manager.id,
                    "date": dates[n_messages + n_activities + i],
                }
                for i in range(n_outreach)
            ]
        )
        stage = env["crm.stage"].search([], limit=1)
        env["crm.deal.stage.history"].create(
            [
                {
                    "lead_id": rng.choice(deals).id,
                    "stage_id": stage.id,
                    "date_in": dates[n_messages + n_activities + n_outreach + i],
                    # closed periods: each deal has a single open one already
                    "date_out": dates[n_messages + n_activities + n_outreach + i] + timedelta(hours=1),
                    "user_id": manager.id,
                }
                for i in range(n_stages)
            ]
        )
        env.flush_all()
        cr.execute(
            "ANALYZE mail_message, mail_activity, crm_outreach, crm_deal_stage_history, ir_attachment, "
            "message_attachment_rel"
        )

        menv = api.Environment(cr, manager.id, {})
        Timeline = menv["crm.timeline"]

        def timed(call):
            times = []
            for _i in range(args.runs):
                menv.invalidate_all()
                started = time.perf_counter()
                result = call()
                times.append(time.perf_counter() - started)
            return statistics.median(times) * 1000, result

        cases = {
            "first page": lambda: Timeline.get_page(client.id),
            "page at offset 400": lambda: Timeline.get_page(client.id, offset=400),
            "emails only": lambda: Timeline.get_page(client.id, {"types": ["email_in", "email_out"]}),
            "search": lambda: Timeline.get_page(client.id, {"search": "contrato"}),
            "deal reference searched": lambda: Timeline.get_page(client.id, {"search": deals[0].crm_reference}),
            "documents only": lambda: Timeline.get_page(client.id, {"types": ["document"]}),
            "one contact": lambda: Timeline.get_page(client.id, {"contact_id": contacts[0].id}),
            "filter options": lambda: {"entries": [], "has_more": bool(Timeline.get_filter_options(client.id))},
        }
        figures = {}
        for label, call in cases.items():
            ms, page = timed(call)
            figures[label] = ms
            print(f"{label:24} {ms:8.1f} ms  ({len(page['entries'])} entries, more: {page['has_more']})", flush=True)
        stock_ms, stock = timed(
            lambda: menv["mail.message"]._message_fetch(
                [("model", "=", "res.partner"), ("res_id", "=", client.id)], limit=30
            )
        )
        print(
            f"{'stock chatter, client':24} {stock_ms:8.1f} ms  ({len(stock['messages'])} messages of the client only)"
        )
        cr.rollback()
    worst = max(figures["first page"], figures["page at offset 400"])
    print(
        f"RESULT name=timeline size={args.size} first_page_ms={figures['first page']:.1f} "
        f"next_page_ms={figures['page at offset 400']:.1f} emails_ms={figures['emails only']:.1f} "
        f"search_ms={figures['search']:.1f} reference_search_ms={figures['deal reference searched']:.1f} "
        f"documents_ms={figures['documents only']:.1f} "
        f"contact_ms={figures['one contact']:.1f} options_ms={figures['filter options']:.1f} "
        f"stock_chatter_ms={stock_ms:.1f} ratio={figures['first page'] / stock_ms:.2f} "
        f"target_ms=300 ok={'yes' if worst < 300 else 'no'}"
    )


if __name__ == "__main__":
    main()
