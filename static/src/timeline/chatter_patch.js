import { Chatter } from "@mail/chatter/web_portal/chatter";
import { patch } from "@web/core/utils/patch";

/** Triggered on the env bus with `{ model, id }` when a chatter changed its record. */
export const CHATTER_CHANGED = "CRM_TIMELINE:CHATTER_CHANGED";

/**
 * The chatter reloads its thread after each change it makes (a message or a
 * note posted, an activity scheduled, edited, done or cancelled, a file
 * attached, the form saved): after its first load of a record, every later
 * load of the same record tells the timeline to reload.
 */
patch(Chatter.prototype, {
    load(thread, requestList) {
        super.load(...arguments);
        if (!thread?.id || !this.state.thread?.eq(thread)) {
            return;
        }
        if (this.crmTimelineLoaded?.eq(thread)) {
            this.env.bus.trigger(CHATTER_CHANGED, { model: thread.model, id: thread.id });
        }
        this.crmTimelineLoaded = thread;
    },
});
