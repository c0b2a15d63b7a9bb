// Marks each wide table that does not fit its box (the CSS then shows "scroll sideways"), and whether it is
// scrolled to its end. Without this script the tables still scroll, with a shadow on the hidden side.
for (const wide of document.querySelectorAll(".wide")) {
  const scroller = wide.querySelector(".scroller");
  const mark = () => {
    const hidden = scroller.scrollWidth - scroller.clientWidth;
    wide.classList.toggle("scrolls", hidden > 1);
    wide.classList.toggle("at-end", scroller.scrollLeft >= hidden - 1);
  };
  new ResizeObserver(mark).observe(scroller);
  scroller.addEventListener("scroll", mark, { passive: true });
}
