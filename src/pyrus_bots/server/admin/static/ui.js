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
