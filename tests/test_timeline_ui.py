from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestTimelineUi(CrmClientSuiteCommon, HttpCase):
    def test_manager_filters_the_client_timeline_and_opens_an_entry(self):
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
        self.start_tour(f"/odoo/res.partner/{self.client_a.id}", "crm_client_suite_timeline", login=self.manager.login)
