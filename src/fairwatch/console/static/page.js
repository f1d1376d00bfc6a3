// Pages without a live view of their own (handover, users) still show the live status and sound new criticals.

import { announce, beep, humanType, live, zoneName } from "./common.js";

live({
  onChange(change) {
    const a = change.alarm;
    if (change.change !== "raised" && change.change !== "escalated") return;
    announce(`New ${a.severity} alarm: ${humanType(a.type)} in ${zoneName(a.zone)}`, a.severity === "critical");
    if (a.severity === "critical") beep();
  },
  onReset() {},
});
