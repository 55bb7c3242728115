"""What Splunk Web itself serves to the add-on's pages, stood in (tests only): see splunkweb_standin.py.

``NAV`` in ``LAYOUT_JS`` is replaced by the app bar's links, ``[[url, label], ...]``.
"""

I18N_JS = """// Splunk Web's i18n.js, stood in: English only
window.gettext = window._ = function (text) { return text; };
window.ungettext = function (one, many, n) { return n === 1 ? one : many; };
window.i18n_register = function () {};
"""
CATALOG_JS = "window._i18n_catalog = {};\n"
# Splunk Web's theme API: the user's theme preference
GET_THEME_JS = "window.__get_theme__ = {getTheme: function () { return Promise.resolve('light'); }};\n"
# Splunk Web's layout API (the Splunk bar and the app bar with the app's nav), stood in by two
# plain bars; the page goes into the container it returns.
LAYOUT_JS = """window.__splunk_layout__ = {create: function (options) {
  document.body.style.margin = '0';
  document.body.style.display = 'flex';
  document.body.style.flexDirection = 'column';
  document.body.style.height = '100vh';
  var bar = document.createElement('header');
  bar.setAttribute('data-standin', 'splunk-bar');
  bar.style.cssText = 'background:#1a1c20;color:#fff;font:14px sans-serif;padding:8px 16px;flex:0 0 auto';
  bar.textContent = 'splunk> (Splunk Web stand-in)';
  var nav = document.createElement('nav');
  nav.setAttribute('data-standin', 'app-bar');
  nav.style.cssText = 'background:#3c444d;font:14px sans-serif;padding:8px 16px;flex:0 0 auto';
  NAV.forEach(function (view) {
    var a = document.createElement('a');
    a.href = view[0]; a.textContent = view[1];
    a.style.cssText = 'color:#fff;margin-right:24px;text-decoration:none';
    nav.appendChild(a);
  });
  var container = document.createElement('div');
  container.style.cssText = 'flex:1 0 0%;overflow:auto';
  document.body.appendChild(bar);
  document.body.appendChild(nav);
  document.body.appendChild(container);
  return {getContainerElement: function () { return container; }};
}};
"""


def content_type(path: str) -> str:
    for suffix, ctype in ((".js", "application/javascript"), (".css", "text/css"), (".json", "application/json"),
                          (".svg", "image/svg+xml"), (".png", "image/png"), (".woff2", "font/woff2"),
                          (".woff", "font/woff"), (".txt", "text/plain")):
        if path.endswith(suffix):
            return ctype
    return "application/octet-stream"
