import re

from odoo import models

from .crm_timeline_live import BUS_CHANNEL_PREFIX, BUS_SUBCHANNEL

TIMELINE_CHANNEL = re.compile(re.escape(BUS_CHANNEL_PREFIX) + r"(\d+)")


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """A browser showing a timeline asks for "crm_client_suite.timeline_<partner id>";
        it gets the partner's timeline channel only when its user, an internal
        one, may read that contact or client. The request itself is never
        subscribed (a string channel anyone could name)."""
        channels = list(channels)  # do not alter the caller's list
        requested = set()
        for channel in list(channels):
            if isinstance(channel, str) and (match := TIMELINE_CHANNEL.fullmatch(channel)):
                channels.remove(channel)
                requested.add(int(match[1]))
        if requested and self.env.user._is_internal():
            partners = (
                self.env["res.partner"].with_context(active_test=False).browse(sorted(requested)).exists()
            )._filtered_access("read")
            channels.extend((partner, BUS_SUBCHANNEL) for partner in partners)
        return super()._build_bus_channel_list(channels)
