import base64

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import Response, request

from ..models.crm_automation_tracking import CLICK_ROUTE_PART, OPEN_ROUTE

# A transparent 1x1 GIF.
PIXEL = base64.b64decode(b"R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


class CrmAutomationTrackingController(http.Controller):
    """Public routes of the open pixel and of the tracked links.

    Whatever the token, the answer is the same (the pixel, or the redirect to
    the link's address that link_tracker's /r/<code> gives anyone): a bad
    token only records nothing, and tells nothing.
    """

    @http.route(
        f"{OPEN_ROUTE}/<int:run_id>/<int:step_id>/<int:message_id>/<string:token>/blank.gif",
        type="http",
        auth="public",
        methods=["GET"],
    )
    def crm_automation_open(self, run_id, step_id, message_id, token, **kwargs):
        if not request.env["ir.http"].is_a_bot():
            request.env["crm.automation.email.event"].sudo()._crm_record_event(
                "open", run_id, step_id, message_id, token
            )
        return Response(
            PIXEL,
            mimetype="image/gif",
            headers=[("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")],
        )

    @http.route(
        f"/r/<string:code>/{CLICK_ROUTE_PART}/<int:run_id>/<int:step_id>/<int:message_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
    )
    def crm_automation_click(self, code, run_id, step_id, message_id, token, **kwargs):
        env = request.env
        link = env["link.tracker.code"].sudo().search([("code", "=", code)], limit=1).link_id
        if link and not env["ir.http"].is_a_bot():
            event = (
                env["crm.automation.email.event"]
                .sudo()
                ._crm_record_event("click", run_id, step_id, message_id, token, link=link)
            )
            if event:
                env["link.tracker.click"].sudo().add_click(
                    code,
                    ip=request.httprequest.remote_addr,
                    country_code=request.geoip.get("country_code"),
                )
        redirect_url = env["link.tracker"].sudo().get_url_from_code(code)
        if not redirect_url:
            raise NotFound()
        return request.redirect(redirect_url, code=302, local=False)
