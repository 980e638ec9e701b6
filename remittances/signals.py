"""Extension points other apps (above remittances in the layering) may listen to.

`reversal_approving` is sent inside the reversal approval transaction, after the MHA's
LedgerBook row is locked and before the reversal entry is written. A receiver may raise
`django.core.exceptions.ValidationError` to refuse the reversal: the transaction rolls back and
nothing is written. A receiver that writes its own rows (e.g. the projects app lowering a
project's EU match commitment) does so in the same transaction, so both commit or neither does.

Sent with keyword arguments:
- `original`: the `LedgerEntry` being reversed,
- `request`: the `ReversalRequest` being approved (locked),
- `user`: the approving user,
- `entry_date`: the date the reversal will carry.

`reversal_approved` is sent in the same transaction right after the reversal entry is saved,
with `original`, `reversal` (the new entry), `request` and `user`. Receivers may also raise
ValidationError there to roll everything back.

`posting_approving` is sent inside `posting_request_approve`, after the book row is locked and
the maker–checker, fund and date checks passed, before the entry is written, with `request` (the
locked `PostingRequest`) and `user`. A receiver may raise ValidationError to refuse (the projects
app keeps an EU match release within the project's current match), and may return
`{"receipt": True}` to have the entry numbered in the MHA's receipt sequence (the projects app
does so for micro-credit grants and their repayments).
"""

from django.dispatch import Signal

reversal_approving = Signal()
reversal_approved = Signal()
posting_approving = Signal()
