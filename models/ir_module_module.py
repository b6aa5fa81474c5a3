from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(self, modules, langs, overwrite=False, imported_module=False):
        """Keep the add-on's texts on crm's adopted stages and mail's adopted activity types when a
        language is installed or reloaded."""
        stages = self.env["crm.stage"]
        adopted = stages._crm_adopted_stage_langs()
        result = super()._load_module_terms(modules, langs, overwrite=overwrite, imported_module=imported_module)
        stages._crm_translate_adopted_stages(adopted, langs, overwrite=overwrite)
        self.env["mail.activity.type"]._crm_translate_adopted_types(langs, overwrite=overwrite)
        return result
