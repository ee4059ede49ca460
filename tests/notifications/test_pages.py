"""The agents' notifications pages: header badge, list, mark one or all as read (own notifications only)."""

import re
from html import unescape

import pytest
from django.test import Client

from sanscouture.notifications.models import Notification, NotificationKind
from sanscouture.notifications.services import notify

CASE = "4f2a9c1b-0000-4000-8000-000000000001"


def html(response) -> str:  # noqa: ANN001
    return unescape(response.content.decode())


def badge(page: str) -> int | None:
    """The unread count shown in the header (0 when the link has no badge, None when there is no link)."""
    link = re.search(r'<a id="lien-notifications"[^>]*>(.*?)</a>', page, flags=re.S)
    if link is None:
        return None
    count = re.search(r'data-non-lues="(\d+)"', link.group(1))
    return int(count.group(1)) if count else 0


def send(users, key: str, title: str = "Nouvelle tâche sur le dossier 4F2A9C1B") -> None:  # noqa: ANN001
    notify(
        recipients=users,
        kind=NotificationKind.NEW_TASK,
        title=title,
        text="Une nouvelle tâche attend votre structure.",
        url=f"/dossiers/{CASE}/",
        case_ref=CASE,
        dedupe_key=key,
    )


@pytest.fixture
def agents(referential, client):
    me = referential.agent("caf:34", "agent")
    other = referential.agent("caf:44", "agent")
    send([me], "first", "Première notification")
    send([me], "second", "Deuxième notification")
    send([other], "theirs", "Notification de l'autre agent")
    referential.login(client, me)
    return me, other


def test_the_header_shows_the_unread_count_to_agents_only(referential, agents, client):
    assert badge(html(client.get("/taches/"))) == 2
    assert badge(html(Client().get("/moments-de-vie/"))) is None  # anonymous: no link, no query
    half = Client()
    half.force_login(agents[0])  # logged in without the second factor: not an agent session yet
    assert badge(html(half.get("/moments-de-vie/"))) is None


def test_the_list_shows_own_notifications_newest_first_with_a_link_to_the_case(agents, client):
    response = client.get("/notifications/")
    page = html(response)
    assert response.status_code == 200 and "<h1>Notifications</h1>" in page
    assert "no-store" in response["Cache-Control"]
    assert page.index("Deuxième notification") < page.index("Première notification")
    assert "Notification de l'autre agent" not in page
    assert f'href="/dossiers/{CASE}/"' in page and "Voir le dossier" in page
    assert page.count("Marquer comme lue") == 2 and "Tout marquer comme lu (2)" in page


def test_marking_one_as_read_without_javascript_redirects_to_the_list(agents, client):
    me, _ = agents
    first = Notification.objects.get(recipient=me, dedupe_key="first")
    response = client.post(f"/notifications/{first.pk}/lue")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert Notification.objects.get(recipient=me, dedupe_key="second").read_at is None
    page = html(client.get("/notifications/"))
    assert badge(page) == 1 and page.count("Marquer comme lue") == 1
    unread = html(client.get("/notifications/?non-lues=1"))
    assert "Deuxième notification" in unread and "Première notification" not in unread


def test_marking_one_as_read_with_htmx_swaps_the_row_and_the_badge(agents, client):
    me, _ = agents
    second = Notification.objects.get(recipient=me, dedupe_key="second")
    response = client.post(f"/notifications/{second.pk}/lue", headers={"HX-Request": "true"})
    page = html(response)
    assert response.status_code == 200 and f'id="notification-{second.pk}"' in page and "Lue" in page
    assert "Marquer comme lue" not in page
    assert 'hx-swap-oob="true"' in page and badge(page) == 1


def test_another_agents_notification_is_a_404_and_stays_unread(agents, client):
    _, other = agents
    theirs = Notification.objects.get(recipient=other)
    assert client.post(f"/notifications/{theirs.pk}/lue").status_code == 404
    assert client.post(f"/notifications/{theirs.pk}/lue", headers={"HX-Request": "true"}).status_code == 404
    assert client.post("/notifications/999999/lue").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_all_as_read_marks_only_own_notifications(agents, client):
    me, other = agents
    response = client.post("/notifications/tout-lire", {"non-lues": "1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?non-lues=1"
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=other).read_at is None
    page = html(client.get("/notifications/"))
    assert badge(page) == 0 and "Tout marquer comme lu" not in page


def test_posts_need_the_csrf_token_and_gets_change_nothing(referential, agents):
    me, _ = agents
    strict = Client(enforce_csrf_checks=True)
    referential.login(strict, me)
    first = Notification.objects.get(recipient=me, dedupe_key="first")
    assert strict.post(f"/notifications/{first.pk}/lue").status_code == 403
    assert strict.post("/notifications/tout-lire").status_code == 403
    assert strict.get(f"/notifications/{first.pk}/lue").status_code == 405
    assert strict.get("/notifications/tout-lire").status_code == 405
    assert not Notification.objects.filter(recipient=me, read_at__isnull=False).exists()
    page = html(strict.get("/notifications/"))
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # each form carries it (logout, read one, read all)


def test_a_link_leaving_the_application_is_not_rendered(agents, client):
    me, _ = agents
    Notification.objects.create(
        recipient=me, kind=NotificationKind.MESSAGE, title="Lien douteux", url="/\\exemple.net/", dedupe_key="odd"
    )
    page = html(client.get("/notifications/"))
    assert "Lien douteux" in page and "exemple.net" not in page


def test_the_list_is_paginated(referential, client):
    me = referential.agent("caf:34", "agent")
    for i in range(35):
        send([me], f"n{i}", f"Notification {i}")
    referential.login(client, me)
    first = html(client.get("/notifications/"))
    assert "Notification 34" in first and "Notification 0<" not in first and "1 / 2" in first
    second = html(client.get("/notifications/?page=2"))
    assert "Notification 0" in second and "Notification 34" not in second
