from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(self, modules, langs, overwrite=False, imported_module=False):
        """Keep the seed's names on crm's adopted stages when a language is installed or reloaded."""
        stages = self.env["crm.stage"]
        adopted = stages._crm_adopted_stage_langs()
        result = super()._load_module_terms(modules, langs, overwrite=overwrite, imported_module=imported_module)
        stages._crm_translate_adopted_stages(adopted, langs, overwrite=overwrite)
        return result
