"""service-public.fr "Vos droits et démarches" publications, pivots and life events ("Comment faire si")."""
