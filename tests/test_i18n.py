import re
import warnings
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

I18N = Path(__file__).resolve().parent.parent / "i18n"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Translators work in i18n/*.po: the .pot must be current and complete."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pot = polib.pofile(str(I18N / "crm_client_suite.pot"))
        cls.pot_ids = {entry.msgid for entry in cls.pot if entry.msgid}

    def test_pot_is_current(self):
        with warnings.catch_warnings():
            # Babel's extractor imports the deprecated pkg_resources.
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            reader = TranslationModuleReader(self.env.cr, modules=["crm_client_suite"])
        exported = {term[4] for term in reader if term[4]}
        self.assertFalse(
            sorted(exported - self.pot_ids)[:20],
            "Strings missing from i18n/crm_client_suite.pot: re-export it and translate es.po and de.po.",
        )

    def _check_language(self, code):
        po = {entry.msgid: entry.msgstr for entry in polib.pofile(str(I18N / f"{code}.po"))}
        untranslated = sorted(msgid for msgid in self.pot_ids if not po.get(msgid))
        self.assertFalse(untranslated[:20], f"Untranslated strings in i18n/{code}.po")
        broken = [
            msgid
            for msgid in self.pot_ids
            if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(po[msgid]))
        ]
        self.assertFalse(broken[:20], f"Placeholders differ in i18n/{code}.po")

    def test_spanish_is_complete(self):
        self._check_language("es")

    def test_german_is_complete(self):
        self._check_language("de")

    def test_menus_use_the_seed_vocabulary(self):
        for lang, clients, contacts, deals in (
            ("es_ES", "Clientes", "Contactos", "Ofertas"),
            ("de_DE", "Kunden", "Kontakte", "Deals"),
        ):
            self.env["res.lang"]._activate_lang(lang)
            self.env["ir.module.module"].search([("name", "=", "crm_client_suite")])._update_translations(lang)
            menus = self.env["ir.ui.menu"].with_context(lang=lang)
            self.assertEqual(menus.env.ref("crm_client_suite.menu_clients").name, clients)
            self.assertEqual(menus.env.ref("crm_client_suite.menu_contacts").name, contacts)
            self.assertEqual(menus.env.ref("crm_client_suite.menu_deals").name, deals)
