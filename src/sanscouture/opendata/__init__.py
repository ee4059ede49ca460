"""Open data et interopérabilité : Open311, data·inclusion, jeu national, DCAT, webhooks."""
