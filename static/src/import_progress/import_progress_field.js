import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

export const PROGRESS_NOTIFICATION = "crm_client_suite.import_progress";

/**
 * The progress of an import job, live: the job sends a bus notification to
 * its author after each chunk (percent, rows per second, time left); the
 * form reloads once the job stops running.
 */
export class CrmImportProgressField extends Component {
    static template = "crm_client_suite.ImportProgressField";
    static props = { ...standardFieldProps };

    setup() {
        this.busService = useService("bus_service");
        this.live = useState({ percent: null, rate: 0, eta: 0, phase: "" });
        this.onProgress = (payload) => {
            if (payload.job_id !== this.props.record.resId) {
                return;
            }
            Object.assign(this.live, {
                percent: payload.percent,
                rate: payload.rate,
                eta: payload.eta,
                phase: payload.phase_label,
            });
            if (!["queued", "running"].includes(payload.state)) {
                this.props.record.load();
            }
        };
        onMounted(() => this.busService.subscribe(PROGRESS_NOTIFICATION, this.onProgress));
        onWillUnmount(() => this.busService.unsubscribe(PROGRESS_NOTIFICATION, this.onProgress));
    }

    get percent() {
        const value = this.live.percent ?? this.props.record.data[this.props.name] ?? 0;
        return Math.min(100, Math.max(0, value));
    }

    get percentText() {
        return `${Math.round(this.percent)}%`;
    }

    get rateText() {
        return _t("%(rate)s rows/s", { rate: this.live.rate });
    }

    get etaText() {
        const eta = this.live.eta;
        if (!eta) {
            return "";
        }
        if (eta < 60) {
            return _t("%(seconds)s s left", { seconds: eta });
        }
        return _t("about %(minutes)s min left", { minutes: Math.ceil(eta / 60) });
    }
}

registry.category("fields").add("crm_import_progress", {
    component: CrmImportProgressField,
    supportedTypes: ["float"],
});
