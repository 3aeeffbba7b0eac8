// Activity descriptions: a Quill editor (static/vendor/quill) over the description textarea.
// The textarea stays the submitted field: the editor copies its HTML into it on submit, and
// without JavaScript the textarea is simply shown. The server sanitises whatever arrives
// (activities/sanitize.py) and refuses payment links; images go through the upload endpoint,
// which refuses payment QR codes.
(function () {
  "use strict";
  if (!window.Quill) { return; }
  var Delta = window.Quill.import("delta");
  var FORMATS = ["header", "bold", "italic", "underline", "list", "blockquote", "link", "image"];

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  document.querySelectorAll("[data-rich-editor]").forEach(function (wrapper) {
    var textarea = document.getElementById(wrapper.getAttribute("data-for"));
    if (!textarea || !textarea.form) { return; }
    var form = textarea.form;
    var t = wrapper.dataset;
    var status = wrapper.querySelector("[data-rich-status]");
    var error = wrapper.querySelector("[data-rich-error]");
    var quill;

    function showError(message) {
      status.textContent = "";
      error.textContent = message;
      error.hidden = !message;
    }

    function upload(file) {
      var body = new FormData();
      body.append("image", file);
      return fetch(t.uploadUrl, {
        method: "POST", body: body, credentials: "same-origin",
        headers: {"X-CSRFToken": csrfToken(form), "Accept": "application/json"}
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok || !data.url) { throw new Error(data.message || t.tUploadFailed); }
          return data.url;
        });
      });
    }

    // One image after another, each inserted where the cursor was.
    function uploadFiles(range, files) {
      var index = range ? range.index : quill.getLength();
      showError("");
      return Array.prototype.reduce.call(files, function (done, file) {
        return done.then(function () {
          status.textContent = t.tUploading;
          return upload(file).then(function (url) {
            status.textContent = "";
            quill.insertEmbed(index, "image", url, "user");
            index += 1;
            quill.setSelection(index, 0, "user");
          });
        });
      }, Promise.resolve()).catch(function (exc) {
        showError(exc && exc.message ? exc.message : t.tUploadFailed);
      });
    }

    function pickImage() {
      var input = document.createElement("input");
      input.type = "file";
      input.accept = "image/jpeg,image/png,image/webp,image/gif";
      input.addEventListener("change", function () {
        if (input.files && input.files.length) { uploadFiles(quill.getSelection(true), input.files); }
      });
      input.click();
    }

    quill = new window.Quill(wrapper.querySelector("[data-rich-area]"), {
      theme: "snow",
      placeholder: t.placeholder,
      formats: FORMATS,
      modules: {
        toolbar: {container: wrapper.querySelector("[data-rich-toolbar]"), handlers: {image: pickImage}},
        uploader: {
          mimetypes: ["image/jpeg", "image/png", "image/webp", "image/gif"],
          handler: uploadFiles
        }
      }
    });
    // Pasted images from elsewhere would be dropped by the server's sanitiser: keep only ours.
    quill.clipboard.addMatcher("IMG", function (node, delta) {
      return (node.getAttribute("src") || "").indexOf(t.mediaPrefix) === 0 ? delta : new Delta();
    });
    quill.setContents(quill.clipboard.convert({html: textarea.value}), "silent");

    // Quill draws each toolbar <select> as a picker of spans: it copies the select's
    // aria-label onto a container without a role (not allowed there) and leaves its button and
    // items without names (their text comes from CSS). Name them from the select instead.
    wrapper.querySelectorAll(".ql-picker").forEach(function (picker) {
      var select = picker.nextElementSibling;
      var name = picker.getAttribute("aria-label") || (select && select.getAttribute("aria-label"));
      picker.removeAttribute("aria-label");
      var label = picker.querySelector(".ql-picker-label");
      if (label && name) { label.setAttribute("aria-label", name); }
      if (select && select.tagName === "SELECT") {
        picker.querySelectorAll(".ql-picker-item").forEach(function (item, index) {
          var option = select.options[index];
          if (option) { item.setAttribute("aria-label", option.textContent.trim()); }
        });
      }
    });

    var editor = quill.root;
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.setAttribute("aria-labelledby", t.labelId);
    if (textarea.getAttribute("aria-describedby")) {
      editor.setAttribute("aria-describedby", textarea.getAttribute("aria-describedby"));
    }
    // The link tooltip's words come from the page (translated), not from Quill's CSS.
    var tooltip = quill.container.querySelector(".ql-tooltip");
    if (tooltip) {
      tooltip.setAttribute("data-visit", t.tVisit);
      tooltip.setAttribute("data-enter", t.tEnter);
      var action = tooltip.querySelector("a.ql-action");
      var remove = tooltip.querySelector("a.ql-remove");
      var address = tooltip.querySelector("input[type=text]");
      if (action) { action.setAttribute("data-edit", t.tEdit); action.setAttribute("data-save", t.tSave); }
      if (remove) { remove.setAttribute("data-remove", t.tRemove); }
      if (address) { address.setAttribute("data-link", "https://"); }
    }

    textarea.hidden = true;
    wrapper.hidden = false;
    var label = document.getElementById(t.labelId);
    if (label) {
      label.addEventListener("click", function (event) { event.preventDefault(); quill.focus(); });
    }

    form.addEventListener("submit", function () {
      // Quill 2.0.3's getSemanticHTML writes every space as &nbsp;, which would stop lines
      // from wrapping; ordinary spaces are what the author typed.
      var empty = !quill.getText().trim() && !editor.querySelector("img");
      textarea.value = empty ? "" : quill.getSemanticHTML().replace(/&nbsp;/g, " ");
    });
  });
})();
