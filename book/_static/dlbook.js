// pydata-sphinx-theme (0.17) and sphinx-book-theme (1.3) attach their sidebar handlers to the
// first .primary-toggle / .secondary-toggle of the page (document.querySelector), but the page
// has two of each and the one a reader sees is not the first: its clicks did nothing. Each
// other toggle passes its clicks on to the first (book/_ext/dlbook_site.py). Upstream:
// pydata/pydata-sphinx-theme#2451, executablebooks/sphinx-book-theme#935 (fixes proposed in
// its pull requests #991 and #1000, not released).
document.addEventListener("DOMContentLoaded", () => {
  for (const kind of ["primary-toggle", "secondary-toggle"]) {
    const [first, ...others] = document.querySelectorAll(`.${kind}`);
    for (const toggle of others) {
      toggle.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        first.click();
      });
    }
  }
});

// A display equation wider than the printed page is scaled down to fit it (on screen it
// scrolls). MathJax's CHTML output is sized in em, so a smaller font size scales it whole.
function dlbookFitEquations() {
  for (const equation of document.querySelectorAll('mjx-container[display="true"]')) {
    equation.style.fontSize = "";
    const needed = (equation.firstElementChild || equation).getBoundingClientRect().width;
    if (needed > equation.clientWidth) {
      equation.style.fontSize = `${Math.floor((100 * equation.clientWidth) / needed)}%`;
    }
  }
}
window.addEventListener("beforeprint", dlbookFitEquations);
window.addEventListener("afterprint", () => {
  for (const equation of document.querySelectorAll('mjx-container[display="true"]')) {
    equation.style.fontSize = "";
  }
});

// Figures a reader can move (dlbook/interactive.py): the build writes each figure's start and
// every frame as JSON beside its sliders; plotly (served from _static, only on pages with such
// a figure) draws it, and a slider shows the frame for the values of all the sliders together.
// Without this script (a notebook, a printed page) the still image stays.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.Plotly) return;
  for (const box of document.querySelectorAll(".dlbook-moving-figure")) {
    const spec = JSON.parse(box.querySelector(".dlbook-frames").textContent);
    const plot = box.querySelector(".dlbook-plot");
    const controls = box.querySelector(".dlbook-controls");
    const inputs = [...controls.querySelectorAll("input")];
    plot.hidden = false;
    controls.hidden = false;
    box.classList.add("dlbook-live");
    const show = () => {
      const key = inputs.map((input) => input.value).join("|");
      for (const input of inputs) {
        input.nextElementSibling.value = JSON.parse(input.dataset.values)[input.value];
      }
      Plotly.react(plot, [...spec.data.slice(0, spec.fixed), ...spec.frames[key]], spec.layout,
                   spec.config).then(() => { box.dataset.frame = key; });  // drawn: tests wait for it
    };
    for (const input of inputs) input.addEventListener("input", show);
    Plotly.newPlot(plot, spec.data, spec.layout, spec.config).then(() => {
      box.dataset.frame = inputs.map((input) => input.value).join("|");
    });
  }
});
