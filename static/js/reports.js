/* The report job page asks the API for the job's status until it is done or failed, and shows
   the download link or the error without a reload. */
(function () {
  "use strict";
  var box = document.getElementById("report-job");
  if (!box || !window.fetch) { return; }
  var url = box.dataset.statusUrl;
  var finished = { done: true, failed: true };
  var delay = 1000;

  function show(selector, visible) {
    var node = box.querySelector(selector);
    if (node) { node.classList.toggle("hidden", !visible); }
  }

  function render(job) {
    var status = box.querySelector("[data-job-status]");
    status.textContent = job.status_label;
    status.className = "status status-" + job.status;
    box.dataset.status = job.status;
    box.querySelector("[data-job-progress]").value = job.progress;
    var error = box.querySelector("[data-job-error]");
    error.textContent = job.error || "";
    show("[data-job-error]", !!job.error && job.status === "failed");
    show("[data-job-download]", job.status === "done");
    show("[data-job-annex]", job.status === "done" && !!job.annex_url);
    show("[data-job-retry]", job.status === "failed");
    if (job.download_url) { box.querySelector("[data-job-download]").href = job.download_url; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (job) {
        render(job);
        if (!finished[job.status]) { window.setTimeout(poll, delay); }
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); window.setTimeout(poll, delay); });
  }

  if (!finished[box.dataset.status]) { window.setTimeout(poll, delay); }
})();
