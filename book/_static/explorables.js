// Figures the reader moves (book/_ext/explorables.py): the slider picks one of the frames labcode drew when the
// notebook ran; nothing is computed here. Frames are fetched only once the reader reaches for the slider (pointer,
// focus or touch), so a page weighs what its first frames weigh until then.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".explorable[data-explorable]")) {
    const { frames, settings, captions } = JSON.parse(box.dataset.explorable);
    const img = box.querySelector("img");
    const link = box.querySelector("a.image-reference");
    const controls = box.querySelector(".explorable-controls");
    const slider = controls.querySelector('input[type="range"]');
    const output = controls.querySelector("output");
    const caption = controls.querySelector(".explorable-caption");
    let preloaded = false;
    const preload = () => {
      if (preloaded) return;
      preloaded = true;
      for (const src of frames) new Image().src = src;
    };
    const show = () => {
      const k = Number(slider.value);
      img.src = frames[k];
      if (link) link.href = frames[k];
      output.value = settings[k];
      slider.setAttribute("aria-valuetext", settings[k]);
      caption.textContent = captions[k];
      box.dataset.frame = String(k);
    };
    for (const event of ["pointerenter", "focus", "touchstart"]) {
      slider.addEventListener(event, preload, { passive: true });
    }
    slider.addEventListener("input", show);
    img.removeAttribute("srcset");
    controls.hidden = false;
    box.classList.add("explorable-ready");
  }
});
