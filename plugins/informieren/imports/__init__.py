"""Imports from the residents' registry: eCH-0020 v3 messages (single, batch, ZIP), CSV with a mapping.

``ech0020`` (the hardened parser), ``pipeline`` (matching and writing), ``sources`` (files,
directories, ZIPs unpacked safely), ``csv_files`` (CSV and its column mapping), ``runs`` (uploads,
the job, in-process runs); above them ``views`` (pages), ``api`` (the registry's deliveries) and
``cli`` (``flask informieren import``). Nothing below the pages imports them.
"""
