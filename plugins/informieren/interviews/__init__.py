"""First-information interviews (Erstinformationsgespräch): invitation, outcome, topics, notes, hand-over.

``checklist`` (the tenant's topics), ``records`` (inviting, recording the outcome, handing over to
Fördern, the timeline), ``forms``; above them ``views`` (the pages). Nothing below the pages
imports them.
"""
