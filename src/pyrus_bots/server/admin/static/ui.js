// Tells the server the browser's time zone, so dates and times are shown and typed in it.
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  if (!/^[A-Za-z0-9_+\/-]+$/.test(zone)) return;  // IANA names need no escaping
  var cookie = "pyrus_bots_tz=" + zone;
  if (document.cookie.split("; ").indexOf(cookie) === -1) {
    document.cookie = cookie + "; path=/ui; max-age=31536000; SameSite=Lax";
  }
})();

// Refuses a file over the size limit as soon as it is chosen (the server refuses it too, next to
// the input, when this script does not run): the form is not sent, so nothing typed is lost.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input || input.type !== "file" || !input.dataset.maxBytes) return;
  var limit = Number(input.dataset.maxBytes);
  var tooLarge = Array.prototype.filter.call(input.files || [], function (file) {
    return file.size > limit;
  });
  input.setCustomValidity(
    tooLarge.length ? tooLarge[0].name + " is larger than the limit; choose a smaller file." : ""
  );
  if (tooLarge.length) input.reportValidity();
});
