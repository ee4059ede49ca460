"""Personal fields a higher layer may put in payloads: cases registers its field labels at start-up (its
AppConfig.ready), so this lower layer validates a subscription's field scope without importing cases."""

PERSONAL_FIELDS: dict[str, str] = {}


def register_personal_fields(labels: dict[str, str]) -> None:
    PERSONAL_FIELDS.update(labels)
