/* faceapp review queue: decide one face at a time with buttons or keys (c, r, s, a, e);
   decisions are POSTed with fetch and the page moves on without reloading. New unknown or
   uncertain faces arrive over ws/dashboard/. Server text is inserted with textContent only. */
(function () {
  "use strict";

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

  function urlFor(template, logId) { return template.replace("/0/", "/" + logId + "/"); }

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
      $("review-seen").textContent = new Date(item.seen_at).toLocaleString() +
        (item.frame_count > 1 ? " – " + new Date(item.last_seen).toLocaleTimeString() + " · " + item.frame_count + " frames" : "") +
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
      if (!person) { say("Choose who this face really is first.", true); $("review-person").focus(); return; }
      body.append("person", person);
    }
    busy = true;
    try {
      const response = await fetch(urlFor(card.dataset.decideUrl, item.log_id), {
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

  for (const button of card.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", () => decide(button.dataset.action));
  }
  const KEYS = { c: "confirm", r: "reject", s: "skip", a: "reassign", e: "add_sample" };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
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
    const response = await fetch(urlFor(card.dataset.itemUrl, face.log_id), { credentials: "same-origin" });
    if (!response.ok) return;
    queue.push((await response.json()).item);
    render();
  }

  let retry = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/dashboard/");
    socket.addEventListener("open", () => { retry = 1000; card.dataset.live = "open"; });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.type !== "recognition.result") return;
      for (const face of event.faces || []) if (uncertain(face)) arrive(face);
    });
    socket.addEventListener("close", (closed) => {
      card.dataset.live = "closed";
      if (closed.code === 4403) return;  // no access: retrying cannot help
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  render();
  connect();
})();
