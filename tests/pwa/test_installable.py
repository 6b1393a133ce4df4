"""What makes Tend installable and able to start offline: the manifest, icons, the service
worker script, the shell pages it keeps (with no journal text), and compressed assets."""

from __future__ import annotations

import gzip
import json
import re
import struct
from pathlib import Path

import brotli
import pytest

from tests.conftest import make_app
from webapp.config import PROJECT_ROOT
from webapp.pwa import routes as shell
from webapp.pwa.icons import generate

ICONS = PROJECT_ROOT / "static" / "icons"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_describes_an_installable_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["short_name"] == "Tend"
    assert manifest["name"] and manifest["description"]
    assert manifest["scope"] == "/"
    assert manifest["start_url"].startswith("/")
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    assert [s["form_factor"] for s in manifest["screenshots"]] == ["narrow"]


def test_every_image_the_manifest_names_exists_with_its_declared_size(client):
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    for image in manifest["icons"] + manifest["screenshots"]:
        response = client.get(image["src"])
        assert response.status_code == 200, image["src"]
        assert response.mimetype == "image/png"
        path = ICONS / Path(image["src"].split("?")[0]).name
        width, height = png_size(path)
        assert f"{width}x{height}" == image["sizes"]
        assert "?v=" in image["src"]


def test_the_icon_script_draws_every_icon_from_shapes(tmp_path):
    from PIL import Image

    written = {path.name: path for path in generate(tmp_path)}
    assert set(written) == {path.name for path in ICONS.glob("*.png")}
    for name, path in written.items():
        assert png_size(path) == png_size(ICONS / name)
    # A maskable icon fills its whole square: a phone crops it to its own shape.
    maskable = Image.open(written["maskable-512.png"]).convert("RGBA")
    for corner in [(0, 0), (511, 0), (0, 511), (511, 511)]:
        assert maskable.getpixel(corner)[3] == 255


def test_pages_link_the_manifest_icons_and_ios_tags(alice):
    page = alice.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'rel="apple-touch-icon"' in page and 'rel="icon"' in page
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in page
    assert '<meta name="apple-mobile-web-app-title" content="Tend">' in page
    assert '"historyCacheSize":0' in page
    assert ICONS.joinpath("apple-touch-icon.png").exists()


def test_the_service_worker_is_served_for_the_whole_site_and_always_revalidated(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert "importScripts(" in script and "/static/js/sw-push.js?v=" in script
    with app.test_request_context():
        assert f'const VERSION = "{shell.cache_version()}"' in script
    assert 'CACHE_PREFIX = "tend-static-"' in script
    # Its comments stay in the template: a phone downloads only the code.
    assert "{#" not in script and "Rendered by the server" not in script
    # Revalidated on every visit: the same version is answered with 304, for each encoding.
    for encoding in ("br", "gzip", "identity"):
        first = client.get("/sw.js", headers={"Accept-Encoding": encoding})
        again = client.get("/sw.js", headers={"Accept-Encoding": encoding,
                                              "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, encoding


def kept_parts(client) -> dict:
    """What the service worker keeps, as its script lists it: {part: {assets, pages, pack}}."""
    script = client.get("/sw.js").get_data(as_text=True)
    return json.loads(re.search(r"const KEPT = (\{.*?\});\n", script).group(1))


def static_urls(page: str) -> set[str]:
    """Every versioned static file a page loads or names (scripts, styles, icons, modules),
    but the icon iOS fetches once, when Tend is added to its home screen."""
    found = set(re.findall(r'(?:src|href|content)="(/static/[^"]+\?v=[^"]+)"', page))
    return {url for url in found if "/icons/apple" not in url}


def test_what_the_worker_keeps_holds_the_same_versioned_urls_the_pages_use(alice):
    kept = kept_parts(alice)
    first, later = kept["first"], kept["later"]
    everything = set(first["assets"]) | set(later["assets"])
    # A kept page of the first part opens offline with what the first part keeps. (The script
    # that clears the device comes with the later part: the editor loads it only when someone
    # asks for that, after the session ended. So does the kept safety plan's: the offline
    # Support page loads it only where someone chose to keep the plan, on a page that loaded it.)
    for url in first["pages"]:
        needed = {u for u in static_urls(alice.get(url).get_data(as_text=True))
                  if "/js/sign-out.js" not in u and "/js/kept-plan.js" not in u}
        assert needed <= set(first["assets"]), url
    for url in later["pages"]:
        assert static_urls(alice.get(url).get_data(as_text=True)) <= everything, url
    # And pages online find theirs kept too, once both parts are on the device.
    assert static_urls(alice.get("/").get_data(as_text=True)) <= everything
    pages = first["pages"] + later["pages"]
    assert sorted(pages) == ["/capture", "/draw", "/offline", "/record", "/support/offline", "/write"]
    assert all(not url.startswith("/manifest") and url != "/" for url in pages + list(everything))


def test_a_first_visit_keeps_only_what_the_first_moment_offline_needs(client):
    """The editor, the crisis lines and the offline note while the worker installs; capture,
    the recorder, the drawing pad and what only pages online use come after."""
    first, later = kept_parts(client)["first"], kept_parts(client)["later"]
    assert first["pages"] == ["/write", "/support/offline", "/offline"]
    assert later["pages"] == ["/capture", "/record", "/draw"]
    names = [url.split("?")[0].rsplit("/", 1)[1] for url in first["assets"]]
    assert "editor.js" in names and "tend.css" in names
    for later_only in ("capture.js", "recorder.js", "drawing.js", "recording.js", "capture.css",
                       "sign-out.js", "htmx-2.0.11.min.js"):
        assert later_only not in names, later_only
        assert any(url.split("?")[0].endswith("/" + later_only) for url in later["assets"])
    # Each part's pages come in one answer, for this version.
    version = re.search(r'const VERSION = "([0-9a-f]+)"', client.get("/sw.js").get_data(as_text=True))[1]
    assert first["pack"] == f"/kept-pages/first?v={version}"
    assert later["pack"] == f"/kept-pages/later?v={version}"


def test_kept_pages_need_no_htmx(client):
    """They work on the device alone; htmx is for pages online."""
    for url in ["/write", "/capture", "/offline", "/support/offline", "/record", "/draw"]:
        page = client.get(url).get_data(as_text=True)
        assert "htmx" not in page, url
    assert "/static/vendor/htmx/" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("part", ["first", "later"])
def test_kept_pages_come_in_one_answer_exactly_as_their_own_addresses_send_them(alice, part):
    pack = alice.get(kept_parts(alice)[part]["pack"])
    assert pack.status_code == 200
    assert pack.mimetype == "application/json"
    assert pack.headers["Cache-Control"] == "no-store"
    pages = pack.get_json()["pages"]
    assert [page["url"] for page in pages] == kept_parts(alice)[part]["pages"]
    for page in pages:
        own = alice.get(page["url"])
        assert page["body"] == own.get_data(as_text=True), page["url"]
        for name in ("Content-Type", "Cache-Control", "Content-Security-Policy",
                     "Permissions-Policy", "X-Frame-Options", "Referrer-Policy",
                     "Cross-Origin-Opener-Policy", "X-Content-Type-Options"):
            assert page["headers"][name] == own.headers[name], (page["url"], name)
        assert "Set-Cookie" not in page["headers"] and "Content-Length" not in page["headers"]
    # The recorder and capture may use the microphone; the editor may not.
    policies = {page["url"]: page["headers"]["Permissions-Policy"] for page in pages}
    for url, policy in policies.items():
        assert ("microphone=(self)" in policy) == (url in ("/capture", "/record")), url


def test_kept_pages_are_the_same_for_everyone_and_hold_nothing_personal(alice, client):
    alice.submit("/entries", {"body": "a private line about my mother", "title": "Mum"})
    for part in ("first", "later"):
        url = kept_parts(alice)[part]["pack"]
        mine = alice.get(url).get_data(as_text=True)
        assert mine == client.get(url).get_data(as_text=True)
        assert "a private line about my mother" not in mine and "alice@example.org" not in mine
        assert '<meta name=\\"csrf-token\\" content=\\"\\">' in mine


def test_kept_pages_in_one_answer_cost_less_than_half_of_them_one_by_one(client):
    headers = {"Accept-Encoding": "br", "Sec-Fetch-Site": "same-origin"}
    kept = kept_parts(client)["first"]
    pack = client.get(kept["pack"], headers=headers)
    assert pack.headers["Content-Encoding"] == "br"
    assert json.loads(brotli.decompress(pack.get_data()))["pages"]
    one_by_one = 0
    for url in kept["pages"]:
        response = client.get(url, headers=headers)
        assert response.headers["Content-Encoding"] == "br"
        one_by_one += len(response.get_data()) + sum(
            len(f"{name}: {value}\r\n") for name, value in response.headers.items())
    in_one = len(pack.get_data()) + sum(
        len(f"{name}: {value}\r\n") for name, value in pack.headers.items())
    assert in_one < one_by_one / 2, (in_one, one_by_one)


def test_the_cache_version_follows_the_files_it_keeps():
    assert shell._cache_version(("a",), str(PROJECT_ROOT / "templates")) != shell._cache_version(
        ("b",), str(PROJECT_ROOT / "templates")
    )


def test_phones_update_their_kept_crisis_lines_when_the_host_changes_them(app, schema, tmp_path):
    path = tmp_path / "support.json"
    path.write_text(json.dumps({"resources": [
        {"name": "Samaritans", "contact": "Call 116 123", "href": "tel:116123"}]}))
    local = make_app(schema, SUPPORT_FILE=str(path))
    with app.test_request_context():
        default_version = shell.cache_version()
    with local.test_request_context():
        assert shell.cache_version() != default_version
        kept = local.test_client().get(shell.kept_part("first")["pack"]).get_json()
    offline = next(p for p in kept["pages"] if p["url"] == "/support/offline")
    assert "Samaritans" in offline["body"]


@pytest.mark.parametrize("path", ["/write", "/capture", "/offline", "/support/offline"])
def test_shell_pages_hold_no_journal_text_account_token_or_message(alice, path):
    alice.submit("/entries", {"body": "a private line about my mother", "title": "Mum"})
    response = alice.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "a private line about my mother" not in page and "Mum" not in page
    assert '<meta name="csrf-token" content="">' in page
    assert "hx-headers" not in page and "data-account" not in page
    assert "alice@example.org" not in page
    assert set(re.findall(r'name="csrf_token" value="([^"]*)"', page)) <= {""}
    assert "Saved." not in page
    assert response.headers["Cache-Control"] == "no-store"
    # The same page for anyone: the service worker may keep it for whoever signs in.
    from tests.conftest import TendClient

    anonymous = TendClient(alice.application).get(path).get_data(as_text=True)
    assert anonymous == page


def test_the_editor_shell_has_labelled_fields_and_no_inline_script(client):
    page = client.get("/write").get_data(as_text=True)
    for field_id in ("draft-body", "draft-title"):
        assert f'<label for="{field_id}">' in page
    assert "Waiting to sync" in page
    assert "<script>" not in page and " style=" not in page
    assert "/static/js/editor.js?v=" in page


def test_signed_in_pages_name_the_account_for_the_draft_store(alice):
    page = alice.get("/").get_data(as_text=True)
    assert re.search(r'data-account="[0-9a-f-]{36}"', page)


def test_the_push_handlers_have_their_own_worker_script(client):
    response = client.get("/static/js/sw-push.js")
    assert response.status_code == 200


def test_static_text_assets_are_sent_with_brotli_to_browsers_that_accept_it(client):
    page = client.get("/login").get_data(as_text=True)
    htmx_url = re.search(r'name="tend-htmx" content="(/static/vendor/htmx/[^"]+)"', page).group(1)
    plain = client.get(htmx_url)
    packed = client.get(htmx_url, headers={"Accept-Encoding": "gzip, deflate, br"})
    zipped = client.get(htmx_url, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert brotli.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    assert "max-age=31536000" in packed.headers["Cache-Control"]
    # Brotli at its highest quality beats gzip's best on the same file.
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(zipped.get_data())


def test_a_browser_refusing_brotli_gets_gzip(client):
    url = re.search(r'href="(/static/css/[^"]+)"', client.get("/login").get_data(as_text=True))[1]
    response = client.get(url, headers={"Accept-Encoding": "br;q=0, gzip"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_the_service_worker_script_is_compressed_too(client):
    response = client.get("/sw.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"importScripts" in gzip.decompress(response.get_data())
    response = client.get("/sw.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert b"importScripts" in brotli.decompress(response.get_data())


def test_pages_are_compressed_only_for_requests_tend_or_the_person_started(alice):
    """Pages carry the CSRF token beside text others can influence (BREACH): a page another
    site made the browser load is sent as it is."""
    alice.submit("/entries", {"body": "Long words. " * 100})
    for site in (None, "cross-site", "same-site"):
        headers = {"Accept-Encoding": "gzip, br"}
        if site:
            headers["Sec-Fetch-Site"] = site
        response = alice.get("/journal", headers=headers)
        assert "Content-Encoding" not in response.headers, site
        assert "Sec-Fetch-Site" in response.headers["Vary"]
    for site in ("same-origin", "none"):
        response = alice.get("/journal", headers={"Accept-Encoding": "gzip", "Sec-Fetch-Site": site})
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Long words." in gzip.decompress(response.get_data()).decode()
        response = alice.get("/journal", headers={"Accept-Encoding": "br", "Sec-Fetch-Site": site})
        assert response.headers["Content-Encoding"] == "br"
        assert "Long words." in brotli.decompress(response.get_data()).decode()
        assert response.headers["Cache-Control"] == "no-store"
        assert {"HX-Request", "Accept-Encoding"} <= set(response.headers["Vary"].split(", "))
    api = alice.get(
        "/api/session", headers={"Accept-Encoding": "gzip", "Sec-Fetch-Site": "same-origin"}
    )
    assert "Content-Encoding" not in api.headers


def test_a_compressed_file_is_revalidated_with_304(client):
    url = re.search(r'href="(/static/css/[^"]+)"', client.get("/login").get_data(as_text=True))[1]
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.headers["ETag"].endswith('-gz"')
    again = client.get(
        url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.get_data() == b""


def test_images_are_sent_as_they_are(client):
    response = client.get("/static/icons/icon-512.png", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers
