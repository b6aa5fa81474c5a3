from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

# crm's stock stages (xml id: their stock English name), reused in place as four of the seed's six
# columns. Negotiation and Closed Lost are the add-on's own records (data/crm_stage_data.xml).
ADOPTED_STOCK_STAGES = {
    "crm.stage_lead1": "New",
    "crm.stage_lead2": "Qualified",
    "crm.stage_lead3": "Proposition",
    "crm.stage_lead4": "Won",
}


class CrmStage(models.Model):
    _inherit = "crm.stage"

    is_lost = fields.Boolean(
        string="Is Lost Stage?",
        help="Deals dropped in this stage are marked lost the Odoo way: a lost reason is asked and the "
        "deal is archived. Restoring a lost deal moves it back to the stage it was lost from.",
    )
    probability = fields.Float(
        string="Default Probability",
        digits=(16, 2),
        help="Probability (%) given to deals entering this stage, unless a salesperson set it by hand, "
        "where the company's Deal Probability setting is Stage default. Leave 0 to let Odoo's predictive "
        "lead scoring decide.",
    )
    rotting_threshold_days = fields.Integer(
        string="Rotting Threshold (days)",
        help="A deal that stays this many days in the stage without any activity is stalled: it is "
        "flagged on the pipeline and its salesperson is notified. 0 disables the alert.",
    )

    _sql_constraints = (
        (
            "probability_range",
            "CHECK(probability >= 0 AND probability <= 100)",
            "The default probability of a stage must be between 0 and 100.",
        ),
        (
            "rotting_threshold_positive",
            "CHECK(rotting_threshold_days >= 0)",
            "The rotting threshold cannot be negative.",
        ),
    )

    @api.constrains("is_won", "is_lost")
    def _check_won_lost(self):
        if any(stage.is_won and stage.is_lost for stage in self):
            raise ValidationError(self.env._("A stage cannot be both won and lost: untick one of the two boxes."))

    @api.model
    def _get_adopted_stage_values(self):
        """The seed's values for crm's stock stages, names in the environment's language."""
        return {
            "crm.stage_lead1": {
                "name": self.env._("Lead"),
                "sequence": 1,
                "probability": 10,
                "rotting_threshold_days": 14,
                "requirements": "First contact made; the need is not yet qualified.",
            },
            "crm.stage_lead2": {
                "name": self.env._("Qualified"),
                "sequence": 2,
                "probability": 25,
                "rotting_threshold_days": 14,
                "requirements": "Opportunity verified: budget, need and decision maker known.",
            },
            "crm.stage_lead3": {
                "name": self.env._("Proposal"),
                "sequence": 3,
                "probability": 50,
                "rotting_threshold_days": 10,
                "requirements": "Formal proposal sent.",
            },
            "crm.stage_lead4": {
                "name": self.env._("Closed Won"),
                "sequence": 5,
                "probability": 100,
                "is_won": True,
                "fold": False,
                "requirements": "Deal closed successfully.",
            },
        }

    @api.model
    def _adopt_stock_stages(self):
        """Make crm's four stock stages the seed's Lead, Qualified, Proposal and Closed Won (install).

        The stages stay crm's records under crm's xml ids: other modules, their data and tests, and
        the users' own customisations refer to them, and their deals, history and predictive
        scoring frequencies stay attached. A stage an admin already renamed keeps its name, and a
        stock stage an admin deleted is not recreated. The new names get the add-on's translation
        in every installed language, over crm's translation of the old name.
        """
        values = self.with_context(lang="en_US")._get_adopted_stage_values()
        langs = [code for code, _name in self.env["res.lang"].get_installed() if code != "en_US"]
        names = {lang: self.with_context(lang=lang)._get_adopted_stage_values() for lang in langs}
        for xmlid, stock_name in ADOPTED_STOCK_STAGES.items():
            stage = self.env.ref(xmlid, raise_if_not_found=False)
            if not stage:
                continue
            stage = stage.with_context(lang="en_US")
            stage_values = dict(values[xmlid])
            untouched = stage.name == stock_name
            if not untouched:
                del stage_values["name"]
            stage.write(stage_values)
            if untouched and langs:
                stage.update_field_translations("name", {lang: names[lang][xmlid]["name"] for lang in langs})

    def _crm_adopted_stage_langs(self):
        """The languages that already hold a name for each adopted stage still under the add-on's name.

        Returns {xml id: (stage, set of language codes)}, read before a language's terms are loaded, so
        that afterwards the add-on can tell which names crm's translation files have just filled in.
        """
        values = self.with_context(lang="en_US")._get_adopted_stage_values()
        adopted = {}
        for xmlid in ADOPTED_STOCK_STAGES:
            stage = self.env.ref(xmlid, raise_if_not_found=False)
            if stage and stage.with_context(lang="en_US").name == values[xmlid]["name"]:
                self.env.cr.execute(SQL("SELECT name FROM crm_stage WHERE id = %s", stage.id))
                adopted[xmlid] = (stage, set(self.env.cr.fetchone()[0] or {}))
        return adopted

    def _crm_translate_adopted_stages(self, adopted, langs, overwrite=False):
        """Give the adopted stages the add-on's name in the languages whose terms were just loaded.

        crm's translation files name these stages after their stock names ("New", "Won"): a language
        installed after the add-on would otherwise show "Nuevo" above the seed's "Lead" column. A
        name that was already there is kept unless the terms were loaded with overwrite.
        """
        for xmlid, (stage, had) in adopted.items():
            todo = [lang for lang in langs if lang != "en_US" and (overwrite or lang not in had)]
            if todo:
                translations = {
                    lang: self.with_context(lang=lang)._get_adopted_stage_values()[xmlid]["name"] for lang in todo
                }
                stage.update_field_translations("name", translations)
