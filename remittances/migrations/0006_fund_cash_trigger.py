"""PostgreSQL keeps `remittances_fundcash` (cash per fund and currency) on every ledger insert, so
the table's CHECK (amount >= 0) makes the database refuse any entry that would take a currency of
a fund below zero, whoever inserts it. Existing entries are summed in first; a database that
already holds a negative currency fails this migration, naming the fund and currency: correct it
with a contribution or reversal on the previous release, then migrate.

The sign of an entry is the sign of its TJS amount (inflow positive, outflow negative), as in
every balance of the app. SQLite has no trigger: there the services' check under the book lock
is the guard.
"""

from django.db import migrations

TABLE = "remittances_fundcash"

BACKFILL = f"""
INSERT INTO {TABLE} (fund_id, currency, amount)
SELECT fund_id, amount_currency, sum(CASE WHEN amount_tjs < 0 THEN -amount ELSE amount END)
FROM remittances_ledgerentry GROUP BY fund_id, amount_currency
"""

NEGATIVE = """
SELECT fund_id, amount_currency, sum(CASE WHEN amount_tjs < 0 THEN -amount ELSE amount END) AS cash
FROM remittances_ledgerentry GROUP BY fund_id, amount_currency
HAVING sum(CASE WHEN amount_tjs < 0 THEN -amount ELSE amount END) < 0
"""

CREATE = f"""
CREATE OR REPLACE FUNCTION remittances_fund_cash_apply() RETURNS trigger AS $$
DECLARE
    delta numeric := CASE WHEN NEW.amount_tjs < 0 THEN -NEW.amount ELSE NEW.amount END;
BEGIN
    -- UPDATE first: PostgreSQL checks the CHECK on an INSERT's proposed row before ON CONFLICT,
    -- so an outflow must not go through the INSERT when the row exists.
    UPDATE {TABLE} SET amount = amount + delta
     WHERE fund_id = NEW.fund_id AND currency = NEW.amount_currency;
    IF NOT FOUND THEN
        INSERT INTO {TABLE} (fund_id, currency, amount) VALUES (NEW.fund_id, NEW.amount_currency, delta)
        ON CONFLICT (fund_id, currency) DO UPDATE SET amount = {TABLE}.amount + EXCLUDED.amount;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER remittances_ledgerentry_fund_cash
    AFTER INSERT ON remittances_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION remittances_fund_cash_apply();
"""

DROP = """
DROP TRIGGER IF EXISTS remittances_ledgerentry_fund_cash ON remittances_ledgerentry;
DROP FUNCTION IF EXISTS remittances_fund_cash_apply();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(NEGATIVE)
        negative = cursor.fetchall()
    if negative:
        listed = ", ".join(f"fund {fund} {currency} {cash}" for fund, currency, cash in negative)
        raise RuntimeError(f"Funds already below zero in a currency ({listed}): post corrections first.")
    schema_editor.execute(BACKFILL, params=None)
    schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)
        schema_editor.execute(f"DELETE FROM {TABLE}", params=None)


class Migration(migrations.Migration):
    dependencies = [("remittances", "0005_fund_cash_conversions_cash_count_confirmation")]
    operations = [migrations.RunPython(forwards, backwards)]
