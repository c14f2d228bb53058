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
