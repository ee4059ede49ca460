"""Benchmark: webhook delivery throughput with one slow receiver among ten (issue 15, docs/adr/024).

    .venv/bin/python benchmarks/bench_webhooks.py                       # 100 events × 10 subscriptions, SQLite
    .venv/bin/python benchmarks/bench_webhooks.py --events 300 --slow 0.5

Ten real HTTPS receivers on 127.0.0.1 (http.server threads, a self-signed certificate trusted through
SANSCOUTURE_WEBHOOKS_CA_FILE), one subscription each, all to `tache.modifiee`. `--events` events are written through
`event_emit` (one delivery per subscription each), then one `webhooks_deliver()` call sends everything, signed
(Standard Webhooks, `standardwebhooks`), with the product's defaults (10 slots, 10 s timeout, lanes of 10).

Scenarios, same run, same database (emptied between them):
- **baseline**: the ten receivers answer at once;
- **one slow**: one receiver answers after `--slow` seconds (below the timeout: it succeeds, slowly);
- **one slow, one slot** (`concurrency=1`): what a single sequential sender would do, for comparison.
Measured: total deliveries/s; the time at which the nine fast receivers had everything (from their own arrival
clocks); the slow receiver's. The figure that matters: fast receivers' completion with a slow one ÷ baseline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import django_setup, print_header, write_results  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100, help="events per subscription (default 100)")
    parser.add_argument("--slow", type=float, default=0.2, help="seconds the slow receiver takes (default 0.2)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    django_setup(f"sqlite:///{tmp / 'bench.sqlite3'}", tmp)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from tests.webhooks.receiver import Receiver, make_certificate

    from sanscouture.bodies.models import Body
    from sanscouture.webhooks.models import Delivery, Secret, Subscription
    from sanscouture.webhooks.services import event_emit, new_secret, webhooks_deliver

    call_command("migrate", verbosity=0)
    cert, key = make_certificate(tmp)
    settings.SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE = True
    settings.SANSCOUTURE_WEBHOOKS_CA_FILE = str(cert)
    body = Body.objects.create(key="bench:webhooks", kind="caf", name="Structure de mesure")
    user = get_user_model().objects.create(username="bench-webhooks")
    receivers = [Receiver(cert, key).start() for _ in range(10)]
    subscriptions = []
    for r in receivers:
        s = Subscription.objects.create(body=body, url=r.url, events=["tache.modifiee"], created_by=user)
        Secret.objects.create(subscription=s, value=new_secret())
        subscriptions.append(s)

    def scenario(name: str, *, slow: bool, concurrency: int | None = None) -> dict[str, object]:
        Delivery.objects.all().delete()
        for r in receivers:
            r.received.clear()
            r.delay = 0.0
        if slow:
            receivers[0].delay = args.slow
        with transaction.atomic():
            for i in range(args.events):
                event_emit(event_type="tache.modifiee", bodies=[body], data={"tache": {"id": i, "statut": "done"}})
        start = time.monotonic()
        report = webhooks_deliver(concurrency=concurrency)
        total = time.monotonic() - start
        fast = receivers[1:] if slow else receivers
        fast_done = max(r.received[-1].at for r in fast) - start
        out = {
            "scenario": name,
            "deliveries": report.delivered,
            "seconds": round(total, 3),
            "deliveries_per_s": round(report.delivered / total, 1),
            "fast_receivers_done_s": round(fast_done, 3),
            "fast_deliveries_per_s": round(len(fast) * args.events / fast_done, 1),
            "slow_receiver_done_s": round(receivers[0].received[-1].at - start, 3) if slow else None,
        }
        assert report.delivered == 10 * args.events, report
        assert all(len(r.received) == args.events for r in receivers)
        print(
            f"{name:<28} {out['deliveries']:>6} livraisons en {total:6.2f} s = {out['deliveries_per_s']:>7} /s ; "
            f"les rapides ont tout reçu à {fast_done:6.2f} s ({out['fast_deliveries_per_s']} /s)"
            + (f" ; le lent à {out['slow_receiver_done_s']:6.2f} s" if slow else "")
        )
        return out

    print_header(f"Webhooks : {args.events} événements × 10 abonnements, un récepteur lent ({args.slow} s)")
    baseline = scenario("référence (10 rapides)", slow=False)
    one_slow = scenario("1 lent parmi 10", slow=True)
    serial = scenario("1 lent, 1 seul envoi à la fois", slow=True, concurrency=1)
    ratio = one_slow["fast_receivers_done_s"] / baseline["fast_receivers_done_s"]
    serial_ratio = serial["fast_receivers_done_s"] / baseline["fast_receivers_done_s"]
    print(f"rapides, avec un lent ÷ référence : {ratio:.2f} (séquentiel : {serial_ratio:.2f})")
    for r in receivers:
        r.stop()
    path = write_results(
        "webhooks",
        {
            "events": args.events,
            "slow_seconds": args.slow,
            "scenarios": [baseline, one_slow, serial],
            "fast_ratio": round(ratio, 2),
            "serial_fast_ratio": round(serial_ratio, 2),
        },
    )
    print(f"résultats : {path}")


if __name__ == "__main__":
    main()
