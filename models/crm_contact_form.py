import time
import uuid

from odoo import api, fields, models
from odoo.tools import SQL, consteq, email_normalize, plaintext2html
from odoo.tools.misc import hmac

FIELD_MODES = [("hidden", "Hidden"), ("optional", "Optional"), ("required", "Required")]
# Longest accepted value per submitted field; longer input is refused.
MAX_LENGTHS = {"name": 200, "email": 254, "phone": 40, "company": 200, "message": 5000}
TOKEN_SCOPE = "crm_client_suite.contact_form"
TOKEN_MAX_AGE = 24 * 3600
RATE_LIMIT_PARAM = "crm_client_suite.contact_form_rate_limit"
DEFAULT_RATE_LIMIT = 5


class CrmContactForm(models.Model):
    """A public contact form served at /crm/form/<access_token>: each valid
    submission creates a lead in the form's team with its UTM values."""

    _name = "crm.contact.form"
    _description = "Contact Form"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    title = fields.Char(translate=True, default=lambda self: self._default_texts()["title"])
    thank_you = fields.Text(
        string="Thank-you Text", translate=True, default=lambda self: self._default_texts()["thank_you"]
    )
    access_token = fields.Char(
        required=True, copy=False, readonly=True, index=True, default=lambda self: uuid.uuid4().hex
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    source_id = fields.Many2one("utm.source")
    medium_id = fields.Many2one("utm.medium")
    campaign_id = fields.Many2one("utm.campaign")
    lang_ids = fields.Many2many(
        "res.lang",
        string="Languages",
        domain=[("code", "in", ("es_ES", "de_DE", "en_US"))],
        help="Languages the page is shown in; the visitor's browser language picks one, the first is the default.",
    )
    phone_mode = fields.Selection(FIELD_MODES, string="Phone Field", default="optional", required=True)
    company_mode = fields.Selection(FIELD_MODES, string="Company Field", default="optional", required=True)
    message_mode = fields.Selection(FIELD_MODES, string="Message Field", default="required", required=True)
    url = fields.Char(compute="_compute_url", string="Public URL")
    embed_code = fields.Text(compute="_compute_url", string="Embed Snippet")

    _sql_constraints = (("access_token_unique", "unique(access_token)", "The form token must be unique."),)

    def _default_texts(self):
        """The title and thank-you text of a new form, in the context's language."""
        return {
            "title": self.env._("Contact us"),
            "thank_you": self.env._("Thank you, we will contact you soon."),
        }

    @api.model_create_multi
    def create(self, vals_list):
        """A form left with the default texts has them in every installed
        language, so each visitor reads their own."""
        forms = super().create(vals_list)
        defaults = self._default_texts()
        by_lang = {
            code: self.with_context(lang=code)._default_texts() for code, _name in self.env["res.lang"].get_installed()
        }
        for form, vals in zip(forms, vals_list, strict=True):
            for fname, text in defaults.items():
                if vals.get(fname, text) == text:
                    form.update_field_translations(fname, {code: texts[fname] for code, texts in by_lang.items()})
        return forms

    @api.depends("access_token")
    def _compute_url(self):
        for form in self:
            form.url = f"{form.get_base_url()}/crm/form/{form.access_token}"
            form.embed_code = (
                f'<iframe src="{form.url}" style="width:100%;height:640px;border:0" '
                f'title="{form.name or ""}" loading="lazy"></iframe>'
            )

    # Form token: signed, not Odoo's session csrf_token, because a cross-site
    # iframe does not send the SameSite=Lax session cookie.
    def _form_token(self, timestamp=None):
        self.ensure_one()
        timestamp = int(timestamp or time.time())
        signature = hmac(self.env(su=True), TOKEN_SCOPE, f"{self.id}.{timestamp}")
        return f"{timestamp}.{signature}"

    def _check_form_token(self, token):
        self.ensure_one()
        timestamp, _dot, _signature = (token or "").partition(".")
        if not timestamp.isdigit() or time.time() - int(timestamp) > TOKEN_MAX_AGE:
            return False
        return consteq(self._form_token(timestamp), token)

    def _pick_lang(self, requested, accept_languages):
        """The visitor's language among the form's (active) languages."""
        self.ensure_one()
        codes = [lang.code for lang in self.lang_ids if lang.active] or ["en_US"]
        if requested in codes:
            return requested
        for wanted, _quality in accept_languages:
            prefix = wanted.replace("-", "_").split("_")[0].lower()
            for code in codes:
                if code.lower() == wanted.replace("-", "_").lower() or code.split("_")[0] == prefix:
                    return code
        return codes[0]


class CrmContactFormHit(models.Model):
    """Accepted submissions per client address, for the rate limit: a table,
    so that it holds across workers."""

    _name = "crm.contact.form.hit"
    _description = "Contact Form Submission Counter"

    address = fields.Char(required=True, index=True)
    form_id = fields.Many2one("crm.contact.form", ondelete="cascade")

    @api.model
    def _limit(self):
        value = self.env["ir.config_parameter"].sudo().get_param(RATE_LIMIT_PARAM, DEFAULT_RATE_LIMIT)
        try:
            return int(value)
        except ValueError:
            return DEFAULT_RATE_LIMIT

    @api.model
    def _over_limit(self, address):
        """Whether ``address`` already submitted the limit in the last minute.
        Locks the address for this transaction so two workers count in turn."""
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(hashtext(%s))", f"crm_contact_form:{address}"))
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM crm_contact_form_hit WHERE address = %s "
                "AND create_date > (now() AT TIME ZONE 'UTC') - interval '1 minute'",
                address,
            )
        )
        return self.env.cr.fetchone()[0] >= self._limit()

    @api.model
    def _record(self, address, form):
        self.env.cr.execute(
            SQL("DELETE FROM crm_contact_form_hit WHERE create_date < (now() AT TIME ZONE 'UTC') - interval '1 hour'")
        )
        self.sudo().create({"address": address, "form_id": form.id})


class CrmContactFormLead(models.Model):
    _inherit = "crm.contact.form"

    def _crm_create_lead(self, values):
        """Create the lead of a valid submission; a known email links it to
        its contact, whose data an anonymous visitor never overwrites."""
        self.ensure_one()
        email = email_normalize(values["email"])
        partner = self.env["res.partner"].sudo().search([("email_normalized", "=", email)], order="id", limit=1)
        lines = [values.get("message") or ""]
        vals = {
            "name": self.env._("%(form)s: %(name)s", form=self.name, name=values["name"]),
            # As website_crm: a lead where the team qualifies leads, else a deal in its pipeline.
            "type": "lead" if self.team_id.use_leads else "opportunity",
            "user_id": False,
            "team_id": self.team_id.id,
            "company_id": self.company_id.id,
            "source_id": self.source_id.id,
            "medium_id": self.medium_id.id,
            "campaign_id": self.campaign_id.id,
            "email_from": email,
            "contact_name": values["name"],
            # The language the visitor read the form in, for assignment by language.
            "lang_id": self.env["res.lang"]._get_data(code=self.env.lang).id or False,
        }
        if partner:
            vals["partner_id"] = partner.id
            if values.get("phone"):
                lines.append(self.env._("Phone: %(phone)s", phone=values["phone"]))
            if values.get("company"):
                lines.append(self.env._("Company: %(company)s", company=values["company"]))
        else:
            vals.update(phone=values.get("phone") or False, partner_name=values.get("company") or False)
        # Plain text, escaped: never rendered as HTML.
        vals["description"] = plaintext2html("\n".join(line for line in lines if line))
        return self.env["crm.lead"].sudo().with_context(crm_entry_point="web_form").create(vals)
