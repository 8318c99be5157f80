// Copy buttons for text shown once (a generated password). Without JavaScript the button stays hidden
// and the text can still be selected and copied by hand.
(function () {
  "use strict";

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copy(text, node) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on an office network has no clipboard API: select the text and use the old command.
    selectText(node);
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy"));
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-done");
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(source.textContent.trim(), source).then(function () {
        if (status) status.textContent = "コピーしました";
      }, function () {
        selectText(source);
        if (status) status.textContent = "選択しました。Ctrl+C でコピーしてください";
      });
    });
  });
})();
