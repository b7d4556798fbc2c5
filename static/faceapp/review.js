/* faceapp review queue: decide one face at a time with buttons or keys (c, r, s, a, e; the keys
   can be switched off, WCAG 2.1.4); decisions are POSTed with fetch and the page moves on without
   reloading. New unknown or uncertain faces arrive over ws/dashboard/, uploads' and camera
   visits' (from the page's replay position on). Server text is inserted with textContent only. */
(function () {
  "use strict";
  const { el, connect, showStatus, formatDateTime, formatTime } = window.faceapp;

  const card = document.getElementById("review-card");
  if (!card) return;
  const UNCERTAIN_BAND = 0.1;  // |similarity - threshold| under this counts as uncertain
  const MAX_QUEUE = 300;
  const threshold = parseFloat(card.dataset.threshold);
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const queue = JSON.parse(document.getElementById("review-items").textContent);
  const seen = new Set(queue.map((item) => item.log_id));
  const $ = (id) => document.getElementById(id);
  let busy = false;

  function setImage(img, url) {
    if (url) { img.src = url; img.hidden = false; } else { img.removeAttribute("src"); img.hidden = true; }
  }

  function number(value) { return value === null || value === undefined ? "—" : Number(value).toFixed(3); }

  function render() {
    const item = queue[0];
    $("review-count").textContent = String(queue.length);
    $("review-empty").hidden = Boolean(item);
    $("review-current").hidden = !item;
    card.dataset.logId = item ? String(item.log_id) : "";
    if (item) {
      setImage($("review-face"), item.crop_url);
      setImage($("review-candidate-face"), item.candidate_crop_url);
      $("review-no-candidate").hidden = Boolean(item.candidate_crop_url);
      $("review-candidate").textContent = item.candidate ? item.candidate.name + (item.candidate.code ? " (" + item.candidate.code + ")" : "") : "nobody enrolled";
      $("review-seen").textContent = formatDateTime(item.seen_at) +
        (item.frame_count > 1 ? " – " + formatTime(item.last_seen) + " · " + item.frame_count + " frames" : "") +
        (item.camera ? " · " + item.camera : "");
      $("review-facts").textContent = "Decided " + item.decision + " as " + item.assigned_id + " · similarity " + number(item.similarity) +
        " (threshold " + number(item.threshold) + ") · margin " + number(item.margin);
    } else {
      $("review-facts").textContent = "";
    }
    const upcoming = $("review-upcoming");
    upcoming.replaceChildren();
    for (const next of queue.slice(1, 21)) {
      const thumb = document.createElement("img");
      thumb.className = "crop";
      thumb.dataset.logId = String(next.log_id);
      thumb.alt = next.assigned_id;
      thumb.title = next.assigned_id + " · " + number(next.similarity);
      if (next.crop_url) thumb.src = next.crop_url;
      upcoming.append(thumb);
    }
  }

  function say(text, isError) {
    $("review-status").textContent = text;
    $("review-status").className = isError ? "error" : "muted";
  }

  async function decide(action) {
    const item = queue[0];
    if (!item || busy) return;
    if (action === "skip") {
      queue.push(queue.shift());
      say("Skipped " + item.assigned_id + ".");
      render();
      return;
    }
    const body = new FormData();
    body.append("action", action);
    if (action === "reassign") {
      const person = $("review-person").value;
      if (!person) { say("Choose who this face really is first.", true); $("review-person-search").focus(); return; }
      body.append("person", person);
    }
    busy = true;
    try {
      const response = await fetch(item.decide_url, {
        method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({ error: "The server answered " + response.status + "." }));
      if (!response.ok) { say(answer.error || "The decision was not saved.", true); return; }
      queue.splice(queue.indexOf(item), 1);
      const who = answer.item.reviewed_person ? answer.item.reviewed_person.name : "nobody enrolled";
      say(answer.item.review_status.charAt(0).toUpperCase() + answer.item.review_status.slice(1) + ": " + item.assigned_id + " → " + who + ".");
      render();
    } catch (error) {
      say("Not saved: " + error.message, true);
    } finally {
      busy = false;
    }
  }

  /* "It is …": a type-ahead over the enrolled people (with their faces), not a list of everyone. */
  const search = $("review-person-search");
  const options = $("review-person-options");
  let searchTimer = null;
  let active = -1;
  function choose(person) {
    $("review-person").value = String(person.id);
    search.value = person.name + (person.code ? " (" + person.code + ")" : "");
    closeOptions();
  }
  function closeOptions() { options.hidden = true; search.setAttribute("aria-expanded", "false"); active = -1; }
  function highlight(index) {
    const items = [...options.children];
    active = Math.max(0, Math.min(index, items.length - 1));
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
    if (items[active]) search.setAttribute("aria-activedescendant", items[active].id);
  }
  async function lookUp() {
    const query = search.value.trim();
    $("review-person").value = "";
    if (!query) { closeOptions(); return; }
    const url = new URL(search.dataset.searchUrl, location.href);
    url.searchParams.set("q", query);
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok || search.value.trim() !== query) return;  // a newer query is on its way
    const people = (await response.json()).people;
    options.replaceChildren(...people.map((person) => {
      const item = el("li", { role: "option", id: "review-person-" + person.id, "aria-selected": "false", dataset: { personId: person.id } },
        person.crop_url ? el("img", { src: person.crop_url, alt: "" }) : el("span", { class: "noface" }),
        el("span", { text: person.name + (person.code ? " (" + person.code + ")" : "") }));
      item.addEventListener("mousedown", (event) => { event.preventDefault(); choose(person); });
      item.person = person;
      return item;
    }));
    if (!people.length) options.append(el("li", { class: "muted", text: "Nobody enrolled matches." }));
    options.hidden = false;
    search.setAttribute("aria-expanded", "true");
    highlight(0);
  }
  search.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => lookUp().catch(() => {}), 150); });
  search.addEventListener("keydown", (event) => {
    if (options.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") { event.preventDefault(); highlight(active + (event.key === "ArrowDown" ? 1 : -1)); }
    else if (event.key === "Enter") { event.preventDefault(); const item = options.children[active]; if (item && item.person) choose(item.person); }
    else if (event.key === "Escape") closeOptions();
  });
  search.addEventListener("blur", closeOptions);

  for (const button of card.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", () => decide(button.dataset.action));
  }
  const KEYS = { c: "confirm", r: "reject", s: "skip", a: "reassign", e: "add_sample" };
  const shortcuts = $("review-shortcuts");
  shortcuts.checked = localStorage.getItem("faceapp.review.shortcuts") !== "off";
  shortcuts.addEventListener("change", () => localStorage.setItem("faceapp.review.shortcuts", shortcuts.checked ? "on" : "off"));
  document.addEventListener("keydown", (event) => {
    if (!shortcuts.checked || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea")) return;
    const action = KEYS[event.key.toLowerCase()];
    if (action) { event.preventDefault(); decide(action); }
  });

  function uncertain(face) {
    if (face.decision === "unknown") return true;
    if (face.margin !== null && face.margin < UNCERTAIN_BAND) return true;
    return face.similarity !== null && Math.abs(face.similarity - threshold) < UNCERTAIN_BAND;
  }

  async function arrive(face) {
    if (seen.has(face.log_id) || queue.length >= MAX_QUEUE) return;
    seen.add(face.log_id);
    const url = new URL(card.dataset.itemUrl, location.href);
    url.searchParams.set("log", face.log_id);
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    queue.push((await response.json()).item);
    render();
  }

  /* A camera visit (it opens, may be named, then ends): one that needs review joins the queue once. */
  function onVisit(visit) {
    const face = { log_id: visit.id, decision: visit.decision, similarity: visit.similarity, margin: null };
    if (uncertain(face)) arrive(face);
  }

  render();
  connect("/ws/dashboard/", {
    after: card.dataset.replayAfter,
    onStatus: showStatus,
    onEvent(event) {
      if (event.type === "recognition.result") {
        for (const face of event.faces || []) if (uncertain(face)) arrive(face);
      } else if (event.type === "visit.update") {
        onVisit(event.visit);
      }
    },
  });
})();
