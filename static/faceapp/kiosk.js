/* The kiosk (/kiosk/): a tablet at the door streams its camera over ws/cameras/<id>/ with the
   camera's device token (asked once, kept in this browser's localStorage) and shows the greeting
   attendance sends (camera.message) for a few seconds; a stranger's visit shows the office's
   message. The texts are the server's (attendance.presenters.kiosk_greeting). */
(function () {
  "use strict";
  const { connect, openWebcam, frameSender } = window.faceapp;
  const root = document.getElementById("kiosk");
  const video = root.querySelector("video");
  const setup = root.querySelector("[data-setup]");
  const setupNote = root.querySelector("[data-setup-note]");
  const cameraInput = root.querySelector("[data-camera-id]");
  const tokenInput = root.querySelector("[data-token]");
  const greeting = root.querySelector("[data-greeting]");
  const note = root.querySelector("[data-note]");
  const forget = root.querySelector("[data-forget]");
  const stranger = JSON.parse(document.getElementById("kiosk-stranger").textContent).message;
  const fps = Math.max(Number(root.dataset.fps) || 2, 0.1);
  const STORE = "faceapp.kiosk";
  const GREETING_MS = 6000;
  const IDLE = "Look at the camera to check in or out";

  let socket = null;
  let timer = null;
  let hideTimer = null;
  let authed = false;
  const frames = frameSender(video);

  function saved() {
    try {
      const kiosk = JSON.parse(localStorage.getItem(STORE) || "null");
      return kiosk && /^\d+$/.test(kiosk.cameraId) && kiosk.token ? kiosk : null;
    } catch (error) { return null; }
  }

  function show(message) {
    greeting.dataset.kind = message.kind === "stranger" ? "stranger" : (message.direction || "").toLowerCase();
    root.querySelector("[data-name]").textContent = message.kind === "stranger" ? message.text : message.name;
    root.querySelector("[data-direction]").textContent = message.kind === "stranger" ? "" : message.direction + " · " + message.time;
    root.querySelector("[data-status]").textContent = message.kind === "stranger" ? "" : message.status;
    greeting.hidden = false;
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => { greeting.hidden = true; }, GREETING_MS);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    if (socket) socket.close();
    socket = null;
    authed = false;
  }

  function askForSetup(text) {
    stop();
    setupNote.textContent = text;
    setup.hidden = false;
    forget.hidden = true;
    note.textContent = "";
  }

  function start(kiosk) {
    setup.hidden = true;
    forget.hidden = false;
    note.textContent = "Connecting…";
    socket = connect("/ws/cameras/" + kiosk.cameraId + "/", {
      onOpen(handle) { handle.send(JSON.stringify({ type: "auth", token: kiosk.token })); },
      onStatus(state) {
        if (state === "forbidden") {
          askForSetup("This camera id and token were refused (a wrong or rotated token, or an inactive camera): enter them again.");
        } else if (state !== "live") {
          authed = false;
          frames.acked();
          note.textContent = "Reconnecting…";
        }
      },
      onEvent(data) {
        if (data.type === "camera.auth") {
          authed = true;
          note.textContent = IDLE;
        } else if (data.type === "camera.frame") {
          frames.acked();
        } else if (data.type === "camera.message" && data.message) {
          show(data.message);
        } else if (data.type === "visit.update" && data.event === "opened" && data.visit.decision !== "known") {
          show(stranger);
        }
      },
    });
    timer = setInterval(() => { if (authed) frames.tick(socket); }, 1000 / fps);
  }

  root.querySelector("[data-save]").addEventListener("click", () => {
    const kiosk = { cameraId: cameraInput.value.trim(), token: tokenInput.value.trim() };
    if (!/^\d+$/.test(kiosk.cameraId) || !kiosk.token) {
      setupNote.textContent = "Enter the camera's id (a number) and its device token.";
      return;
    }
    localStorage.setItem(STORE, JSON.stringify(kiosk));
    tokenInput.value = "";
    start(kiosk);
  });
  forget.addEventListener("click", () => {
    localStorage.removeItem(STORE);
    askForSetup("This kiosk was forgotten. Enter a camera id and device token to set it up again.");
  });

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    note.textContent = "No camera access in this browser (it needs HTTPS or localhost).";
    return;
  }
  openWebcam(video).then(() => {
    const kiosk = saved();
    if (kiosk) start(kiosk); else askForSetup(setupNote.textContent);
  }, (error) => { note.textContent = "Camera unavailable (" + error.name + ")."; });
})();
