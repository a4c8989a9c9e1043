"""Geocoding of actors: offline BAN index, BAN API client, SIRENE, communes, pipeline.

Qt-free. The offline path (:mod:`.ban_index`, :mod:`.sirene`, :mod:`.communes`) never sends
anything off the machine; only :mod:`.ban_api` talks to the network, and says what it sends
(:data:`.ban_api.DATA_NOTICE`).
"""

PRECISIONS = ("housenumber", "street", "locality", "municipality", "given")
STATUSES = ("matched", "approximate", "unmatched")
METHODS = ("given", "ban_file", "ban_api", "sirene", "nominatim", "commune")
