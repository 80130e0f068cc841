// Figures the reader moves (book/_ext/explorables.py): the slider picks one of the frames labcode drew when the
// notebook ran; nothing is computed here. Each frame but the first comes as what it changes on the first frame
// (transparent elsewhere), shown over the first frame, which becomes the <img>'s background. The changes are fetched
// only once the reader reaches for the slider (pointer, focus or touch), so a page weighs what its first frames
// weigh until then; the figure's link opens the whole frame.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".explorable[data-explorable]")) {
    const { first, frames, changes, settings, captions } = JSON.parse(box.dataset.explorable);
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
      for (const src of changes) if (src) new Image().src = src;
    };
    const show = () => {
      const k = Number(slider.value);
      if (changes[k]) {
        img.style.backgroundImage = `url("${first}")`;
        img.src = changes[k];
      } else {
        img.src = first;
      }
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
