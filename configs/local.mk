# Example rules and source mappings, installed under $(pkgdatadir).
dist_pkgdata_DATA += configs/example.json
