from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestContactForm(CrmClientSuiteCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["utm.source"].create({"name": "Web Iberia"})
        cls.medium = cls.env["utm.medium"].create({"name": "Formulario"})
        cls.campaign = cls.env["utm.campaign"].create({"name": "Primavera 2026"})
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.form = cls.env["crm.contact.form"].create(
            {
                "name": "Contacto",
                "team_id": cls.team_a.id,
                "source_id": cls.source.id,
                "medium_id": cls.medium.id,
                "campaign_id": cls.campaign.id,
                "thank_you": "Thank you!",
                "lang_ids": [(6, 0, cls.env["res.lang"].search([("code", "in", ("es_ES", "en_US"))]).ids)],
            }
        )
        cls.form.update_field_translations("thank_you", {"es_ES": "¡Gracias!"})

    def post(self, **overrides):
        data = {
            "form_token": self.form._form_token(),
            "name": "Ana Cliente",
            "email": "ana@nueva.example.com",
            "phone": "+34 600 000 001",
            "company": "Nueva S.L.",
            "message": "Quiero un presupuesto",
        }
        data.update(overrides)
        data = {k: v for k, v in data.items() if v is not None}
        return self.url_open(f"/crm/form/{self.form.access_token}?lang=es_ES", data=data)

    def leads(self):
        return self.env["crm.lead"].search([("source_id", "=", self.source.id)])

    def test_page_in_visitor_language(self):
        response = self.url_open(f"/crm/form/{self.form.access_token}", headers={"Accept-Language": "es-ES,es;q=0.9"})
        self.assertEqual(response.status_code, 200)
        self.assertIn('lang="es-ES"', response.text)
        self.assertIn('name="form_token"', response.text)
        self.assertIn('<textarea name="message"', response.text, "the empty message field shows too")
        self.assertIn(self.form.url, self.form.embed_code)

    def test_languages_es_de_en(self):
        """The form is offered in Spanish, German and English; the visitor's
        browser picks among them, an unoffered language gets the first."""
        self.env["res.lang"]._activate_lang("de_DE")
        form = self.form.copy({"name": "Kontakt"})
        form.lang_ids = self.env["res.lang"].search([("code", "in", ("de_DE", "es_ES", "en_US"))])
        cases = [
            ("de-AT,de;q=0.9", "de-DE", "Bitte füllen Sie alle Pflichtfelder aus."),
            ("es-MX,es;q=0.9", "es-ES", "Rellena todos los campos obligatorios."),
            ("en-GB,en;q=0.8", "en-US", "Please fill in all the required fields."),
            # Not offered: the first language (languages sort by name).
            ("fr-FR,fr;q=0.9", "en-US", "Please fill in all the required fields."),
        ]
        url = f"/crm/form/{form.access_token}"
        for accept, html_lang, refusal in cases:
            with self.subTest(accept=accept):
                headers = {"Accept-Language": accept}
                self.assertIn(f'lang="{html_lang}"', self.url_open(url, headers=headers).text)
                response = self.url_open(url, data={"form_token": form._form_token(), "name": ""}, headers=headers)
                self.assertEqual(response.status_code, 400)
                self.assertIn(refusal, response.text)
        self.assertFalse(self.leads(), "refused: nothing created")

    def test_default_texts_in_each_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["res.lang"]._activate_lang("es_ES")
        form = self.env["crm.contact.form"].with_user(self.admin_user).create({"name": "Formulario web"})
        texts = {code: form.with_context(lang=code).title for code in ("en_US", "es_ES", "de_DE")}
        self.assertEqual(texts, {"en_US": "Contact us", "es_ES": "Contáctanos", "de_DE": "Kontaktieren Sie uns"})
        self.assertEqual(form.with_context(lang="de_DE").thank_you, "Danke, wir melden uns in Kürze bei Ihnen.")
        # A text the Admin wrote stays theirs.
        own = self.env["crm.contact.form"].with_user(self.admin_user).create({"name": "Propio", "title": "Escríbenos"})
        self.assertEqual(own.with_context(lang="de_DE").title, "Escríbenos")

    def test_submission_creates_lead_with_utm_team_and_event(self):
        response = self.post()
        self.assertEqual(response.status_code, 200)
        self.assertIn("¡Gracias!", response.text)
        lead = self.leads()
        self.assertEqual(
            (len(lead), lead.medium_id, lead.campaign_id, lead.team_id, lead.email_from, lead.partner_id),
            (1, self.medium, self.campaign, self.team_a, "ana@nueva.example.com", self.env["res.partner"]),
        )
        event = self.env["crm.acquisition.event"].search([("lead_id", "=", lead.id)])
        self.assertEqual(
            (event.entry_point, event.source_id, event.campaign_id), ("web_form", self.source, self.campaign)
        )

    def test_known_email_links_existing_contact(self):
        partners_before = self.env["res.partner"].search_count([])
        self.post(email="LUCIA@construcciones-ibericas.example.com", phone="+34 999 999 999")
        lead = self.leads()
        self.assertEqual(lead.partner_id, self.contact_a)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertNotEqual(self.contact_a.phone, "+34 999 999 999")
        self.assertIn("+34 999 999 999", lead.description)

    def test_html_is_stored_as_text(self):
        self.post(message="<script>alert(1)</script><b>hola</b>", name="<img src=x onerror=alert(1)>")
        lead = self.leads()
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", lead.description)
        self.assertNotIn("<script", lead.description)
        self.assertNotIn("<b>", lead.description)

    def assert_refused(self, response, status, message):
        self.assertEqual(response.status_code, status)
        self.assertIn(message, response.text)
        self.assertFalse(self.leads())
        self.assertFalse(self.env["crm.contact.form.hit"].search([]))

    def test_refusals(self):
        # The visitor reads the page in Spanish (?lang=es_ES): so do the refusals.
        cases = [
            ({"name": ""}, "Rellena todos los campos obligatorios."),
            ({"message": None}, "Rellena todos los campos obligatorios."),
            ({"email": "not-an-email"}, "Introduce una dirección de correo electrónico válida."),
            ({"company": "x" * 201}, "Algunos campos son demasiado largos."),
            ({"message": "x" * 5001}, "Algunos campos son demasiado largos."),
            ({"form_token": "123.forged"}, "Este formulario ha caducado o ha sido manipulado."),
            ({"form_token": self.form._form_token(1)}, "Este formulario ha caducado o ha sido manipulado."),
            ({"website_url": "http://spam.example.com"}, "Tu envío parece automatizado"),
        ]
        for overrides, message in cases:
            with self.subTest(overrides=list(overrides)):
                self.assert_refused(self.post(**overrides), 400, message)

    def test_rate_limit(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.contact_form_rate_limit", 2)
        for n in range(2):
            self.assertEqual(self.post(email=f"r{n}@nueva.example.com").status_code, 200)
        response = self.post(email="r3@nueva.example.com")
        self.assertEqual(response.status_code, 429)
        self.assertIn("Demasiados envíos desde tu dirección", response.text)
        self.assertEqual(len(self.leads()), 2)

    def test_only_admins_edit_configuration(self):
        self.assertEqual(self.form.with_user(self.manager).read(["name"])[0]["name"], "Contacto")
        with self.assertRaises(AccessError):
            self.form.with_user(self.manager).write({"name": "Otro"})
        self.form.with_user(self.admin_user).write({"name": "Otro"})
        self.assertEqual(self.form.name, "Otro")
