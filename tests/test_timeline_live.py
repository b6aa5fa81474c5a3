import json

from odoo.tests import tagged, users

from odoo.addons.bus.models.bus import channel_with_db, dispatch, hashable
from odoo.addons.bus.tests.common import WebsocketCase

from ..models.crm_automation_tracking import tracking_token
from ..models.crm_timeline_live import BUS_NOTIFICATION, BUS_SUBCHANNEL
from .common import CrmClientSuiteCommon


def timeline_channel(partner):
    return f"crm_client_suite.timeline_{partner.id}"


@tagged("post_install", "-at_install")
class TestTimelineLiveNotifications(CrmClientSuiteCommon):
    """Each change of a timeline's entry sends one notification per timeline
    it shows in, per transaction."""

    def setUp(self):
        super().setUp()
        self.env.cr.precommit.run()  # what the fixture left pending
        self.last_bus_id = self.env["bus.bus"].sudo()._bus_last_id()

    def sent(self):
        """{partner: [payload, ...]} of the timeline notifications this
        transaction sends (the precommit hooks run as on commit)."""
        self.env.cr.precommit.run()
        notes = self.env["bus.bus"].sudo().search([("id", ">", self.last_bus_id)])
        self.last_bus_id = max([self.last_bus_id, *notes.ids])
        result = {}
        Partner = self.env["res.partner"].with_context(active_test=False)
        for note in notes:
            channel = json.loads(note.channel)
            message = json.loads(note.message)
            if message["type"] != BUS_NOTIFICATION:
                continue
            db, model, res_id, sub = channel
            self.assertEqual((db, model, sub), (self.env.cr.dbname, "res.partner", BUS_SUBCHANNEL))
            result.setdefault(Partner.browse(res_id), []).append(message["payload"])
        return result

    def assertSent(self, *partners):
        sent = self.sent()
        self.assertEqual(set(sent), set(partners))
        for partner in partners:
            # one notification per timeline, saying only which one
            self.assertEqual(sent[partner], [{"partner_id": partner.id}])

    @users("ccs_contributor")
    def test_notes_and_emails_on_a_contact_notify_the_contact_and_its_client_once(self):
        contact = self.contact_a.with_user(self.env.user)
        contact.message_post(body="Llamó para confirmar", subtype_xmlid="mail.mt_note")
        contact.message_post(body="Le envío la oferta", subtype_xmlid="mail.mt_comment")
        contact.message_post(body="Recibido", message_type="email", author_id=contact.id)
        self.assertSent(self.contact_a, self.client_a)

    @users("ccs_contributor")
    def test_an_activity_scheduled_done_or_cancelled_notifies(self):
        deal = self.deal_contributor.with_user(self.env.user)
        call = deal.activity_schedule("mail.mail_activity_data_call", summary="Llamada", user_id=self.env.uid)
        # the deal belongs to the client: its timeline shows the deal's entries
        self.assertSent(self.client_a)
        call.action_feedback(feedback="Hecho")
        self.assertSent(self.client_a)
        meeting = deal.activity_schedule("mail.mail_activity_data_meeting", summary="Visita")
        self.sent()
        meeting.unlink()
        self.assertSent(self.client_a)

    @users("ccs_contributor")
    def test_an_untouched_field_of_an_activity_notifies_nothing(self):
        call = self.deal_contributor.with_user(self.env.user).activity_schedule(
            "mail.mail_activity_data_call", summary="Llamada"
        )
        self.sent()
        call.write({"summary": "Llamada de cierre"})
        self.assertSent(self.client_a)
        call.write({"recommended_activity_type_id": False})
        self.assertSent()

    @users("ccs_contributor")
    def test_a_deal_of_a_contact_notifies_the_contact_and_the_client(self):
        deal = self.env["crm.lead"].create(
            {"name": "Nave Toledo", "type": "opportunity", "partner_id": self.contact_a.id}
        )
        won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        self.sent()
        deal.stage_id = won
        self.assertSent(self.contact_a, self.client_a)

    @users("ccs_contributor")
    def test_outreach_notifies_its_contact_and_its_deal_client(self):
        self.env["crm.outreach"].create(
            [
                {"summary": "Visita", "channel": "call", "partner_id": self.contact_a.id},
                {"summary": "Correo", "channel": "email", "lead_id": self.deal_contributor.id},
            ]
        )
        self.assertSent(self.contact_a, self.client_a)

    def test_a_batch_over_two_clients_notifies_each_timeline_once(self):
        messages = [
            {"model": "res.partner", "res_id": partner.id, "body": f"Nota {i}", "message_type": "comment"}
            for i in range(3)
            for partner in (self.contact_a, self.contact_b, self.client_b)
        ]
        self.env["mail.message"].create(messages)
        self.assertSent(self.contact_a, self.client_a, self.contact_b, self.client_b)

    def test_a_message_elsewhere_notifies_no_timeline(self):
        self.team_a.message_post(body="Reunión de equipo")
        self.env["mail.message"].create({"model": "res.partner", "res_id": False, "body": "Suelto"})
        self.assertSent()

    def test_quotations_and_invoices_notify_their_contact(self):
        # who may sell is the sales apps' matter: the notification is ours
        order = (
            self.env["sale.order"]
            .sudo()
            .create({"partner_id": self.contact_a.id, "opportunity_id": self.deal_manager.id})
        )
        self.assertSent(self.contact_a, self.client_a)
        order.with_context(tracking_disable=True).write({"client_order_ref": "PO-7"})
        self.assertSent()
        self.env["account.move"].sudo().create({"move_type": "out_invoice", "partner_id": self.contact_b.id})
        self.assertSent(self.contact_b, self.client_b)
        # a vendor bill is no entry of the contact's timeline
        self.env["account.move"].sudo().create({"move_type": "in_invoice", "partner_id": self.contact_b.id})
        self.assertSent()

    def test_an_automation_step_notifies_its_contact(self):
        automation = self.env["crm.automation"].create({"name": "Seguimiento", "target_model": "res.partner"})
        run = self.env["crm.automation.run"].create(
            {"automation_id": automation.id, "res_model": "res.partner", "res_id": self.contact_a.id}
        )
        self.sent()
        self.env["crm.automation.run.step"].create([{"run_id": run.id, "result": "done"} for _i in range(3)])
        self.assertSent(self.contact_a, self.client_a)

    def test_an_email_opened_notifies_its_contact_not_a_forged_open(self):
        automation = self.env["crm.automation"].create({"name": "Seguimiento", "target_model": "res.partner"})
        run = self.env["crm.automation.run"].create(
            {"automation_id": automation.id, "res_model": "res.partner", "res_id": self.contact_a.id}
        )
        message = self.contact_a.message_post(body="Oferta", message_type="comment")
        self.sent()
        Event = self.env(user=self.env.ref("base.public_user"))["crm.automation.email.event"]
        self.assertFalse(Event._crm_record_event("open", run.id, 0, message.id, "0" * 64))
        self.assertSent()
        token = tracking_token(self.env, "open", run.id, 0, message.id)
        self.assertTrue(Event._crm_record_event("open", run.id, 0, message.id, token))
        self.assertSent(self.contact_a, self.client_a)


@tagged("post_install", "-at_install")
class TestTimelineLiveChannel(CrmClientSuiteCommon, WebsocketCase):
    """A browser gets a timeline's notifications only for a contact or client
    its user may read."""

    def subscribed(self, login, partner):
        """The server-side websockets subscribed to ``partner``'s timeline
        after ``login`` asked for it."""
        session = self.authenticate(login, login)
        websocket = self.websocket_connect(cookie=f"session_id={session.sid};")
        self.subscribe(websocket, [timeline_channel(partner)], self.env["bus.bus"]._bus_last_id())
        channel = hashable(channel_with_db(self.env.cr.dbname, (partner, BUS_SUBCHANNEL)))
        return websocket, dispatch._channels_to_ws.get(channel, set())

    def test_a_reader_receives_the_change_made_by_another_user(self):
        websocket, subscribed = self.subscribed("ccs_contributor", self.client_a)
        self.assertEqual(len(subscribed), 1)
        self.contact_a.with_user(self.manager).message_post(body="Presupuesto enviado", subtype_xmlid="mail.mt_note")
        self.trigger_notification_dispatching([(self.client_a, BUS_SUBCHANNEL)])
        [notification] = json.loads(websocket.recv())
        self.assertEqual(
            notification["message"], {"type": BUS_NOTIFICATION, "payload": {"partner_id": self.client_a.id}}
        )

    def test_the_asked_name_itself_is_never_subscribed(self):
        # a string channel anyone could name: only the record channel counts
        self.subscribed("ccs_contributor", self.client_a)
        forged = hashable(channel_with_db(self.env.cr.dbname, timeline_channel(self.client_a)))
        self.assertFalse(dispatch._channels_to_ws.get(forged))

    def test_a_user_who_may_not_read_the_client_is_refused(self):
        self.set_team_isolation(True)
        self.assertFalse(self.client_a.with_user(self.manager_b).has_access("read"))
        _websocket, subscribed = self.subscribed("ccs_manager_b", self.client_a)
        self.assertFalse(subscribed)
        # the reader of its own team's client is subscribed in the same setting
        _websocket, subscribed = self.subscribed("ccs_manager_b", self.client_b)
        self.assertEqual(len(subscribed), 1)

    def test_a_portal_user_is_refused_even_its_own_contact(self):
        partner = self.portal_user.partner_id
        self.assertTrue(partner.with_user(self.portal_user).has_access("read"))
        _websocket, subscribed = self.subscribed("ccs_portal", partner)
        self.assertFalse(subscribed)

    def test_a_missing_contact_is_ignored(self):
        missing = self.env["res.partner"].browse(self.env["res.partner"].search([], order="id desc", limit=1).id + 1)
        _websocket, subscribed = self.subscribed("ccs_contributor", missing)
        self.assertFalse(subscribed)
