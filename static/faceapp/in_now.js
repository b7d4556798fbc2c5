/* "In the building now": each row of today's register.rows events from the sockets of the groups the page was
   given (ws/groups/<id>/register/) adds a person who came in, or takes out one who is no longer
   in in any of those groups. Text is set with textContent only. */
(function () {
  "use strict";
  const { connect, showStatus, formatTime } = window.faceapp;
  const live = JSON.parse(document.getElementById("in-now-live").textContent);
  const body = document.querySelector("#in-now tbody");
  const inGroups = new Map();  // person id -> Set of the group ids they are in now in

  for (const line of body.querySelectorAll("tr[data-person-id]")) inGroups.set(line.dataset.personId, new Set(["*"]));

  function count() {
    document.querySelector("[data-count-in-now]").textContent = body.querySelectorAll("tr[data-person-id]").length;
  }

  function show(groupId, row) {
    const id = String(row.person_id);
    const groups = inGroups.get(id) || new Set();
    groups.delete("*");  // what the page was rendered with is replaced by what the sockets say
    if (row.in_now) groups.add(groupId); else groups.delete(groupId);
    let line = body.querySelector('tr[data-person-id="' + id + '"]');
    if (!groups.size) {
      inGroups.delete(id);
      if (line) line.remove();
      return count();
    }
    inGroups.set(id, groups);
    if (!line) {
      line = document.createElement("tr");
      line.dataset.personId = id;
      for (let cell = 0; cell < 3; cell += 1) line.appendChild(document.createElement("td"));
      body.appendChild(line);
    }
    line.children[0].textContent = row.name + (row.code ? " " + row.code : "");
    line.children[1].textContent = [...groups].map((group) => live.groups[group]).filter(Boolean).join(", ");
    if (row.first_in) line.children[2].textContent = formatTime(row.first_in, false);
    count();
  }

  for (const groupId of Object.keys(live.groups)) {
    connect("/ws/groups/" + groupId + "/register/", {
      after: live.replay_after[groupId],  // rows pushed since the page was rendered come first
      onStatus: showStatus,
      onEvent(data) {
        if (data.type !== "register.rows" || data.day !== live.day) return;
        for (const row of data.rows) show(String(data.group_id), row);
      },
    });
  }
})();
