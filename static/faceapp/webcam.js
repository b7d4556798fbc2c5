/* Webcam capture for enrolment forms: "Start camera", "Capture" → a thumbnail and a hidden
   `webcam_photos` input holding a JPEG data URL. Without a camera the file input still works. */
(function () {
  "use strict";
  const { el, openWebcam } = window.faceapp;

  function setUp(widget) {
    const form = widget.closest("form");
    const video = widget.querySelector("video");
    const start = widget.querySelector("[data-start]");
    const capture = widget.querySelector("[data-capture]");
    const stop = widget.querySelector("[data-stop]");
    const thumbs = widget.querySelector("[data-thumbs]");
    const note = widget.querySelector("[data-note]");
    let stream = null;

    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      start.disabled = true;
      note.textContent = "No camera access in this browser (it needs HTTPS or localhost): choose files instead.";
      return;
    }

    function stopCamera() {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      video.hidden = true;
      capture.disabled = true;
      stop.hidden = true;
      start.hidden = false;
    }

    start.addEventListener("click", async () => {
      try {
        stream = await openWebcam(video);
      } catch (error) {
        note.textContent = "Camera unavailable (" + error.name + "): choose files instead.";
        return;
      }
      video.hidden = false;
      capture.disabled = false;
      start.hidden = true;
      stop.hidden = false;
      note.textContent = "Face the camera, then press Capture. Several angles help.";
    });
    stop.addEventListener("click", stopCamera);

    capture.addEventListener("click", () => {
      if (!video.videoWidth) return;
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      const dataUrl = canvas.toDataURL("image/jpeg", 0.92);
      const input = el("input", { type: "hidden", name: "webcam_photos", value: dataUrl });
      const remove = el("button", { type: "button", class: "thumb-remove", title: "Remove", text: "×" });
      const thumb = el("div", { class: "thumb" }, el("img", { src: dataUrl, alt: "Webcam capture" }), remove, input);
      remove.addEventListener("click", () => thumb.remove());
      thumbs.append(thumb);
    });
    form.addEventListener("submit", stopCamera);
  }

  document.querySelectorAll("[data-webcam]").forEach(setUp);
})();
