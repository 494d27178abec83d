"""The subscribers and mail_sends tables: adding, removing, forgetting, and claiming a send once."""

import datetime as dt

import pytest

from hf_daily import warehouse as wh
from hf_daily.warehouse import subscribers as subs

DAY = dt.date(2025, 12, 26)
T0, T1 = dt.datetime(2025, 12, 1, 8), dt.datetime(2025, 12, 2, 8)


@pytest.fixture
def warehouse(tmp_path):
    return wh.Warehouse(tmp_path / "warehouse.duckdb")


def test_adding_again_replaces_the_filters_and_keeps_when_first_added(warehouse):
    assert subs.add_subscriber(warehouse, subs.make_subscriber(" Ada@Example.ORG ", "Ada", include_fields=["多模态，智能体"]), T0)
    assert not subs.add_subscriber(warehouse, subs.make_subscriber("ada@example.org", include_keywords=["agents", "agents"]), T1)
    [ada] = subs.list_subscribers(warehouse)
    assert ada == subs.Subscriber("ada@example.org", None, (), (), ("agents",), (), True, T0)


def test_removing_keeps_the_history_and_forgetting_deletes_it(warehouse):
    subs.add_subscriber(warehouse, subs.make_subscriber("ada@example.org"), T0)
    with warehouse.connect() as con:
        subs.record_send(con, subs.MailSend(DAY, "ada@example.org", subs.SENT, "<m@x>", 3, None, 1, T0), T0)
    assert subs.remove_subscriber(warehouse, "ADA@example.org", now=T1)
    assert subs.list_subscribers(warehouse) == []
    assert [s.active for s in subs.list_subscribers(warehouse, active_only=False)] == [False]
    with warehouse.connect() as con:
        assert list(subs.mail_sends(con, [DAY])) == [(DAY, "ada@example.org")]
    assert subs.remove_subscriber(warehouse, "ada@example.org", forget=True)
    assert subs.list_subscribers(warehouse, active_only=False) == []
    with warehouse.connect() as con:
        assert subs.mail_sends(con, [DAY]) == {}
    assert not subs.remove_subscriber(warehouse, "ada@example.org")


def test_a_send_is_claimed_once_and_a_failed_one_again_with_its_message_id(warehouse):
    with warehouse.connect() as con:
        first = subs.claim_send(con, DAY, "ada@example.org", "<first@x>", 3, T0)
        assert first == subs.MailSend(DAY, "ada@example.org", subs.SENDING, "<first@x>", 3, None, 1)
        assert subs.claim_send(con, DAY, "ada@example.org", "<other@x>", 3, T0) is None  # being sent
        subs.record_send(con, subs.MailSend(DAY, "ada@example.org", subs.FAILED, "<first@x>", 3, "550 no", 1), T0)
        again = subs.claim_send(con, DAY, "ada@example.org", "<other@x>", 2, T1)
        assert (again.message_id, again.attempts, again.papers) == ("<first@x>", 2, 2)
        subs.record_send(con, subs.MailSend(DAY, "ada@example.org", subs.SENT, "<first@x>", 2, None, 2, T1), T1)
        assert subs.claim_send(con, DAY, "ada@example.org", "<other@x>", 2, T1) is None  # sent
        with pytest.raises(wh.WarehouseError, match="unknown status 'bounced'"):
            subs.record_send(con, subs.MailSend(DAY, "ada@example.org", "bounced"))
        comments = dict(con.execute("SELECT column_name, comment FROM duckdb_columns() "
                                    "WHERE table_name = 'mail_sends'").fetchall())
    assert comments["status"].startswith("'sending' (claimed")
    assert subs.release_send(warehouse, DAY, "ada@example.org") == "sent"
    with warehouse.connect() as con:
        assert subs.mail_sends(con, [DAY])[(DAY, "ada@example.org")].status == subs.FAILED
