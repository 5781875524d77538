"""The reviewers' queue and the ledger in Django admin: the queue (queue.py),
its filters and the reviewers' forms, the ledger and its imports (ledger.py).
Importing the modules registers them."""

from . import ledger, queue
from .queue import EstimatedCountPaginator

__all__ = ["EstimatedCountPaginator", "ledger", "queue"]
