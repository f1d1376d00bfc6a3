// Shelving on the alarm page (ISA-18.2): shelve for a time with a reason, or unshelve. alarm.js shows the rows the
// alarm's state allows and reloads the alarm when the change arrives on the stream; this script wires the buttons
// and says, while the alarm is shelved, until when, by whom and why.

import { ApiError, act, api, config, fmtTime, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const id = config.alarm_id;
const message = $("act-message");
const info = $("shelf-info");

function say(kind, text) {
  message.className = `message ${kind}`;
  message.textContent = text;
  message.hidden = false;
}

async function run(action, body, button) {
  button.disabled = true;
  try {
    await act(id, action, body);
    say("ok", action === "shelve" ? t("Shelved: it leaves the queue until its time is up.") : t("Unshelved: back in the queue."));
    return true;
  } catch (err) {
    say("error", err instanceof ApiError ? err.detail : String(err));
    return false;
  } finally {
    button.disabled = false;
  }
}

$("do-shelve").addEventListener("click", async (e) => {
  const body = { minutes: Number($("shelve-minutes").value), reason: $("shelve-reason").value.trim() };
  if (await run("shelve", body, e.currentTarget)) $("shelve-reason").value = "";
});
$("do-unshelve").addEventListener("click", (e) => run("unshelve", undefined, e.currentTarget));

async function showShelf() {
  if (info.closest(".action-row").hidden) return;
  try {
    const shelf = (await api(`/api/v1/alarms/${id}`)).shelf;
    info.textContent = shelf ? t("Shelved until {time} by {name}: {reason}", { time: fmtTime(shelf.until), name: shelf.by, reason: shelf.reason }) : "";
  } catch { /* the page says what is wrong with the connection */ }
}
new MutationObserver(showShelf).observe(info.closest(".action-row"), { attributes: true, attributeFilter: ["hidden"] });
