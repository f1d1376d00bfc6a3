// Pages without a live view of their own (handover, users) still show the live status and sound new criticals.

import { announce, beep, humanType, live, t, word, zoneName } from "./common.js";

live({
  onChange(change) {
    const a = change.alarm;
    if (change.change !== "raised" && change.change !== "escalated") return;
    announce(t("New {severity} alarm: {what} in {zone}", { severity: word(a.severity), what: humanType(a.type), zone: zoneName(a.zone) }), a.severity === "critical");
    if (a.severity === "critical") beep();
  },
  onReset() {},
});
