/* The register's pages: cells coloured by their code's colour (data-colour: the CSP allows no
   style attribute, so through the CSSOM), and on today's daily register the rows moved by
   ws/groups/<id>/register/'s register.rows events. Text is set with textContent only. */
(function () {
  "use strict";
  const { connect, showStatus, formatTime } = window.faceapp;

  /* #rrggbb behind, black or white text, whichever reads better on it. */
  function colour(node) {
    const hex = node.dataset.colour;
    if (!/^#[0-9a-fA-F]{6}$/.test(hex)) return;
    const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
    node.style.backgroundColor = hex;
    node.style.color = (0.299 * r + 0.587 * g + 0.114 * b) > 150 ? "#111" : "#fff";
  }
  for (const node of document.querySelectorAll("[data-colour]")) colour(node);

  const table = document.getElementById("register");
  if (!table || !table.hasAttribute("data-live")) return;

  function setTime(node, iso) {
    node.setAttribute("datetime", iso || "");
    node.textContent = iso ? formatTime(iso, false) : "—";
  }

  /* One member's row from a register.rows event's "rows" (attendance.register_presenters.register_row). */
  function showRow(row) {
    const line = table.querySelector('tr[data-person-id="' + row.person_id + '"]');
    if (!line) return;  // not on this day's list (enrolled later, inactive): a reload shows it
    line.dataset.status = row.status;
    const chip = line.querySelector('[data-field="status_label"]');
    chip.className = "status-chip cell-" + row.status;
    chip.textContent = row.status_label + (row.colour && row.cell ? " · " + row.cell : "");
    chip.style.backgroundColor = chip.style.color = "";
    if (row.colour) { chip.dataset.colour = row.colour; colour(chip); } else delete chip.dataset.colour;
    setTime(line.querySelector('[data-field="first_in"]'), row.first_in);
    setTime(line.querySelector('[data-field="last_out"]'), row.last_out);
    line.querySelector('[data-field="minutes_late"]').textContent = row.minutes_late || "";
    line.querySelector('[data-field="on_site"]').textContent = row.on_site;
    line.querySelector('[data-field="in_now"]').textContent = row.in_now ? "in" : "";
    line.querySelector('[data-field="marked"]').textContent = row.marked ? "✎ marked" : "";
    line.classList.remove("moved");
    void line.offsetWidth;  // restart the highlight
    line.classList.add("moved");
  }

  function showCounts(counts) {
    for (const node of document.querySelectorAll("[data-count]")) {
      if (node.dataset.count in counts) node.textContent = counts[node.dataset.count];
    }
  }

  connect("/ws/groups/" + table.dataset.groupId + "/register/", {
    after: table.dataset.replayAfter,  // rows pushed since the page was rendered come first
    onStatus: showStatus,
    onEvent(data) {
      if (data.type !== "register.rows" || data.day !== table.dataset.day) return;
      data.rows.forEach(showRow);
      showCounts(data.counts);
    },
  });
})();
