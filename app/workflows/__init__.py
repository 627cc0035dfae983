"""Business rules as plain Python.

Every function takes the acting user and the current time as arguments and never
touches request, session, g or flash, so each rule is unit-tested without HTTP.
"""
