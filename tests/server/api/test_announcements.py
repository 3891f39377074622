"""Announcements as the clients call them: Python/C# ``GET /announcements?item_count=``, TS
without a query; bodies ``{text, attachments: [{guid}]}`` (C# leaves out nulls and an empty
attachment list; TS may add ``formatted_text``)."""

from __future__ import annotations

from api.harness import ALICE, BOB, RunningServer, assert_error, bot_client, person_client
from pyrus_bots.protocol.models.announcement import AnnouncementResponse, AnnouncementsResponse


def test_announcements_are_posted_read_and_commented(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    bob = person_client(module_server, BOB)
    assert bob.get("/v4/announcements").json() == {"announcements": []}
    upload = alice.post("/v4/files/upload", files={"file": ("plan.txt", b"the plan")})
    guid = upload.json()["guid"]
    created = alice.post(
        "/v4/announcements", json={"text": "Hello all", "attachments": [{"guid": guid}]}
    )
    assert created.status_code == 200, created.text
    announcement = AnnouncementResponse.from_pyrus(created.json()).announcement
    assert announcement.text == "Hello all" and announcement.author.id == ALICE["id"]
    assert [f.name for f in announcement.attachments] == ["plan.txt"]
    file_id = announcement.attachments[0].id
    # C# CreateAnnouncement: nulls and the empty attachment list left out.
    other = alice.post("/v4/announcements", json={"text": "Second"}).json()["announcement"]
    # Comments: TS with formatted_text, an existing file by attachment_id; a bot comments too.
    commented = bob.post(
        f"/v4/announcements/{announcement.id}/comments",
        json={"formatted_text": "<b>Thanks</b>", "attachments": [{"attachment_id": file_id}]},
    )
    assert commented.status_code == 200, commented.text
    bot = bot_client(module_server)
    bot.post(f"/v4/announcements/{announcement.id}/comments", json={"text": "Noted"})
    got = AnnouncementResponse.from_pyrus(bob.get(f"/v4/announcements/{announcement.id}").json())
    comments = got.announcement.comments
    assert [c.formatted_text or c.text for c in comments] == ["<b>Thanks</b>", "Noted"]
    assert comments[0].author.id == BOB["id"] and comments[0].attachments[0].id == file_id
    assert "comments" not in other  # an empty nested collection stays omitted
    # Python get_announcements(item_count=100): newest first.
    listed = AnnouncementsResponse.from_pyrus(bob.get("/v4/announcements?item_count=100").json())
    assert [a.id for a in listed.announcements] == [other["id"], announcement.id]
    one = bob.get("/v4/announcements?item_count=1").json()["announcements"]
    assert [a["id"] for a in one] == [other["id"]]
    # Refused: no text, an unknown file, a url the policy refuses (link-local),
    # an unknown announcement, a bad count.
    assert_error(alice.post("/v4/announcements", json={}), 400, "text_missing")
    assert_error(
        alice.post("/v4/announcements", json={"text": "x", "attachments": [{"guid": "nope"}]}),
        400,
        "unrecognized_attachment_id",
    )
    assert_error(
        alice.post(
            "/v4/announcements",
            json={"text": "x", "attachments": [{"url": "http://169.254.169.254/a", "name": "a"}]},
        ),
        400,
        "unrecognized_attachment_id",
    )
    assert_error(alice.get("/v4/announcements/987654"), 403, "access_denied")
    assert_error(
        alice.post("/v4/announcements/987654/comments", json={"text": "x"}), 403, "access_denied"
    )
    assert_error(alice.get("/v4/announcements?item_count=0"), 400, "invalid_value_format")
    assert len(bob.get("/v4/announcements").json()["announcements"]) == 2


def test_files_of_an_announcement_are_readable_by_its_readers(
    module_server: RunningServer,
) -> None:
    alice = person_client(module_server, ALICE)
    bob = person_client(module_server, BOB)
    shared = alice.post("/v4/files/upload", files={"file": ("memo.txt", b"for all")}).json()
    private = alice.post("/v4/files/upload", files={"file": ("draft.txt", b"mine")}).json()
    # Before its first use only the uploader attaches a file.
    assert_error(
        bob.post(
            "/v4/announcements", json={"text": "x", "attachments": [{"guid": private["guid"]}]}
        ),
        403,
        "access_denied_file",
    )
    posted = alice.post(
        "/v4/announcements", json={"text": "Memo", "attachments": [{"guid": shared["guid"]}]}
    )
    assert posted.status_code == 200, posted.text
    # Held by the announcement, the file is every reader's now.
    file_id = posted.json()["announcement"]["attachments"][0]["id"]
    download = bob.get(f"/v4/files/download/{file_id}")
    assert download.status_code == 200 and download.content == b"for all"
