from odoo import api, models
from odoo.tools import SQL


class MailActivityType(models.Model):
    """Odoo's own Email, Call and Meeting types, completed by the add-on with
    a default summary and delay (Chat and Ticket are the add-on's own:
    data/crm_activity_data.xml). They stay mail's records under mail's xml ids."""

    _inherit = "mail.activity.type"

    def _crm_adopted_type_values(self):
        """{xml id: values} of the adopted types, in the context's language."""
        return {
            "mail.mail_activity_data_email": {"summary": self.env._("Send a follow-up email"), "delay_count": 1},
            "mail.mail_activity_data_call": {"summary": self.env._("Follow-up call"), "delay_count": 2},
            "mail.mail_activity_data_meeting": {"summary": self.env._("Meeting with the client"), "delay_count": 3},
        }

    def _crm_adopted_types(self):
        """{xml id: type} of the adopted types that still have the add-on's summary."""
        ours = self.with_context(lang="en_US")._crm_adopted_type_values()
        adopted = {}
        for xmlid, values in ours.items():
            activity_type = self.env.ref(xmlid, raise_if_not_found=False)
            if activity_type and activity_type.with_context(lang="en_US").summary == values["summary"]:
                adopted[xmlid] = activity_type
        return adopted

    @api.model
    def _crm_adopt_stock_types(self):
        """Install: give the types without a summary the add-on's summary and
        delay, translated in every installed language. A type an admin
        already gave a summary is left as it is."""
        ours = self.with_context(lang="en_US")._crm_adopted_type_values()
        for xmlid, values in ours.items():
            activity_type = self.env.ref(xmlid, raise_if_not_found=False)
            if activity_type and not activity_type.with_context(lang="en_US").summary:
                activity_type.with_context(lang="en_US").write(values)
        self._crm_translate_adopted_types([code for code, _name in self.env["res.lang"].get_installed()])

    def _crm_translate_adopted_types(self, langs, overwrite=False):
        """The add-on's summary in ``langs`` (a language just installed or
        reloaded), where the type has none in that language yet."""
        langs = [lang for lang in langs if lang != "en_US"]
        for xmlid, activity_type in self._crm_adopted_types().items():
            self.env.cr.execute(SQL("SELECT summary FROM mail_activity_type WHERE id = %s", activity_type.id))
            had = set(self.env.cr.fetchone()[0] or {})
            todo = [lang for lang in langs if overwrite or lang not in had]
            if todo:
                activity_type.update_field_translations(
                    "summary",
                    {lang: self.with_context(lang=lang)._crm_adopted_type_values()[xmlid]["summary"] for lang in todo},
                )
