from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import CrmClientSuiteCommon

# English labels of the field types, and what a Spanish and a German user
# must read instead (i18n/es.po, i18n/de.po).
TYPE_LABELS = {
    "text": {"en_US": "Long Text", "es_ES": "Texto largo", "de_DE": "Langtext"},
    "tags": {"en_US": "Tags", "es_ES": "Etiquetas", "de_DE": "Stichwörter"},
    "email": {"en_US": "Email", "es_ES": "Correo electrónico", "de_DE": "E-Mail"},
}
LANGS = ("es_ES", "de_DE")


@tagged("post_install", "-at_install")
class TestCustomFieldLabelsTranslated(CrmClientSuiteCommon):
    """The messages of custom fields name the field types in the user's
    language, with no English left in them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in LANGS:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"].search([("name", "=", "crm_client_suite")])._update_translations(list(LANGS))
        cls.env.registry.clear_cache()  # translated selections are cached per language
        Definition = cls.env["crm.custom.field"].with_user(cls.admin_user)
        cls.notes = Definition.create({"name": "Site Notes", "key": "site_notes", "field_type": "text"})
        cls.notes.update_field_translations("name", {"es_ES": "Notas de obra", "de_DE": "Baustellennotizen"})
        cls.billing = Definition.create({"name": "Billing Email", "key": "billing_email", "field_type": "email"})
        cls.billing.update_field_translations("name", {"es_ES": "Correo de facturación", "de_DE": "Rechnungs-E-Mail"})
        cls.client_a.x_site_notes = "Cliente desde 2019"

    def _messages(self, exception, action):
        """The message of ``exception`` raised by ``action(lang)``, per language."""
        messages = {}
        for lang in ("en_US", *LANGS):
            with self.assertRaises(exception) as caught:
                action(lang)
            messages[lang] = str(caught.exception)
        return messages

    def assertTranslated(self, messages, types, english_fragment):
        # The English message is the reference: it holds the English labels.
        for field_type in types:
            self.assertIn(TYPE_LABELS[field_type]["en_US"], messages["en_US"])
        self.assertIn(english_fragment, messages["en_US"])
        for lang in LANGS:
            message = messages[lang]
            with self.subTest(lang=lang):
                self.assertNotIn(english_fragment, message)
                self.assertNotIn(self.notes.name, message)
                self.assertNotIn(self.billing.name, message)
                for field_type in types:
                    self.assertNotIn(TYPE_LABELS[field_type]["en_US"], message)
                    self.assertIn(TYPE_LABELS[field_type][lang], message)

    def test_type_change_refused_in_the_users_language(self):
        def change(lang):
            self.notes.with_context(lang=lang).field_type = "tags"

        self.assertTranslated(self._messages(UserError, change), ("text", "tags"), "cannot change from")

    def test_type_change_with_bad_values_refused_in_the_users_language(self):
        def change(lang):
            self.notes.with_context(lang=lang).field_type = "email"

        messages = self._messages(UserError, change)
        self.assertTranslated(messages, ("email",), "cannot become")
        self.assertIn("Cliente desde 2019", messages["es_ES"])
        self.assertEqual(self.notes.field_type, "text")

    def test_invalid_value_refused_in_the_users_language(self):
        def write(lang):
            self.client_a.with_user(self.manager).with_context(lang=lang).x_billing_email = "facturas"

        messages = self._messages(ValidationError, write)
        self.assertTranslated(messages, ("email",), "is not a valid")
        self.assertIn("Correo de facturación", messages["es_ES"])
        self.assertIn("Rechnungs-E-Mail", messages["de_DE"])

    def test_type_labels_offered_in_the_users_language(self):
        for lang in LANGS:
            labels = self.notes.with_context(lang=lang)._field_type_labels()
            for field_type, label in TYPE_LABELS.items():
                self.assertEqual(labels[field_type], label[lang])
