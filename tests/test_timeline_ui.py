from odoo.tests import tagged

from odoo.addons.bus.tests.common import WebsocketCase

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestTimelineUi(CrmClientSuiteCommon, WebsocketCase):
    """A Manager's tour of the client's timeline. Websockets are allowed (as
    for bus tests): the timeline's bus channel is really subscribed."""

    def test_manager_filters_opens_an_entry_schedules_a_call_and_sees_it_done(self):
        self.contact_a.message_post(
            body="Necesitamos presupuesto para la nave",
            subject="Presupuesto nave",
            message_type="email",
            author_id=self.contact_a.id,
        )
        call = self.deal_contributor.activity_schedule(
            "mail.mail_activity_data_call", summary="Llamada de cierre", user_id=self.contributor.id
        )
        call.action_feedback(feedback="Acepta la oferta")
        # the call the tour schedules stays, archived, once done: its reminder can be checked
        call_type = self.env.ref("mail.mail_activity_data_call")
        call_type.keep_done = True
        self.start_tour(f"/odoo/res.partner/{self.client_a.id}", "crm_client_suite_timeline", login=self.manager.login)
        done = (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search([("res_model", "=", "res.partner"), ("res_id", "=", self.client_a.id)])
        )
        self.assertEqual(done.summary, "Llamada de seguimiento")
        self.assertEqual((done.activity_type_id, done.active, done.user_id), (call_type, False, self.manager))
        self.assertEqual([(r.interval_number, r.interval_unit) for r in done.crm_reminder_ids], [(2, "hours")])
        message = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", self.client_a.id),
                ("mail_activity_type_id", "=", call_type.id),
            ]
        )
        self.assertIn("Cliente interesado en la ampliación", message.body)
        self.assertEqual(message.author_id, self.manager.partner_id)
        # the saved email, and the note logged away from the form
        self.assertEqual(self.client_a.email, "compras@construcciones-ibericas.example.com")
        note = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.contact_a.id), ("body", "ilike", "visita del jueves")]
        )
        self.assertEqual((note.subtype_id, note.author_id), (self.env.ref("mail.mt_note"), self.manager.partner_id))

    def test_a_reader_past_the_first_page_is_offered_the_new_entries(self):
        for number in range(1, 46):
            self.contact_a.message_post(body=f"Seguimiento {number} de la nave", message_type="comment")
        self.start_tour(
            f"/odoo/res.partner/{self.client_a.id}", "crm_client_suite_timeline_new_entries", login=self.manager.login
        )
