from odoo import http
from odoo.http import request
from odoo.tools import email_normalize

from ..models.crm_contact_form import MAX_LENGTHS

FIELDS = ("name", "email", "phone", "company", "message")
HONEYPOT = "website_url"


class CrmContactFormController(http.Controller):
    def _form(self, token):
        form = request.env["crm.contact.form"].sudo().search([("access_token", "=", token)], limit=1)
        if not form:
            raise request.not_found()
        lang = form._pick_lang(request.params.get("lang"), request.httprequest.accept_languages)
        request.update_context(lang=lang)
        return form.with_context(lang=lang), lang

    def _render(self, form, lang, values=None, error=None, done=False, status=200):
        response = request.render(
            "crm_client_suite.contact_form_page",
            {
                "form": form,
                "lang": lang,
                "values": values or {},
                "error": error,
                "done": done,
                "form_token": form._form_token(),
                "honeypot": HONEYPOT,
            },
            status=status,
        )
        # Embeddable in any site.
        response.headers["Content-Security-Policy"] = "frame-ancestors *"
        return response

    def _required(self, form):
        required = {"name", "email"}
        for field in ("phone", "company", "message"):
            if form[f"{field}_mode"] == "required":
                required.add(field)
        return required

    def _refusal(self, form, values, post):
        """The translated reason to refuse this submission, or None."""
        env = request.env
        if not form._check_form_token(post.get("form_token")):
            return env._("This form has expired or was tampered with. Please reload the page and try again."), 400
        if post.get(HONEYPOT):
            return env._("Your submission looks automated and was not sent."), 400
        missing = [f for f in self._required(form) if not values.get(f)]
        if missing:
            return env._("Please fill in all the required fields."), 400
        too_long = [f for f, v in values.items() if len(v) > MAX_LENGTHS[f]]
        if too_long:
            return env._("Some fields are too long. Please shorten them and try again."), 400
        if not email_normalize(values["email"]):
            return env._("Please enter a valid email address."), 400
        address = request.httprequest.remote_addr or "unknown"
        if request.env["crm.contact.form.hit"].sudo()._over_limit(address):
            return env._("Too many submissions from your address. Please wait a minute and try again."), 429
        return None

    @http.route("/crm/form/<string:token>", type="http", auth="public", methods=["GET"], sitemap=False)
    def contact_form(self, token, **kw):
        form, lang = self._form(token)
        if not form.active:
            raise request.not_found()
        return self._render(form, lang)

    # csrf=False: the signed form token of the page replaces Odoo's session
    # CSRF token, which a cross-site iframe cannot carry (see _form_token).
    @http.route("/crm/form/<string:token>", type="http", auth="public", methods=["POST"], csrf=False, sitemap=False)
    def contact_form_submit(self, token, **post):
        form, lang = self._form(token)
        if not form.active:
            raise request.not_found()
        visible = {"name", "email"} | {f for f in ("phone", "company", "message") if form[f"{f}_mode"] != "hidden"}
        values = {f: (post.get(f) or "").strip() for f in FIELDS if f in visible}
        refusal = self._refusal(form, values, post)
        if refusal:
            return self._render(form, lang, values=values, error=refusal[0], status=refusal[1])
        form._crm_create_lead(values)
        request.env["crm.contact.form.hit"].sudo()._record(request.httprequest.remote_addr or "unknown", form)
        return self._render(form, lang, done=True)
