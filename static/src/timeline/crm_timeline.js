import { Component, onWillStart, onWillUpdateProps, useEffect, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import { useBus, useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { CHATTER_CHANGED } from "./chatter_patch";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

const PAGE_SIZE = 40;
// the server's crm_timeline_live.py: a timeline's channel and notification
const BUS_CHANNEL_PREFIX = "crm_client_suite.timeline_";
const BUS_NOTIFICATION = "crm_client_suite.timeline_changed";
// A change made in this form reaches the timeline twice: the chatter's reload
// right after it, and the server's notification after its commit, often later
// than a debounce would wait. A notification this soon after the chatter's
// reload refreshes the page quietly: it shows only what else changed, if any.
const OWN_CHANGE_MS = 5000;
const ICONS = {
    email_in: "fa-envelope-open-o",
    email_out: "fa-paper-plane-o",
    note: "fa-sticky-note-o",
    call: "fa-phone",
    meeting: "fa-users",
    chat: "fa-comments",
    ticket: "fa-ticket",
    activity: "fa-clock-o",
    tracking: "fa-pencil",
    stage: "fa-flag",
    outreach: "fa-bullhorn",
    automation: "fa-cogs",
    document: "fa-file-text-o",
    email_tracking: "fa-eye",
};

/**
 * The timeline of a contact or client (crm.timeline.get_page): one page of
 * entries newest first, filters by type, contact, deal, author, words and
 * period, "load more", each entry opening the record it came from (a
 * document's entry also offers its download). It reloads itself when the
 * form's chatter changes the record, and when anyone else changes one of
 * its entries (the server's bus notification for this contact or client):
 * right away on the first page, through a "new entries" button once the
 * user has loaded more, so what they read does not move under them.
 */
export class CrmTimeline extends Component {
    static template = "crm_client_suite.CrmTimeline";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({
            entries: [],
            hasMore: false,
            loading: false,
            changedElsewhere: false,
            typeOptions: [],
            options: { contacts: [], deals: [], authors: [] },
            filters: { type: "", search: "", date_from: "", date_to: "", contact_id: "", deal_id: "", author_id: "" },
        });
        onWillStart(async () => {
            this.state.typeOptions = await this.orm.call("crm.timeline", "get_entry_types", []);
            await Promise.all([this.loadOptions(this.props.record.resId), this.load(this.props.record.resId)]);
        });
        // a message posted or an activity scheduled or done in the form's chatter
        const reloadSoon = useDebounced(() => this.reload(), 200);
        const refreshSoon = useDebounced(() => this.load(this.props.record.resId, false, true), 200);
        useBus(this.env.bus, CHATTER_CHANGED, ({ detail }) => {
            const record = this.props.record;
            if (detail.model === record.resModel && detail.id === record.resId) {
                this.ownChangeAt = Date.now();
                reloadSoon();
            }
        });
        // a change made elsewhere: another user's email, note, activity,
        // outreach or deal stage, an incoming email, an automation
        this.busService = useService("bus_service");
        const onTimelineChanged = ({ partner_id }) => {
            if (partner_id !== this.props.record.resId) {
                return;
            }
            if (this.state.entries.length > PAGE_SIZE) {
                this.state.changedElsewhere = true;
            } else if (Date.now() - (this.ownChangeAt || 0) < OWN_CHANGE_MS) {
                refreshSoon();
            } else {
                reloadSoon();
            }
        };
        useEffect(
            () => {
                this.busService.subscribe(BUS_NOTIFICATION, onTimelineChanged);
                return () => this.busService.unsubscribe(BUS_NOTIFICATION, onTimelineChanged);
            },
            () => []
        );
        useEffect(
            (resId) => {
                if (!resId) {
                    return;
                }
                const channel = `${BUS_CHANNEL_PREFIX}${resId}`;
                this.busService.addChannel(channel);
                return () => this.busService.deleteChannel(channel);
            },
            () => [this.props.record.resId]
        );
        onWillUpdateProps(async (nextProps) => {
            if (nextProps.record.resId !== this.props.record.resId) {
                Object.assign(this.state.filters, { contact_id: "", deal_id: "", author_id: "" });
                await Promise.all([this.loadOptions(nextProps.record.resId), this.load(nextProps.record.resId)]);
            }
        });
    }

    get typeLabels() {
        return Object.fromEntries(this.state.typeOptions);
    }

    async loadOptions(partnerId) {
        this.state.options = partnerId
            ? await this.orm.call("crm.timeline", "get_filter_options", [partnerId])
            : { contacts: [], deals: [], authors: [] };
    }

    serverFilters() {
        const { type, search, date_from, date_to, contact_id, deal_id, author_id } = this.state.filters;
        const filters = {};
        for (const [key, value] of Object.entries({ contact_id, deal_id, author_id })) {
            if (value) {
                filters[key] = parseInt(value);
            }
        }
        if (type) {
            filters.types = [type];
        }
        if (search.trim()) {
            filters.search = search.trim();
        }
        if (date_from) {
            filters.date_from = date_from;
        }
        if (date_to) {
            filters.date_to = date_to;
        }
        return filters;
    }

    /**
     * Load the first page of the timeline of ``partnerId``, or the next one
     * (``append``). A ``quiet`` load shows no spinner and keeps the entries
     * shown when the page is the same.
     */
    async load(partnerId, append = false, quiet = false) {
        if (!partnerId) {
            this.state.entries = [];
            this.state.hasMore = false;
            return;
        }
        // only the answer to the latest request is shown (a reload may overtake a filter change)
        const request = (this.lastRequest = (this.lastRequest || 0) + 1);
        if (!quiet) {
            this.state.loading = true;
        }
        try {
            const page = await this.orm.call("crm.timeline", "get_page", [partnerId, this.serverFilters()], {
                offset: append ? this.state.entries.length : 0,
                limit: PAGE_SIZE,
            });
            if (request !== this.lastRequest) {
                return;
            }
            if (quiet && JSON.stringify(page.entries) === JSON.stringify(this.state.entries)) {
                return;
            }
            this.state.entries = append ? [...this.state.entries, ...page.entries] : page.entries;
            this.state.hasMore = page.has_more;
            if (!append) {
                this.state.changedElsewhere = false;
            }
        } finally {
            if (request === this.lastRequest) {
                this.state.loading = false;
            }
        }
    }

    reload() {
        return this.load(this.props.record.resId);
    }

    loadMore() {
        return this.load(this.props.record.resId, true);
    }

    onSearchKeydown(ev) {
        if (ev.key === "Enter") {
            this.reload();
        }
    }

    icon(entry) {
        return ICONS[entry.type] || "fa-circle-o";
    }

    formatDate(entry) {
        return entry.date ? formatDateTime(deserializeDateTime(entry.date)) : "";
    }

    plannedLabel(entry) {
        return entry.planned ? _t("Planned") : "";
    }

    /** The deal of an entry of a deal (its reference is the link). */
    openDeal(entry) {
        if (!entry.deal_id) {
            return;
        }
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "crm.lead",
            res_id: entry.deal_id,
            views: [[false, "form"]],
            target: "current",
        });
    }

    openEntry(entry) {
        if (!entry.open_model) {
            return;
        }
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: entry.open_model,
            res_id: entry.open_id,
            views: [[false, "form"]],
            target: "current",
        });
    }
}

registry.category("view_widgets").add("crm_timeline", { component: CrmTimeline });
