"""The newcomer register: who moved in from abroad, entered by hand, through the API or by an import.

``checks`` (reference data and the one check of a person's fields), ``records`` (creating and
changing a newcomer, the household), ``query`` (the filters of the list, the API and the CLI),
``timeline`` (the entries on core's person page); above them ``views`` (list and form),
``api`` and ``cli``. Nothing below the pages imports them.
"""
