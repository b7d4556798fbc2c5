/* faceapp: shared helpers for the live pages. Plain JS, no build step.
   Text from the server is always inserted with textContent, never as HTML. */
(function () {
  "use strict";

  /* Make an element: el("div", {class: "x", text: "y", src: "..."}, child, ...). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key === "style") Object.assign(node.style, value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  /* The site's one clock: times are written in its zone (the server's pages use the same one),
     whatever zone the browser is in. */
  const timeZone = document.documentElement.dataset.timeZone || "UTC";
  const clockParts = new Intl.DateTimeFormat("en-GB", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  function clock(iso) {
    if (!iso) return null;
    const date = new Date(iso);
    if (isNaN(date)) return null;
    return Object.fromEntries(clockParts.formatToParts(date).map((part) => [part.type, part.value]));
  }

  /* "14:03:07" (or "14:03") in the site's zone. */
  function formatTime(iso, withSeconds = true) {
    const parts = clock(iso);
    if (!parts) return "";
    const hm = parts.hour + ":" + parts.minute;
    return withSeconds ? hm + ":" + parts.second : hm;
  }

  /* "2026-12-02 14:03:07" in the site's zone. */
  function formatDateTime(iso) {
    const parts = clock(iso);
    return parts ? parts.year + "-" + parts.month + "-" + parts.day + " " + formatTime(iso) : "";
  }

  /* Server-rendered <time data-format> elements, shown in the browser's time zone too. */
  function formatTimes(root) {
    for (const node of (root || document).querySelectorAll("time[data-format]")) {
      const text = formatTime(node.getAttribute("datetime"), node.dataset.format !== "hm");
      if (text) node.textContent = text;
    }
  }

  function similarityText(value) {
    return typeof value === "number" ? value.toFixed(2) : "–";
  }

  /* A websocket that reconnects with exponential backoff (1 s doubling up to 30 s).
     onEvent(data) gets each JSON message; onStatus("live"|"connecting"|"offline").
     after: the replay position the page was rendered at (data-replay-after): the socket asks for
     what came after it, and after a drop for what came after the last event it got (replay_id). */
  function connect(path, { onEvent, onStatus, onOpen, binaryType, after } = {}) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const base = scheme + "//" + location.host + path;
    let replayAfter = after || "";
    let delay = 1000;
    let socket = null;
    let closedByUs = false;
    const handle = {
      send(data) { if (socket && socket.readyState === WebSocket.OPEN) { socket.send(data); return true; } return false; },
      get open() { return !!socket && socket.readyState === WebSocket.OPEN; },
      close() { closedByUs = true; if (socket) socket.close(); },
    };
    function open() {
      if (onStatus) onStatus("connecting");
      socket = new WebSocket(replayAfter ? base + "?after=" + encodeURIComponent(replayAfter) : base);
      if (binaryType) socket.binaryType = binaryType;
      socket.addEventListener("open", () => {
        delay = 1000;
        if (onStatus) onStatus("live");
        if (onOpen) onOpen(handle);
      });
      socket.addEventListener("message", (message) => {
        if (typeof message.data !== "string") return;
        let data;
        try { data = JSON.parse(message.data); } catch (error) { return; }
        if (typeof data.replay_id === "string" && replayAfter) replayAfter = data.replay_id;
        if (onEvent) onEvent(data);
      });
      socket.addEventListener("close", (event) => {
        if (closedByUs) return;
        // 4403: the server refused this user; retrying cannot help.
        if (event.code === 4403) { if (onStatus) onStatus("forbidden"); return; }
        if (onStatus) onStatus("offline");
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    open();
    return handle;
  }

  /* The connection pill in a page header: <span data-live-status>. */
  function showStatus(state) {
    const labels = { live: "Live", connecting: "Connecting…", offline: "Reconnecting…", forbidden: "No access" };
    for (const node of document.querySelectorAll("[data-live-status]")) {
      node.textContent = labels[state] || state;
      node.dataset.state = state;
    }
  }

  /* The line under a camera's picture for one camera.overlay event. */
  function overlayNote(event) {
    const seen = event.still ? "nothing moves, no face followed" : event.faces.length + " face(s)";
    return seen + " · " + event.latency_ms + " ms behind";
  }

  /* Absolutely positioned face boxes over an image, in percent of the image's pixels. */
  function drawBoxes(layer, faces, width, height) {
    layer.replaceChildren();
    if (!width || !height) return;
    for (const face of faces) {
      const [x1, y1, x2, y2] = face.box;
      const box = el("div", {
        class: "face-box " + (face.decision === "known" || face.state === "named" ? "known" : (face.state === "pending" ? "pending" : "unknown")),
        style: {
          left: (100 * x1 / width) + "%", top: (100 * y1 / height) + "%",
          width: (100 * (x2 - x1) / width) + "%", height: (100 * (y2 - y1) / height) + "%",
        },
      }, el("span", { class: "face-label", text: face.label + (face.assigned_id && face.assigned_id !== face.label ? " · " + face.assigned_id : "") },
            /* who put the name on this face: its own similarity, or only its track's vote */
            face.named_by && el("span", { class: "face-by", text: face.named_by === "track" ? "decided by the track" : "by this face" })));
      layer.append(box);
    }
    placeLabels(layer);
    if (!placedLayers.has(layer)) { placedLayers.add(layer); labelResizes.observe(layer); }
  }

  /* Face labels placed apart: above its box, else below it, else pushed down past the labels it
     would cover; always inside the picture. Placed again when the picture changes size. */
  const placedLayers = new WeakSet();
  const labelResizes = new ResizeObserver((entries) => { for (const entry of entries) placeLabels(entry.target); });
  function overlapping(rect, others) {
    return others.find((other) => rect.left < other.right && other.left < rect.right && rect.top < other.bottom && other.top < rect.bottom);
  }
  function shifted(rect, dx, dy) {
    return { left: rect.left + dx, right: rect.right + dx, top: rect.top + dy, bottom: rect.bottom + dy };
  }
  function placeLabels(layer) {
    const labels = [...layer.querySelectorAll(".face-label")];
    for (const label of labels) { label.classList.remove("below"); label.style.transform = ""; }
    const stage = layer.getBoundingClientRect();
    if (!stage.width || !stage.height) return;
    const spots = labels.map((label) => {
      const above = label.getBoundingClientRect();
      label.classList.add("below");
      const below = label.getBoundingClientRect();
      label.classList.remove("below");
      const dx = Math.max(Math.min(0, stage.right - above.right), stage.left - above.left);
      return { label, above: shifted(above, dx, 0), below: shifted(below, dx, 0), dx };
    }).sort((a, b) => a.above.top - b.above.top);
    const placed = [];
    for (const spot of spots) {
      const fits = (rect) => rect.top >= stage.top && rect.bottom <= stage.bottom && !overlapping(rect, placed);
      const below = !fits(spot.above) && (fits(spot.below) || spot.below.bottom <= stage.bottom);
      let rect = below ? spot.below : spot.above, dy = 0;
      for (let hit = overlapping(rect, placed), tries = 0; hit && tries < spots.length; hit = overlapping(rect, placed), tries++) {
        dy += hit.bottom - rect.top;
        rect = shifted(rect, 0, hit.bottom - rect.top);
      }
      spot.label.classList.toggle("below", below);
      if (spot.dx || dy) spot.label.style.transform = `translate(${spot.dx}px, ${dy}px)`;
      placed.push(rect);
    }
  }

  /* A camera's live picture under its boxes in `stage` (identity.services.live_pictures). An overlay
     naming a picture ("picture": {id, url}) loads it; once loaded it replaces the picture shown and
     that overlay's boxes are drawn, so picture and boxes come from one frame. Overlays without one
     move the boxes only while no live picture is shown (none for PICTURE_STALE_MS: they stopped).
     The stage's own <img> (Test connection's still) stays until the first live picture. */
  const PICTURE_STALE_MS = 3000;
  function livePicture(stage, layer, alt) {
    let current = stage.querySelector("img");
    let live = false;
    let shownId = 0;
    let shownAt = 0;
    return {
      overlay(event, faces) {
        const picture = event.picture;
        if (picture) {
          const image = el("img", { alt, dataset: { livePicture: picture.id } });
          image.addEventListener("load", () => {
            if (picture.id <= shownId) return;  // an older picture that loaded late
            if (current) current.replaceWith(image); else stage.prepend(image);
            current = image; live = true; shownId = picture.id; shownAt = Date.now();
            drawBoxes(layer, faces, event.width, event.height);
          });
          image.src = picture.url;
          return;
        }
        if (live && Date.now() - shownAt < PICTURE_STALE_MS) return;  // the boxes wait for the next picture
        if (live) { current.remove(); current = null; live = false; }
        drawBoxes(layer, faces, event.width, event.height);
      },
    };
  }

  /* Tell the server, on each (re)connection and when the tab is hidden or shown again, whether this
     page shows live pictures now: nobody looking, no picture is made. */
  function watchPictures(handle) {
    const ask = () => handle.send(JSON.stringify({ type: "pictures", watch: !document.hidden }));
    if (!handle.picturesAsked) {
      handle.picturesAsked = true;
      document.addEventListener("visibilitychange", ask);
    }
    ask();
  }

  /* A camera's live status (a camera.status event's "camera") into the [data-field] nodes of root. */
  function showCameraStatus(root, status) {
    if (!root) return;
    for (const node of root.querySelectorAll("[data-field]")) {
      const value = status[node.dataset.field];
      if (value === undefined) continue;
      node.textContent = value === null ? "–" : String(value);
      if (node.dataset.field === "state_text") node.dataset.state = status.state;
    }
    const rates = root.querySelector("[data-rates]");
    if (rates) rates.hidden = status.fps_processed === null;  // an offline camera analyses nothing
  }

  /* One line of a visit feed, from a visit.update event's "visit"; the newest replaces its older line. */
  function showVisit(list, event) {
    const visit = event.visit;
    const empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    const old = list.querySelector('[data-visit-id="' + visit.id + '"]');
    const state = { opened: " · in view", named: " · in view", ended: " · left" }[event.event] || "";  // none: a stored visit
    const item = el("li", { class: "visit " + (visit.decision === "known" ? "known" : "unknown"), dataset: { visitId: visit.id } },
      el("img", { src: visit.crop_url, alt: "", width: 48, height: 48 }),
      el("strong", { text: visit.label }),
      el("span", { class: "muted", text: " " + (visit.assigned_id !== visit.label ? visit.assigned_id + " · " : "") +
        visit.camera.name + " · " + formatTime(visit.first_seen) + "–" + formatTime(visit.last_seen) + " · " +
        visit.frame_count + " frame(s)" + state }));
    if (old) old.replaceWith(item); else list.prepend(item);
    while (list.children.length > 50) list.lastElementChild.remove();
  }

  /* The browser's camera (getUserMedia) shown in a <video>: resolves to its stream. */
  async function openWebcam(video) {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 } }, audio: false });
    video.srcObject = stream;
    return stream;
  }

  /* A <video>'s frames as JPEG over a connect() socket (the camera page, the kiosk): tick(socket)
     sends one unless one is in flight (backpressure: the next waits for the server's camera.frame
     ack, acked(), or ackTimeoutMs); onSent() after each frame sent. */
  function frameSender(video, { maxWidth = 960, ackTimeoutMs = 5000, onSent } = {}) {
    let awaitingAck = false;
    let sentAt = 0;
    return {
      acked() { awaitingAck = false; },
      tick(socket) {
        if (!video.videoWidth || !socket.open) return;
        if (awaitingAck && Date.now() - sentAt < ackTimeoutMs) return;
        const scale = Math.min(1, maxWidth / video.videoWidth);
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
        awaitingAck = true;
        sentAt = Date.now();
        canvas.toBlob((blob) => {
          if (blob && socket.send(blob)) { if (onSent) onSent(); } else { awaitingAck = false; }
        }, "image/jpeg", 0.85);
      },
    };
  }

  window.faceapp = { el, formatTime, formatDateTime, formatTimes, similarityText, connect, showStatus, drawBoxes,
    overlayNote, livePicture, watchPictures, showCameraStatus, showVisit, openWebcam, frameSender };
  /* A server-rendered <div class="box-layer" data-faces="<json_script id>" data-width data-height>. */
  function drawStoredBoxes(root) {
    for (const layer of (root || document).querySelectorAll(".box-layer[data-faces]")) {
      const source = document.getElementById(layer.dataset.faces);
      if (source) drawBoxes(layer, JSON.parse(source.textContent), Number(layer.dataset.width), Number(layer.dataset.height));
    }
  }

  /* data-aspect="W / H": set through the CSSOM, since the pages' CSP allows no style attribute. */
  function applyAspects(root) {
    for (const node of (root || document).querySelectorAll("[data-aspect]")) node.style.aspectRatio = node.dataset.aspect;
  }

  /* On a phone the navigation folds behind a Menu button (without script it stays open). */
  function foldNavigation() {
    const toggle = document.querySelector(".menu-toggle");
    const nav = document.getElementById("site-nav");
    if (!toggle || !nav) return;
    document.documentElement.classList.add("nav-folds");
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  /* The navigation's section menus (<details>): one open at a time; a click elsewhere, the focus
     leaving it (Tab) or Escape closes it. */
  function closeMenusOnLeave() {
    const menus = [...document.querySelectorAll("#site-nav details.nav-menu")];
    for (const menu of menus) {
      menu.addEventListener("toggle", () => {
        if (menu.open) for (const other of menus) if (other !== menu) other.open = false;
      });
      menu.addEventListener("focusout", (event) => {
        if (event.relatedTarget && !menu.contains(event.relatedTarget)) menu.open = false;
      });
    }
    document.addEventListener("click", (event) => {
      for (const menu of menus) if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
    document.addEventListener("keydown", (event) => {
      const menu = menus.find((candidate) => candidate.open);
      if (event.key !== "Escape" || !menu) return;
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    formatTimes(document); drawStoredBoxes(document); applyAspects(document); foldNavigation(); closeMenusOnLeave();
  });
})();
