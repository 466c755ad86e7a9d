// Small enhancements only: every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent).then(() => {
    button.textContent = "Copied";
  });
});
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
// A live panel (data-poll): fetched again every second while its campaign sends, until it
// reaches a final state. Without JS the panel's link reloads the page.
document.querySelectorAll("[data-poll]").forEach((panel) => {
  const tick = () => {
    fetch(panel.dataset.poll, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then((answer) => (answer.ok ? answer.text() : Promise.reject(answer.status)))
      .then((html) => {
        const box = document.createElement("div");
        box.innerHTML = html;
        const fresh = box.querySelector("#progress");
        if (!fresh) return;
        panel.innerHTML = fresh.innerHTML;
        panel.dataset.status = fresh.dataset.status;
        if (fresh.dataset.poll) window.setTimeout(tick, 1000);
      })
      .catch(() => window.setTimeout(tick, 5000));
  };
  window.setTimeout(tick, 1000);
});
