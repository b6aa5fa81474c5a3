import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { extractAttributes } from "@web/core/utils/xml";
import { CrmColumnProgress } from "@crm/views/crm_kanban/crm_column_progress";
import { CrmKanbanArchParser } from "@crm/views/crm_kanban/crm_kanban_arch_parser";
import { CrmKanbanDynamicGroupList } from "@crm/views/crm_kanban/crm_kanban_model";
import { crmKanbanView } from "@crm/views/crm_kanban/crm_kanban_view";

// Weighted value per column: <progressbar weighted_revenue_sum_field="..."/>
patch(CrmKanbanArchParser.prototype, {
    parseProgressBar(progressBar, fields) {
        const result = super.parseProgressBar(...arguments);
        const attrs = extractAttributes(progressBar, ["weighted_revenue_sum_field"]);
        result.weighted_revenue_sum_field = fields[attrs.weighted_revenue_sum_field] || false;
        return result;
    },
});

patch(crmKanbanView.Controller.prototype, {
    get progressBarAggregateFields() {
        const res = super.progressBarAggregateFields;
        const weighted = this.props.archInfo.progressAttributes?.weighted_revenue_sum_field;
        if (weighted && !res.some((field) => field.name === weighted.name)) {
            res.push(weighted);
        }
        return res;
    },
});

patch(CrmColumnProgress.prototype, {
    getWeightedGroupAggregate(group) {
        const field = this.props.progressBarState.progressAttributes.weighted_revenue_sum_field;
        if (!field) {
            return false;
        }
        const aggregate = this.props.progressBarState.getAggregateValue(group, field);
        return { ...aggregate, title: _t("Weighted value (amount x probability)") };
    },
});

// Dropping a deal in a lost stage asks for the lost reason (crm.lead.lost)
// instead of writing the stage: the wizard archives the deal the Odoo way.
patch(CrmKanbanDynamicGroupList.prototype, {
    async moveRecord(dataRecordId, dataGroupId, refId, targetGroupId) {
        const targetGroup = this.groups.find((g) => g.id === targetGroupId);
        const sourceGroup = this.groups.find((g) => g.id === dataGroupId);
        if (
            dataGroupId !== targetGroupId &&
            sourceGroup &&
            targetGroup &&
            targetGroup.groupByField.name === "stage_id" &&
            targetGroup.value
        ) {
            const [stage] = await this.model.orm.read("crm.stage", [targetGroup.value], ["is_lost"]);
            if (stage && stage.is_lost) {
                const record = sourceGroup.list.records.find((r) => r.id === dataRecordId);
                await this.model.action.doAction("crm.crm_lead_lost_action", {
                    additionalContext: {
                        active_id: record.resId,
                        active_ids: [record.resId],
                        active_model: "crm.lead",
                    },
                    onClose: () => this.model.load(),
                });
                return;
            }
        }
        return super.moveRecord(...arguments);
    },
});
