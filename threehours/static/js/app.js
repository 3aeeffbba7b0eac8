// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // "Get code" buttons count down after a code was sent (the fragment says how long).
  document.addEventListener("htmx:afterSwap", function (event) {
    var status = event.detail.target.querySelector("[data-resend-after]");
    if (!status) { return; }
    var seconds = parseInt(status.getAttribute("data-resend-after"), 10);
    var button = document.querySelector("[data-countdown]");
    if (!button || !(seconds > 0)) { return; }
    var label = button.textContent;
    button.disabled = true;
    var timer = setInterval(function () {
      seconds -= 1;
      button.textContent = label + " (" + seconds + ")";
      if (seconds <= 0) {
        clearInterval(timer);
        button.disabled = false;
        button.textContent = label;
      }
    }, 1000);
  });

  // Buttons that undo something ask first (cancelling a registration gives the place away).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var text = button && button.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });

  // "Near me": put the phone's position (WGS-84; the server converts) into the search form.
  document.querySelectorAll("[data-near-me]").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = button.closest("form");
      var error = form.querySelector("[data-near-me-error]");
      if (!navigator.geolocation) { error.hidden = false; return; }
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(6);
        form.elements.lng.value = position.coords.longitude.toFixed(6);
        form.elements.coord.value = "wgs84";
        form.submit();
      }, function () { error.hidden = false; }, {enableHighAccuracy: false, timeout: 10000});
    });
  });

  // Activity form: fill the coordinates from this device (WGS-84; the server converts).
  document.querySelectorAll("[data-use-position]").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = button.closest("form");
      var error = form.querySelector("[data-position-error]");
      if (!navigator.geolocation) { error.hidden = false; return; }
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(6);
        form.elements.lng.value = position.coords.longitude.toFixed(6);
        form.elements.coord.value = "wgs84";
        // The live check (htmx, on change) refreshes the map link for the new place.
        form.elements.lng.dispatchEvent(new Event("change", {bubbles: true}));
      }, function () { error.hidden = false; }, {enableHighAccuracy: true, timeout: 10000});
    });
  });

  // The application form shows the credit-code and certificate fields only for registered
  // social organisations (the server ignores them for the other categories).
  function syncCategory(form) {
    var checked = form.querySelector("input[name=category]:checked");
    form.classList.toggle("is-social", !!checked && checked.value === "social_org");
  }
  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("input[name=category]")) { return; }
    form.classList.add("js-category");
    syncCategory(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "category") { syncCategory(form); }
    });
  });

  // Check-in page: the phone's position (WGS-84; the server converts) goes with the form. It
  // is asked for when the page opens (the permission prompt comes at once) and, if it has not
  // arrived, again on submit; without it the server answers with what to do.
  document.querySelectorAll("form[data-position]").forEach(function (form) {
    var status = form.querySelector("[data-position-status]");
    var located = false;
    var waiting = false;
    function locate(then) {
      if (!navigator.geolocation) { then(); return; }
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(6);
        form.elements.lng.value = position.coords.longitude.toFixed(6);
        form.elements.accuracy.value = Math.round(position.coords.accuracy || 0);
        form.elements.coord.value = "wgs84";
        located = true;
        then();
      }, function () { then(); }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 30000});
    }
    // Without the location consent given before, the page first says why the position is
    // asked and what is kept (issue #16 §1): the browser asks only after the box is ticked.
    var consent = form.querySelector("input[name=location_consent]");
    if (consent) {
      consent.addEventListener("change", function () { if (consent.checked) { locate(function () {}); } });
    } else {
      locate(function () {});
    }
    form.addEventListener("submit", function (event) {
      if (consent && !consent.checked) {
        form.elements.lat.value = ""; form.elements.lng.value = ""; form.elements.accuracy.value = "";
        return;
      }
      if (located) { return; }
      event.preventDefault();
      if (waiting) { return; }
      waiting = true;
      if (status) { status.textContent = form.getAttribute("data-locating"); }
      locate(function () { form.submit(); });
    });
  });

  // Live boards refresh themselves (hx-trigger="every …s"), but not while staff are typing a
  // correction or have a form open: the swap would throw their input away.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var live = event.detail.elt;
    if (!live.hasAttribute || !live.hasAttribute("data-pause-while-editing")) { return; }
    var active = document.activeElement;
    if (live.querySelector("details[open]") || (active && active !== document.body && live.contains(active) && active.matches("input, textarea, select"))) {
      event.preventDefault();
    }
  });
})();
