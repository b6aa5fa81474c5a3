from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged, users
from odoo.tools import mute_logger

from odoo.addons.crm_client_suite.models.crm_outreach import TOUCH_OUTCOMES

from .common import CrmClientSuiteCommon
from .test_automation import AutomationCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
T0 = datetime(2026, 3, 2, 9, 0)


class OutreachCommon(CrmClientSuiteCommon):
    def last_contacts(self, partner):
        """{(channel, direction): date} of ``partner``."""
        rows = self.env["crm.last.contact"].search([("partner_id", "=", partner.id)])
        return {(row.channel, row.direction): row.date for row in rows}

    def log(self, user=None, **vals):
        values = {"summary": "Llamada de seguimiento", "channel": "call", "outcome": "done", "date": T0}
        values.update(vals)
        Outreach = self.env["crm.outreach"]
        return (Outreach.with_user(user) if user else Outreach).create(values)


@tagged("post_install", "-at_install")
class TestOutreachRecord(OutreachCommon):
    """The outreach record: audit trail, ownership, access per role."""

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_done_outreach_is_read_only_but_for_admins(self):
        call = self.log(partner_id=self.contact_a.id, duration=0.5)
        message = "is done and part of the audit trail: only Admins can change it"
        with self.assertRaisesRegex(AccessError, message):
            call.write({"summary": "Otra cosa"})
        with self.assertRaisesRegex(AccessError, message):
            call.unlink()
        self.assertEqual(call.summary, "Llamada de seguimiento")
        admin_call = call.with_user(self.admin_user)
        admin_call.write({"summary": "Corregida"})
        self.assertEqual(call.summary, "Corregida")
        admin_call.unlink()
        self.assertFalse(call.exists())

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_deleting_a_contact_keeps_done_outreach(self):
        call = self.log(partner_id=self.contact_a.id)
        with self.assertRaisesRegex(
            UserError, "has done outreach, which is part of the audit trail: archive it instead"
        ):
            self.contact_a.with_user(self.env.user).unlink()
        self.assertTrue(call.exists())
        # Planned outreach is no audit trail: it goes with its contact.
        contact = self.env["res.partner"].create({"name": "Contacto nuevo", "parent_id": self.client_a.id})
        planned = self.log(partner_id=contact.id, outcome="planned")
        contact.unlink()
        self.assertFalse(planned.exists())

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_planned_outreach_is_its_owners(self):
        planned = self.log(partner_id=self.contact_a.id, outcome="planned")
        planned.write({"outcome": "done", "duration": 0.25})
        self.assertEqual(planned.outcome, "done")
        # Someone else's planned call on a contact the contributor owns: visible, not theirs to change.
        theirs = self.log(user=self.manager, partner_id=self.contact_a.id, outcome="planned")
        theirs = theirs.with_user(self.env.user)
        self.assertEqual(theirs.summary, "Llamada de seguimiento")
        with self.assertRaisesRegex(AccessError, "only its owner or an Admin can change it"):
            theirs.write({"outcome": "done"})
        self.assertEqual(theirs.outcome, "planned")

    @users("ccs_contributor")
    def test_form_locks_done_outreach_for_non_admins(self):
        call = self.log(partner_id=self.contact_a.id)
        self.assertTrue(call.locked)
        self.assertFalse(call.with_user(self.admin_user).locked)
        self.assertFalse(self.log(partner_id=self.contact_a.id, outcome="planned").locked)

    @mute_logger(*MUTE)
    def test_access_follows_the_contact(self):
        # Logged by automation under someone else's name, on the contributor's contact.
        on_mine = self.log(partner_id=self.contact_a.id, user_id=self.admin_user.id)
        on_deal = self.log(lead_id=self.deal_contributor.id, user_id=self.admin_user.id)
        on_other = self.log(partner_id=self.contact_a_other.id, user_id=self.manager.id)
        on_b = self.log(partner_id=self.contact_b.id, user_id=self.contributor_b.id)
        everything = on_mine | on_deal | on_other | on_b
        self.assertEqual(self.visible(self.contributor, everything), on_mine | on_deal)
        self.assertEqual(self.visible(self.manager, everything), everything)
        self.set_team_isolation(True)
        self.assertEqual(self.visible(self.manager, everything), on_mine | on_deal | on_other)
        self.assertEqual(self.visible(self.admin_user, everything), everything)
        with self.assertRaises(AccessError):
            self.env["crm.outreach"].with_user(self.guest).search([])

    def test_client_and_company(self):
        call = self.log(partner_id=self.contact_a.id)
        self.assertEqual(call.client_id, self.client_a)
        self.assertEqual(call.company_id, self.env.company)
        deal_call = self.log(lead_id=self.deal_b.id)
        self.assertEqual(deal_call.client_id, self.client_b)

    @users("ccs_contributor")
    def test_log_a_call_from_the_contact_form(self):
        action = self.contact_a.with_context(crm_outreach_channel="call").action_crm_log_outreach()
        with Form(self.env["crm.outreach"].with_context(**action["context"])) as form:
            form.summary = "Llamada: presupuesto"
            form.duration = 0.5
        call = form.record
        self.assertEqual(
            (call.channel, call.direction, call.outcome, call.partner_id, call.user_id),
            ("call", "outbound", "done", self.contact_a, self.env.user),
        )
        self.assertEqual(self.contact_a.crm_outreach_count, 1)
        self.assertEqual(self.client_a.crm_outreach_count, 1)
        self.assertIn(("call", "outbound"), self.last_contacts(self.contact_a))

    @users("ccs_contributor")
    def test_log_a_meeting_from_the_deal_form(self):
        self.deal_contributor.sudo().campaign_id = self.env["utm.campaign"].sudo().create({"name": "Feria 2026"})
        action = self.deal_contributor.with_context(crm_outreach_channel="meeting").action_crm_log_outreach()
        with Form(self.env["crm.outreach"].with_context(**action["context"])) as form:
            form.summary = "Visita a obra"
        meeting = form.record
        self.assertEqual((meeting.channel, meeting.lead_id), ("meeting", self.deal_contributor))
        self.assertEqual(meeting.partner_id, self.client_a)
        self.assertEqual(meeting.campaign_id.name, "Feria 2026")
        self.assertEqual(self.deal_contributor.crm_outreach_count, 1)


@tagged("post_install", "-at_install")
class TestLastContacted(OutreachCommon):
    """Last contacted per channel and direction, from each source, and the
    contact frequency."""

    def test_outreach_updates_contact_and_client(self):
        self.log(partner_id=self.contact_a.id, channel="call", date=T0)
        self.log(partner_id=self.contact_a_other.id, channel="call", date=T0 + timedelta(hours=2))
        self.log(partner_id=self.contact_a.id, channel="call", date=T0 - timedelta(days=3))
        self.assertEqual(self.last_contacts(self.contact_a), {("call", "outbound"): T0})
        self.assertEqual(self.last_contacts(self.client_a), {("call", "outbound"): T0 + timedelta(hours=2)})
        self.assertEqual(self.contact_a.crm_last_contacted, T0)
        self.assertEqual(self.client_a.crm_last_contacted, T0 + timedelta(hours=2))
        self.assertFalse(self.last_contacts(self.contact_b))

    def test_untouched_outcomes_do_not_count(self):
        for outcome in ("planned", "no_answer", "bounced"):
            self.log(partner_id=self.contact_a.id, outcome=outcome)
        self.assertFalse(self.last_contacts(self.contact_a))
        self.assertFalse(self.contact_a.crm_last_contacted)
        planned = self.log(partner_id=self.contact_a.id, outcome="planned", channel="meeting")
        planned.outcome = "meeting_booked"
        self.assertEqual(self.last_contacts(self.contact_a), {("meeting", "outbound"): T0})

    def test_email_out_and_in_on_the_contact(self):
        with freeze_time(T0):
            self.contact_a.message_post(
                body="Le enviamos el presupuesto.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                author_id=self.manager.partner_id.id,
            )
        with freeze_time(T0 + timedelta(days=1)):
            self.contact_a.message_post(
                body="Gracias, lo revisamos.",
                message_type="email",
                subtype_xmlid="mail.mt_comment",
                author_id=self.contact_a.id,
            )
        self.assertEqual(
            self.last_contacts(self.contact_a),
            {("email", "outbound"): T0, ("email", "inbound"): T0 + timedelta(days=1)},
        )
        self.assertEqual(self.last_contacts(self.client_a), self.last_contacts(self.contact_a))
        outreach = self.env["crm.outreach"].search([("partner_id", "=", self.contact_a.id)])
        self.assertEqual(sorted(outreach.mapped("direction")), ["inbound", "outbound"])
        self.assertEqual(outreach.filtered(lambda o: o.direction == "outbound").user_id, self.manager)

    def test_internal_note_is_no_touch(self):
        self.contact_a.message_post(body="Nota interna", message_type="comment", subtype_xmlid="mail.mt_note")
        self.assertFalse(self.last_contacts(self.contact_a))
        self.assertFalse(self.env["crm.outreach"].search([("partner_id", "=", self.contact_a.id)]))

    def test_email_through_the_mail_gateway_on_a_deal(self):
        raw = (
            f"From: Lucía Fernández <{self.contact_a.email}>\r\n"
            "To: sales@example.com\r\n"
            "Subject: Consulta sobre la obra\r\n"
            "Message-ID: <consulta-1@example.com>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hola, ¿cuándo empiezan?\r\n"
        )
        with freeze_time(T0):
            lead_id = self.env["mail.thread"].message_process("crm.lead", raw)
        lead = self.env["crm.lead"].browse(lead_id)
        self.assertEqual(lead.partner_id, self.contact_a)
        self.assertEqual(self.last_contacts(self.contact_a), {("email", "inbound"): T0})
        self.assertEqual(self.last_contacts(self.client_a), {("email", "inbound"): T0})
        outreach = self.env["crm.outreach"].search([("lead_id", "=", lead.id)])
        self.assertEqual(
            (outreach.partner_id, outreach.client_id, outreach.direction, outreach.summary),
            (self.contact_a, self.client_a, "inbound", "Consulta sobre la obra"),
        )

    def test_message_on_a_deal_counts_for_its_contact(self):
        self.deal_contributor.partner_id = self.contact_a
        with freeze_time(T0):
            self.deal_contributor.message_post(
                body="Propuesta enviada", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(self.last_contacts(self.contact_a), {("email", "outbound"): T0})
        self.assertEqual(self.last_contacts(self.client_a), {("email", "outbound"): T0})
        outreach = self.env["crm.outreach"].search([("lead_id", "=", self.deal_contributor.id)])
        self.assertEqual(outreach.partner_id, self.contact_a)

    def test_messages_created_together_on_one_deal_each_count_once(self):
        self.deal_contributor.partner_id = self.contact_a
        comment = self.env.ref("mail.mt_comment")
        messages = self.env["mail.message"].create(
            [
                {
                    "model": "crm.lead",
                    "res_id": self.deal_contributor.id,
                    "message_type": "comment",
                    "subtype_id": comment.id,
                    "body": f"Seguimiento {number}",
                }
                for number in range(3)
            ]
        )
        outreach = self.env["crm.outreach"].search([("lead_id", "=", self.deal_contributor.id)])
        self.assertEqual(
            sorted(outreach.mapped("event_key")), sorted(f"mail.message:{message.id}" for message in messages)
        )
        self.assertEqual(outreach.partner_id, self.contact_a)

    def test_portal_message_is_an_inbound_platform_touch(self):
        with freeze_time(T0):
            self.contact_a.with_user(self.portal_user).sudo().message_post(
                body="Tengo una duda sobre la factura.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                author_id=self.portal_user.partner_id.id,
            )
        # A colleague of the client's wrote: the touch is theirs and the client's.
        self.assertEqual(self.last_contacts(self.portal_user.partner_id), {("platform", "inbound"): T0})
        self.assertEqual(self.last_contacts(self.client_a), {("platform", "inbound"): T0})

    def test_done_call_activity(self):
        call_type = self.env.ref("mail.mail_activity_data_call")
        activity = self.contact_a.activity_schedule(
            activity_type_id=call_type.id, summary="Llamar por el presupuesto", user_id=self.contributor.id
        )
        todo = self.contact_a.activity_schedule("mail.mail_activity_data_todo", summary="Preparar dossier")
        with freeze_time(T0):
            (activity | todo).with_user(self.contributor).action_feedback(feedback="Hablado, interesado")
        outreach = self.env["crm.outreach"].search([("partner_id", "=", self.contact_a.id)])
        self.assertEqual(
            (outreach.channel, outreach.outcome, outreach.summary, outreach.user_id),
            ("call", "done", "Llamar por el presupuesto", self.contributor),
        )
        self.assertEqual(self.last_contacts(self.contact_a), {("call", "outbound"): T0})

    def test_done_chat_and_ticket_are_touches(self):
        chat = self.contact_a.activity_schedule("crm_client_suite.mail_activity_type_chat", user_id=self.contributor.id)
        ticket = self.contact_b.activity_schedule(
            "crm_client_suite.mail_activity_type_ticket", user_id=self.contributor_b.id
        )
        with freeze_time(T0):
            chat.with_user(self.contributor).action_feedback(feedback="Resuelto por chat")
            ticket.with_user(self.contributor_b).action_feedback(feedback="Ticket cerrado")
        self.assertEqual(self.last_contacts(self.contact_a), {("messenger", "outbound"): T0})
        self.assertEqual(self.last_contacts(self.contact_b), {("platform", "outbound"): T0})
        self.assertEqual(self.contact_a.crm_touch_count_30, 1)

    def test_inbound_touch_hook(self):
        (self.contact_a | self.contact_b)._crm_register_inbound_touch("email", T0)
        self.contact_a._crm_register_inbound_touch("email", T0 - timedelta(days=1))
        self.assertEqual(self.last_contacts(self.contact_a), {("email", "inbound"): T0})
        self.assertEqual(self.last_contacts(self.client_b), {("email", "inbound"): T0})
        self.assertEqual(self.contact_b.crm_last_contacted, T0)

    def test_batch_costs_the_same_queries_for_any_size(self):
        contacts = self.env["res.partner"].create(
            [{"name": f"Contacto {n}", "parent_id": self.client_a.id} for n in range(60)]
        )

        def batch(size, day):
            vals = [
                {"summary": f"Email {n}", "channel": "email", "outcome": "done", "partner_id": contact.id, "date": day}
                for n, contact in enumerate(contacts[:size])
            ]
            self.env.flush_all()
            queries = self.env.cr.sql_log_count
            self.env["crm.outreach"].create(vals)
            self.env.flush_all()
            return self.env.cr.sql_log_count - queries

        batch(1, T0 - timedelta(days=1))  # warm the caches
        small, large = batch(5, T0), batch(60, T0 + timedelta(days=1))
        self.assertEqual(small, large)
        self.assertEqual(self.last_contacts(contacts[59]), {("email", "outbound"): T0 + timedelta(days=1)})
        self.assertEqual(self.last_contacts(contacts[0]), {("email", "outbound"): T0 + timedelta(days=1)})

    def test_frequency_and_daily_sweep(self):
        with freeze_time(T0):
            self.log(partner_id=self.contact_a.id, date=T0 - timedelta(days=10))
            self.log(partner_id=self.contact_a.id, date=T0 - timedelta(days=40), channel="email")
            self.log(partner_id=self.contact_a_other.id, date=T0 - timedelta(days=85))
            self.log(partner_id=self.contact_a.id, date=T0 - timedelta(days=5), outcome="no_answer")
        self.assertEqual((self.contact_a.crm_touch_count_30, self.contact_a.crm_touch_count_90), (1, 2))
        self.assertEqual((self.client_a.crm_touch_count_30, self.client_a.crm_touch_count_90), (1, 3))
        Partner = self.env["res.partner"]
        self.assertEqual(
            Partner.search([("id", "in", (self.contact_a | self.contact_b).ids), ("crm_touch_count_30", ">", 0)]),
            self.contact_a,
        )
        with freeze_time(T0 + timedelta(days=25)):
            Partner._cron_crm_contact_frequency()
        self.assertEqual((self.contact_a.crm_touch_count_30, self.contact_a.crm_touch_count_90), (0, 2))
        self.assertEqual((self.client_a.crm_touch_count_30, self.client_a.crm_touch_count_90), (0, 2))
        self.assertEqual(self.contact_a_other.crm_touch_count_90, 0)

    def test_removed_outreach_leaves_the_frequency(self):
        with freeze_time(T0):
            call = self.log(partner_id=self.contact_a.id)
        self.assertEqual(self.client_a.crm_touch_count_30, 1)
        with freeze_time(T0):
            call.with_user(self.admin_user).unlink()
        self.assertEqual((self.contact_a.crm_touch_count_30, self.client_a.crm_touch_count_30), (0, 0))

    def test_filter_on_channel_dates(self):
        with freeze_time(T0):
            self.log(partner_id=self.contact_a.id, channel="call", date=T0 - timedelta(days=3))
            self.log(partner_id=self.contact_b.id, channel="email", date=T0 - timedelta(days=3))
        since = fields.Datetime.to_string(T0 - timedelta(days=30))
        called = self.env["res.partner"].search(
            [("crm_last_contact_ids", "any", [("channel", "=", "call"), ("date", ">=", since)])]
        )
        self.assertEqual(called, self.contact_a | self.client_a)

    @mute_logger(*MUTE)
    def test_per_channel_dates_follow_partner_access(self):
        self.log(partner_id=self.contact_a.id)
        self.log(partner_id=self.contact_b.id)
        rows = self.env["crm.last.contact"].search([])
        seen = rows.with_user(self.contributor).search([("id", "in", rows.ids)])
        self.assertEqual(seen.partner_id, self.contact_a | self.client_a)


@tagged("post_install", "-at_install")
class TestFrequencySweep(OutreachCommon):
    """The daily frequency sweep recounts only the partners with a touch in
    the part of a window that slid since the last one; every other way a
    count changes refreshes it when it happens. Day after day, the counts
    equal a full recount."""

    def recount(self, partners, now):
        """{partner: (touches in 30 days, in 90 days)}, counted here from the outreach."""
        outreach = self.env["crm.outreach"].search([("outcome", "in", list(TOUCH_OUTCOMES))])
        result = {}
        for partner in partners.exists():
            mine = outreach.filtered(
                lambda o, p=partner: o.partner_id == p or (o.client_id == p and o.client_id != o.partner_id)
            )
            result[partner] = tuple(
                len(mine.filtered(lambda o, since=now - timedelta(days=days): o.date >= since)) for days in (30, 90)
            )
        return result

    def stored(self, partners):
        return {p: (p.crm_touch_count_30, p.crm_touch_count_90) for p in partners.exists()}

    def test_incremental_sweeps_equal_a_full_recount(self):
        Partner = self.env["res.partner"]
        mover, gone = Partner.create(
            [
                {"name": "Mover Ruiz", "parent_id": self.client_a.id},
                {"name": "Gone Weber", "parent_id": self.client_b.id},
            ]
        )
        deal = self.env["crm.lead"].create({"name": "Obra Norte", "partner_id": self.contact_b.id})
        partners = self.client_a | self.contact_a | self.contact_a_other | self.client_b | self.contact_b | mover | gone
        with freeze_time(T0):
            for partner, days in (
                (mover, 1),
                (mover, 29),
                (mover, 89),
                (self.contact_a, 5),
                (self.contact_a, 60),
                (self.contact_b, 10),
                (gone, 20),
            ):
                self.log(partner_id=partner.id, date=T0 - timedelta(days=days))
            by_deal = self.log(partner_id=self.contact_b.id, lead_id=deal.id, date=T0 - timedelta(days=3))
            removed = self.log(partner_id=self.contact_a_other.id, date=T0 - timedelta(days=12))
            moved = self.log(partner_id=self.contact_a_other.id, date=T0 - timedelta(days=50))
        admin = self.env["crm.outreach"].with_user(self.admin_user)
        events = {
            2: lambda: (
                self.log(partner_id=self.contact_a_other.id, date=T0 + timedelta(days=2)),
                self.log(partner_id=self.contact_b.id, date=T0 + timedelta(days=2 - 80), channel="email"),
            ),
            10: lambda: mover.write({"parent_id": self.client_b.id}),
            15: gone.unlink,
            20: deal.unlink,
            25: admin.browse(removed.id).unlink,
            30: lambda: admin.browse(moved.id).write({"date": T0 + timedelta(days=29)}),
            40: lambda: self.env["base.partner.merge.automatic.wizard"]._merge(
                (self.contact_a | self.contact_a_other).ids, self.contact_a, extra_checks=False
            ),
        }
        rebuilds = []
        origin = type(Partner)._crm_rebuild_touch_counts

        def rebuild(model, now=None):
            rebuilds.append(now)
            return origin(model, now)

        with patch.object(type(Partner), "_crm_rebuild_touch_counts", rebuild):
            for day in range(101):
                now = T0 + timedelta(days=day, hours=2)
                with freeze_time(now):
                    if day in events:
                        events[day]()
                    self.env.flush_all()
                    self.env.cr.flush()  # what the commit of that change runs
                    Partner._cron_crm_contact_frequency()
                self.assertEqual(self.stored(partners), self.recount(partners, now), f"day {day}")
        self.assertEqual(len(rebuilds), 1, "only the first sweep counts everything")
        self.assertFalse(by_deal.exists(), "the deal took its outreach along")
        # the outreach moved to day 29 is the last one in the 90 days
        self.assertEqual(self.stored(self.client_a | self.client_b), {self.client_a: (0, 1), self.client_b: (0, 0)})

    def test_a_long_pause_counts_everything_again(self):
        Partner = self.env["res.partner"]
        with freeze_time(T0):
            self.log(partner_id=self.contact_a.id, date=T0 - timedelta(days=1))
            Partner._cron_crm_contact_frequency()
        # a count gone wrong behind the ORM's back
        self.env.cr.execute("UPDATE res_partner SET crm_touch_count_90 = 7 WHERE id = %s", [self.contact_b.id])
        self.env.invalidate_all()
        with freeze_time(T0 + timedelta(days=1)):
            Partner._cron_crm_contact_frequency()
        self.assertEqual(self.contact_b.crm_touch_count_90, 7, "a daily sweep reads only the windows that slid")
        with freeze_time(T0 + timedelta(days=100)):
            Partner._cron_crm_contact_frequency()
        self.assertEqual((self.contact_b.crm_touch_count_90, self.contact_a.crm_touch_count_90), (0, 0))


@tagged("post_install", "-at_install")
class TestOutreachEventOnce(AutomationCommon, OutreachCommon):
    """An event that arrives through two paths is counted once."""

    def test_automation_email_is_one_outreach(self):
        automation = self.pipeline([{"action": "email", "mail_template_id": self.template.id}])
        with freeze_time(T0):
            run = automation._enrol(self.contact_a, "manual")
            self.process()
        outreach = self.env["crm.outreach"].search([("partner_id", "=", self.contact_a.id)])
        # The email step and its message in the contact's thread: one outreach, with the run.
        self.assertEqual(len(outreach), 1)
        self.assertEqual(outreach.automation_run_id, run)
        self.assertTrue(outreach.event_key.startswith("mail.message:"))
        self.assertEqual(self.contact_a.crm_touch_count_30, 1)
        self.assertEqual(self.last_contacts(self.contact_a), {("email", "outbound"): T0})

    def test_same_key_twice_is_recorded_once(self):
        Outreach = self.env["crm.outreach"]
        first = Outreach.create({"summary": "Email", "event_key": "mail.message:0", "partner_id": self.contact_a.id})
        again = Outreach.create(
            [
                {"summary": "Email", "event_key": "mail.message:0", "lead_id": self.deal_contributor.id},
                {"summary": "Email", "event_key": "mail.message:0", "lead_id": self.deal_manager.id},
            ]
        )
        self.assertEqual(again.ids, [first.id, first.id])
        # The later path completes what the first left empty.
        self.assertEqual(first.lead_id, self.deal_contributor)
        self.assertEqual(Outreach.search_count([("event_key", "=", "mail.message:0")]), 1)

    @mute_logger(*MUTE)
    def test_nobody_else_reaches_an_event_by_its_key(self):
        # The manager's email to a contributor's contact: done outreach keyed by its message.
        message = self.contact_a.with_user(self.manager).message_post(
            body="Presupuesto adjunto", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        recorded = self.env["crm.outreach"].search([("event_key", "=", f"mail.message:{message.id}")])
        self.assertEqual((len(recorded), recorded.lead_id), (1, self.env["crm.lead"]))
        Outreach = self.env["crm.outreach"].with_user(self.contributor)
        # Giving that key creates the contributor's own outreach, and leaves the recorded one alone.
        own = Outreach.create(
            {
                "summary": "Mía",
                "event_key": recorded.event_key,
                "partner_id": self.contact_a.id,
                "lead_id": self.deal_contributor.id,
            }
        )
        self.assertNotEqual(own, recorded)
        self.assertFalse(own.event_key)
        self.assertFalse(recorded.lead_id)
        # A key planted for a future message does not capture it.
        planted = Outreach.create(
            {"summary": "Trampa", "event_key": f"mail.message:{message.id + 1}", "partner_id": self.contact_a.id}
        )
        later = self.contact_a.with_user(self.manager).message_post(
            body="Segundo correo", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertEqual(later.id, message.id + 1)
        self.assertFalse(planted.event_key)
        self.assertEqual(
            self.env["crm.outreach"].search([("event_key", "=", f"mail.message:{later.id}")]).summary,
            self.contact_a.display_name,
        )
        with self.assertRaisesRegex(AccessError, "recorded by the add-on and cannot be changed"):
            own.write({"event_key": f"mail.message:{later.id}"})


@tagged("post_install", "-at_install")
class TestFrequencyInAutomation(AutomationCommon, OutreachCommon):
    """Contact frequency is a condition of automation: of who enrols, and of
    a step waiting until a contact has been touched."""

    def test_pipeline_enrols_by_touches_in_30_days(self):
        with freeze_time(T0):
            self.log(partner_id=self.contact_a.id, date=T0 - timedelta(days=2))
            self.log(partner_id=self.contact_a.id, date=T0 - timedelta(days=20), channel="email")
            self.log(partner_id=self.contact_b.id, date=T0 - timedelta(days=60))
            automation = self.pipeline([{"action": "outreach"}], domain="[('crm_touch_count_30', '>=', 2)]")
            runs = automation._enrol(self.contact_a | self.contact_b | self.contact_a_other, "manual")
        self.assertEqual(runs.partner_id, self.contact_a, "only the contact touched twice in 30 days")
        with freeze_time(T0 + timedelta(days=15)):
            self.env["res.partner"]._cron_crm_contact_frequency()
            later = self.pipeline([{"action": "outreach"}], name="Later", domain=automation.domain)
            self.assertFalse(later._enrol(self.contact_a, "manual"), "the daily sweep aged a touch out")

    def test_step_waits_until_the_contact_is_touched(self):
        automation = self.pipeline(
            [{"action": "wait", "wait_domain": "[('crm_touch_count_30', '>', 0)]"}, {"action": "outreach"}]
        )
        with freeze_time(T0):
            run = automation._enrol(self.contact_a_other, "manual")
            self.process()
        self.assertEqual(run.state, "waiting")
        with freeze_time(T0 + timedelta(minutes=5)):
            self.log(partner_id=self.contact_a_other.id, date=T0 + timedelta(minutes=5), channel="messenger")
        with freeze_time(T0 + timedelta(minutes=20)):
            self.process()
        self.assertEqual(run.state, "done")


@tagged("post_install", "-at_install")
class TestLeadSources(OutreachCommon):
    """First touch kept forever, latest source following the leads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Source = cls.env["utm.source"]
        cls.fair, cls.web = Source.create([{"name": "Feria Construmat"}, {"name": "Web"}])
        cls.email_medium = cls.env["utm.medium"].create({"name": "Correo"})
        cls.campaign = cls.env["utm.campaign"].create({"name": "Primavera 2026"})

    def test_first_touch_is_never_overwritten(self):
        partner = self.env["res.partner"].create({"name": "Nuevo Cliente S.L.", "source_id": self.fair.id})
        self.assertEqual((partner.crm_first_source_id, partner.source_id), (self.fair, self.fair))
        partner.source_id = self.web
        self.assertEqual((partner.crm_first_source_id, partner.source_id), (self.fair, self.web))
        # Not by hand, not by an import: the first touch stays.
        partner.with_user(self.admin_user).write(
            {"crm_first_source_id": self.web.id, "medium_id": self.email_medium.id}
        )
        self.assertEqual(partner.crm_first_source_id, self.fair)
        self.assertEqual(partner.crm_first_medium_id, self.email_medium)

    def test_first_touch_set_by_hand_when_empty(self):
        self.contact_b.crm_first_source_id = self.web
        self.assertEqual(self.contact_b.crm_first_source_id, self.web)
        self.assertFalse(self.contact_b.source_id)

    @users("ccs_contributor")
    def test_leads_set_the_latest_source_of_contact_and_client(self):
        Lead = self.env["crm.lead"]
        Lead.create(
            {
                "name": "Consulta feria",
                "partner_id": self.contact_a.id,
                "source_id": self.fair.id,
                "campaign_id": self.campaign.id,
            }
        )
        Lead.create({"name": "Consulta web", "partner_id": self.contact_a.id, "source_id": self.web.id})
        for partner in (self.contact_a, self.client_a):
            self.assertEqual(
                (
                    partner.crm_first_source_id,
                    partner.source_id,
                    partner.crm_first_campaign_id,
                    partner.crm_campaign_id,
                ),
                (self.fair, self.web, self.campaign, self.campaign),
            )
        self.assertFalse(self.contact_a_other.source_id)

    def test_prospect_industry_follows_the_client(self):
        industry = self.env["res.partner.industry"].create({"name": "Construcción"})
        self.client_a.industry_id = industry
        lead = self.env["crm.lead"].create({"name": "Obra", "partner_id": self.contact_a.id, "priority": "2"})
        self.assertEqual(lead.crm_industry_id, industry)
        groups = self.env["crm.lead"]._read_group([("id", "=", lead.id)], ["crm_industry_id", "priority"], ["__count"])
        self.assertEqual(groups, [(industry, "2", 1)])


@tagged("post_install", "-at_install")
class TestCampaigns(OutreachCommon):
    """Campaign costs per channel and month, and what the campaign brought."""

    def test_costs_and_figures(self):
        campaign = self.env["utm.campaign"].create({"name": "Feria 2026", "crm_budget": 5000})
        social = self.env["utm.medium"].create({"name": "Social"})
        costs = self.env["crm.campaign.cost"].create(
            [
                {"campaign_id": campaign.id, "medium_id": social.id, "date": "2026-03-17", "amount": 1200},
                {"campaign_id": campaign.id, "medium_id": social.id, "date": "2026-04-02", "amount": 800},
            ]
        )
        self.assertEqual([str(date) for date in costs.mapped("date")], ["2026-03-01", "2026-04-01"])
        won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        self.env["crm.lead"].create(
            [
                {"name": "Lead feria", "type": "lead", "campaign_id": campaign.id, "partner_id": self.contact_b.id},
                {
                    "name": "Deal feria",
                    "type": "opportunity",
                    "campaign_id": campaign.id,
                    "expected_revenue": 9000,
                    "stage_id": won.id,
                },
            ]
        )
        self.assertEqual(
            (campaign.crm_cost_total, campaign.crm_lead_count, campaign.crm_deal_count, campaign.crm_won_revenue),
            (2000, 1, 1, 9000),
        )
        # contact_b and its client came through the campaign's lead.
        self.assertEqual(campaign.crm_contact_count, 2)

    def test_period_and_refused_costs(self):
        with self.assertRaisesRegex(ValidationError, "ends before it starts"):
            self.env["utm.campaign"].create(
                {"name": "Al revés", "crm_date_start": "2026-05-01", "crm_date_end": "2026-04-01"}
            )
        campaign = self.env["utm.campaign"].create({"name": "Otoño"})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.env["crm.campaign.cost"].create({"campaign_id": campaign.id, "amount": -5})
            self.env.flush_all()

    @users("ccs_manager")
    @mute_logger(*MUTE)
    def test_managers_read_costs_admins_write_them(self):
        campaign = self.env["utm.campaign"].sudo().create({"name": "Invierno"})
        cost = self.env["crm.campaign.cost"].sudo().create({"campaign_id": campaign.id, "amount": 10})
        self.assertEqual(cost.with_env(self.env).amount, 10)
        with self.assertRefusedByAccessRights("create", "crm.campaign.cost"):
            self.env["crm.campaign.cost"].create({"campaign_id": campaign.id, "amount": 10})
