from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon

# Fills the public form in the visitor's browser and submits it into a frame,
# the page staying put so that the test can read the answer.
VISITOR_JS = """
const form = document.querySelector("form");
form.querySelector("[name=name]").value = "Lucía Fernández";
form.querySelector("[name=email]").value = "lucia@construcciones-ibericas.example.com";
form.querySelector("[name=message]").value = "Quiero un presupuesto para una nave";
const frame = document.createElement("iframe");
frame.name = "ccs_answer";
document.body.appendChild(frame);
frame.addEventListener("load", () => {
    const answer = frame.contentDocument.body.textContent;
    if (answer.includes("Thank you, we will call you")) {
        console.log("test successful");
    } else if (frame.contentDocument.URL !== "about:blank") {
        console.error("The form was refused: " + answer);
    }
});
form.target = "ccs_answer";
form.querySelector("button[type=submit]").click();
"""


@tagged("post_install", "-at_install")
class TestOutreachUi(CrmClientSuiteCommon, HttpCase):
    def test_visitor_form_to_a_managers_call(self):
        source = self.env["utm.source"].create({"name": "Web Iberia"})
        form = self.env["crm.contact.form"].create(
            {
                "name": "Contacto",
                "team_id": self.team_a.id,
                "source_id": source.id,
                "thank_you": "Thank you, we will call you.",
            }
        )
        # The Manager follows Team Iberia, which tells its people at once.
        self.team_a.crm_acquisition_notify = "immediate"
        self.team_a.message_subscribe(partner_ids=self.manager.partner_id.ids)
        self.manager.notification_type = "inbox"  # Odoo's preference: notifications in Odoo, not by email
        self.assertFalse(self.contact_a.crm_last_contact_ids.filtered(lambda last: last.channel == "call"))

        self.browser_js(f"/crm/form/{form.access_token}", VISITOR_JS, ready="document.readyState === 'complete'")
        lead = self.env["crm.lead"].search([("source_id", "=", source.id)])
        self.assertEqual((lead.type, lead.partner_id, lead.team_id), ("opportunity", self.contact_a, self.team_a))

        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_deals", "crm_client_suite_outreach", login=self.manager.login
        )
        call = self.env["crm.outreach"].search([("partner_id", "=", self.contact_a.id), ("channel", "=", "call")])
        self.assertEqual((call.user_id, call.summary), (self.manager, "Llamada: presupuesto de la nave"))
        last_call = self.contact_a.crm_last_contact_ids.filtered(lambda last: last.channel == "call")
        self.assertEqual(last_call.date, call.date)
