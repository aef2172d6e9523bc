"""The yearly evaluation of each county's association: a read-only layer above dispatch, training and liaisons.

Nothing below imports from here (core never imports the apps; the apps never import this), so it may
reuse every app's reports and selectors. It owns no models.
"""
