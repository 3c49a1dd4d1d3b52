// Live progress of running jobs: poll each job's JSON until it is finished or failed.
(function () {
  "use strict";
  function watch(element) {
    var bar = element.querySelector("progress");
    var state = element.querySelector(".job-state");
    var message = element.querySelector(".job-message");
    function poll() {
      fetch(element.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (job) {
          if (!job) { return; }
          if (job.percent !== null) { bar.value = job.percent; } else { bar.removeAttribute("value"); }
          message.textContent = job.message || "";
          if (job.state !== element.dataset.state) {
            if (job.state === "finished" || job.state === "failed") { window.location.reload(); return; }
            element.dataset.state = job.state;
            state.textContent = job.label;
          }
          setTimeout(poll, 1500);
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    poll();
  }
  document.querySelectorAll(".job[data-state='queued'], .job[data-state='running']").forEach(watch);
})();
