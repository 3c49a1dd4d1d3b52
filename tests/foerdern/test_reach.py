"""Offers across tenants: own, regional (shared with named tenants) and cantonal (the canton's, everywhere).

The one read path between tenants is the published projection: checked through the ORM (SQLite and
PostgreSQL) and, on PostgreSQL, through raw SQL under row-level security.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.db import db
from core.tenancy import tenant_scope
from plugins.foerdern import offers, published
from plugins.foerdern.models import Offer, PublishedOffer
from tests.conftest import POSTGRES, login_as
from tests.foerdern.test_offers import LIST, NEW, csrf, post, text, valid_form

TODAY = clock.today()


def titles(tenant, **kwargs) -> list[str]:
    with tenant_scope(tenant):
        shown = [row.title["de"] for row in published.visible(TODAY, **kwargs)]
        db.session.rollback()
    return shown


def test_each_tenant_shows_its_own_the_regional_ones_shared_with_it_and_the_cantons(world):
    canton, grenchen, bettlach, balsthal = world
    assert titles(grenchen) == ["Deutschtreff Grenchen", "Kantonaler Elternkurs", "Regionaler Sprachkurs"]
    assert titles(bettlach) == ["Kantonaler Elternkurs", "Regionaler Sprachkurs"]
    assert titles(balsthal) == ["Kantonaler Elternkurs"]
    assert titles(canton) == ["Kantonaler Elternkurs"]


def test_another_tenant_reads_a_shared_offer_but_cannot_change_or_delete_it(world):
    canton, grenchen, bettlach, _ = world
    with tenant_scope(bettlach):
        rows = db.session.scalars(sa.select(PublishedOffer)).all()
        assert {row.tenant_id for row in rows} == {canton.id, grenchen.id}
        assert db.session.execute(sa.update(PublishedOffer).values(reach="own")).rowcount == 0
        assert db.session.execute(sa.delete(PublishedOffer)).rowcount == 0
        db.session.commit()
        assert db.session.scalars(sa.select(Offer)).all() == []  # the working rows stay the owner's
    assert titles(bettlach) == ["Kantonaler Elternkurs", "Regionaler Sprachkurs"]


def test_a_commune_cannot_publish_to_every_tenant(world):
    _, grenchen, _bettlach, balsthal = world
    with tenant_scope(grenchen):
        offer = db.session.scalars(sa.select(Offer).where(Offer.reach == "own")).one()
        db.session.get(PublishedOffer, (grenchen.id, offer.id)).reach = "cantonal"  # as injected SQL would
        db.session.commit()
    assert "Deutschtreff Grenchen" not in titles(balsthal)
    assert "Deutschtreff Grenchen" in titles(grenchen)


def test_a_regional_offer_follows_its_recipients(world):
    _, grenchen, bettlach, balsthal = world
    with tenant_scope(grenchen):
        offer = db.session.scalars(sa.select(Offer).where(Offer.reach == "regional")).one()
        offers.save(offer, {"reach": "regional"}, new=False, recipients=[balsthal.id])
        db.session.commit()
    assert "Regionaler Sprachkurs" in titles(balsthal)
    assert "Regionaler Sprachkurs" not in titles(bettlach)
    with tenant_scope(grenchen):
        offers.save(offer, {"reach": "own"}, new=False)
        db.session.commit()
    assert "Regionaler Sprachkurs" not in titles(balsthal)
    assert "Regionaler Sprachkurs" in titles(grenchen)


def test_a_deleted_or_expired_offer_leaves_every_tenant(world):
    canton, _, bettlach, _ = world
    with tenant_scope(canton):
        offer = db.session.scalars(sa.select(Offer)).one()
        offers.save(offer, {"valid_until": TODAY - timedelta(days=1)}, new=False)
        db.session.commit()
    assert titles(bettlach) == ["Regionaler Sprachkurs"]
    with tenant_scope(canton):
        offers.delete(db.session.merge(offer))
        db.session.commit()
    with tenant_scope(bettlach):
        assert db.session.scalars(sa.select(PublishedOffer.tenant_id)).all() == [world[1].id]


def test_a_tenant_hides_the_cantons_offer_and_shows_it_again(world):
    canton, grenchen, bettlach, _ = world
    with tenant_scope(bettlach):
        row = published.shared_offer(canton.id, db.session.scalars(
            sa.select(PublishedOffer.offer_id).where(PublishedOffer.tenant_id == canton.id)).one())
        assert published.hide(row) is True
        assert published.hide(row) is False
        db.session.commit()
    assert titles(bettlach) == ["Regionaler Sprachkurs"]
    assert titles(bettlach, with_hidden=True) == ["Kantonaler Elternkurs", "Regionaler Sprachkurs"]
    assert "Kantonaler Elternkurs" in titles(grenchen)  # hiding is the hider's own business
    with tenant_scope(bettlach):
        assert published.show(db.session.merge(row)) is True
        db.session.commit()
    assert "Kantonaler Elternkurs" in titles(bettlach)


def test_the_own_kinds_name_travels_with_the_offer(world):
    canton, _, bettlach, _ = world
    with tenant_scope(canton):
        kind = offers.add_kind({"de": "Sprachcafé", "fr": "Café des langues"})
        offer = db.session.scalars(sa.select(Offer)).one()
        offers.save(offer, {"kind": "own", "own_kind_id": kind.id}, new=False)
        offers.rename_kind(kind, {"de": "Sprachtreff", "fr": "Rencontre des langues"})
        db.session.commit()
    with tenant_scope(bettlach):
        row = db.session.scalars(sa.select(PublishedOffer).where(PublishedOffer.tenant_id == canton.id)).one()
        assert offers.shared_kind_label(row, "fr") == "Rencontre des langues"
        db.session.rollback()


# -- the pages ----------------------------------------------------------------------------------


def test_the_staff_list_shows_the_shared_offers_and_hides_one(client, world):
    canton, _grenchen, bettlach, _ = world
    login_as(client, (bettlach, "integration_officer"))
    page = text(client.get("/bettlach/foerdern/angebote"))
    assert "Kantonaler Elternkurs" in page and "Regionaler Sprachkurs" in page
    assert "Deutschtreff Grenchen" not in page
    assert page.count(">Angebote anderer") == 1  # one heading, in the page and not in its title (nor a second one)
    with tenant_scope(bettlach):
        offer_id = db.session.scalars(sa.select(PublishedOffer.offer_id).where(
            PublishedOffer.tenant_id == canton.id)).one()
        db.session.rollback()
    url = f"/bettlach/foerdern/angebote/geteilt/{canton.id}/{offer_id}"
    shared = text(client.get(url))
    assert "Kantonaler Elternkurs" in shared and "Nur Kanton Solothurn kann es ändern" in shared
    assert "Bearbeiten" not in shared
    for _ in range(2):  # a repeated click hides it once
        assert client.post(f"{url}/ausblenden", data={"csrf_token": csrf(shared)}).status_code == 302
    assert titles(bettlach) == ["Regionaler Sprachkurs"]
    assert "ausgeblendet" in text(client.get(url))
    assert client.post(f"{url}/einblenden", data={"csrf_token": csrf(shared)}).status_code == 302
    assert "Kantonaler Elternkurs" in titles(bettlach)


def test_an_offer_not_shared_with_the_tenant_is_not_found(client, world):
    _canton, grenchen, _bettlach, balsthal = world
    login_as(client, (balsthal, "integration_officer"))
    with tenant_scope(grenchen):
        regional, own = (db.session.scalars(sa.select(Offer.id).where(Offer.reach == reach)).one()
                         for reach in ("regional", "own"))
        db.session.rollback()
    for offer_id in (regional, own, uuid.uuid4()):
        url = f"/balsthal/foerdern/angebote/geteilt/{grenchen.id}/{offer_id}"
        assert client.get(url).status_code == 404
        assert client.post(f"{url}/ausblenden").status_code in (400, 404)
    # Its own offer is not "shared" with itself either; its page is the offer's own.
    login_as(client, (grenchen, "integration_officer"))
    assert client.get(f"/grenchen/foerdern/angebote/geteilt/{grenchen.id}/{own}").status_code == 404


def test_a_reader_may_not_hide(client, world):
    canton, _, bettlach, _ = world
    login_as(client, (bettlach, "read_only"))
    with tenant_scope(bettlach):
        offer_id = db.session.scalars(sa.select(PublishedOffer.offer_id).where(
            PublishedOffer.tenant_id == canton.id)).one()
        db.session.rollback()
    url = f"/bettlach/foerdern/angebote/geteilt/{canton.id}/{offer_id}"
    assert client.get(url).status_code == 200
    assert client.post(f"{url}/ausblenden", data={"csrf_token": csrf(text(client.get(url)))}).status_code == 403
    assert "Kantonaler Elternkurs" in titles(bettlach)


def test_the_editor_shares_a_regional_offer_and_refuses_one_shared_with_nobody(client, world):
    _, grenchen, bettlach, balsthal = world
    login_as(client, (grenchen, "integration_officer"))
    refused = post(client, NEW, valid_form(reach="regional"))
    assert refused.status_code == 400
    assert "Bitte mindestens eine Gemeinde oder Region wählen" in text(refused)
    refused = post(client, NEW, valid_form(reach="cantonal", recipients=[str(balsthal.id)]))
    assert refused.status_code == 400  # a commune's choices are own and regional
    saved = post(client, NEW, valid_form(reach="regional", recipients=[str(balsthal.id)], valid_from=None))
    assert saved.status_code == 302
    assert "Deutschkurs A1 für Eltern" in titles(balsthal)
    assert "Deutschkurs A1 für Eltern" not in titles(bettlach)
    assert "Balsthal" in text(client.get(saved.headers["Location"]))
    assert client.get(LIST).status_code == 200


def test_the_canton_publishes_through_the_editor(client, world):
    canton, _, _, balsthal = world
    login_as(client, (canton, "canton_office"))
    page = text(client.get("/kanton/foerdern/angebote/neu"))
    assert "kantonal: in allen Gemeinden" in page and "nur hier" not in page
    saved = post(client, "/kanton/foerdern/angebote/neu", valid_form(reach="cantonal", valid_from=None))
    assert saved.status_code == 302
    assert "Deutschkurs A1 für Eltern" in titles(balsthal)


# -- PostgreSQL: the database's own rule --------------------------------------------------------

postgres_only = pytest.mark.skipif(not POSTGRES, reason="row-level security needs PostgreSQL (DATABASE_URL)")


@postgres_only
def test_row_level_security_admits_only_the_published_rows(world):
    canton, grenchen, bettlach, balsthal = world
    count = sa.text("SELECT tenant_id, reach FROM foerdern_published_offers ORDER BY reach")
    recipients = sa.text("SELECT count(*) FROM foerdern_offer_recipients")
    with tenant_scope(bettlach):
        assert db.session.execute(count).all() == [(canton.id, "cantonal"), (grenchen.id, "regional")]
        assert db.session.scalar(recipients) == 1
        assert db.session.scalar(sa.text("SELECT count(*) FROM foerdern_offers")) == 0
        assert db.session.execute(sa.text("UPDATE foerdern_published_offers SET reach = 'own'")).rowcount == 0
        assert db.session.execute(sa.text("DELETE FROM foerdern_published_offers")).rowcount == 0
        db.session.commit()
    with tenant_scope(balsthal):
        assert db.session.execute(count).all() == [(canton.id, "cantonal")]
        assert db.session.scalar(recipients) == 0
        # Neither can it share another's offer with itself nor publish in another's name.
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            db.session.execute(sa.text(
                "INSERT INTO foerdern_offer_recipients (tenant_id, offer_id, recipient_tenant_id) "
                "SELECT tenant_id, offer_id, :me FROM foerdern_published_offers"), {"me": balsthal.id})
        db.session.rollback()
    with tenant_scope(grenchen):  # a commune's row marked cantonal by injected SQL reaches nobody
        db.session.execute(sa.text("UPDATE foerdern_published_offers SET reach = 'cantonal' WHERE reach = 'own'"))
        db.session.commit()
    with tenant_scope(balsthal):
        assert db.session.execute(count).all() == [(canton.id, "cantonal")]
        db.session.rollback()
    with db.engine.connect() as connection:  # no scope at all: nothing, not even the canton's
        assert connection.execute(count).all() == []
