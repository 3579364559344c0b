"""The durable outbox: Bot API calls that must happen exactly once, and the worker that drains it.

Callers `enqueue` an `Outgoing` call (its kind, chat, subject, Bot API method and JSON payload,
and a file when it sends one) inside their own transaction, so the decision and the message to
send commit together; its idempotency key is made from kind, chat, subject and part, so
enqueueing the same call twice is a no-op. Files are stored with their item, so a retry sends
the same bytes. `OutboxWorker` (worker.py) claims due items, performs them through a transport
(the Telegram edge's, paced by its rate limiter, see bot/edge/ratelimit.py), marks them sent
with Telegram's compact answer (message ids) or failed with the reason, and routes every
settled item by its kind to the feature that sent it (items.ResultRouter): one route for sent
and failed alike. `store.sent_answer` reads an answer back.

Delivery guarantees:

- Claiming is one statement: UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED). On
  PostgreSQL several workers drain one outbox without taking the same item; SQLite ignores the
  locking clause and serialises writers, and the re-checked WHERE makes the claim exact.
- A claim is a lease (`claimed_by`, `claimed_until`) that a running worker keeps renewing. A
  worker that dies leaves its claims to expire; any worker then reclaims them. A worker started
  again under the same `worker_id` takes its own claims back at once (`[instance] id` in the
  config gives an instance a stable, unique id, to restart without waiting for the lease).
- Each item is marked sent in its own short transaction right after Telegram answers. The one
  window for a duplicate is between Telegram performing the call and that commit: a crash (or
  a lost answer, i.e. a timeout, which is retried) inside it sends the item again. Outside it,
  a pending or claimed item has not been performed, so a restart sends it exactly once.
- Within one worker a chat's items go out one at a time, in the order they fall due (by id
  among those due together); when one must wait (429 or a transient error), the chat's later
  items wait behind it. Across workers the order of one chat's items is kept only as far as
  their claims do not interleave.
- 429 reschedules after retry_after without using an attempt; 5xx, network errors and
  timeouts back off exponentially with jitter up to `max_attempts`, then fail; permanent
  errors (blocked, kicked, chat not found, a malformed call)
  fail at once with the reason in `last_error`. A group that became a supergroup is followed.
  When a call must wait, every item the worker held for that chat is given back with it:
  each claimed item ends sent, rescheduled or failed, never claimed with nobody sending it.
- Consecutive deletes in a chat are sent as one deleteMessages call (up to 100 ids). That
  call answers True even when it skipped a message it could not delete, so each of its items
  is then deleted again singly, whose answer is exact: "not found" (the batch did it) or True
  is done, a refusal fails the item. "Message to delete not found" is always done, never a
  refusal: the message is not in the group, whoever removed it — most often an earlier attempt
  whose answer was lost (a timeout, a dropped connection, a 5xx) or whose process was killed
  before the worker recorded it.
"""
