"""Welcome letters: templates per tenant and language, a PDF per household, one combined file to print.

``texts`` (the shipped letters and the placeholders), ``templates`` (the tenant's templates and
their checks), ``batch`` (households, the batch job, marking as sent, the timeline); above them
``views`` (the pages). Nothing below the pages imports them.
"""
