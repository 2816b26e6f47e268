"""Ads pages, one module per page (routes in `ads.urls`):

campaigns  the campaigns list with spend and ROAS, a campaign's page and its comment guard
insights   insights over time, and pulling them again now
comments   comments under ads, and hiding one
builder    a template over a product feed, generated into variants
variants   the variant grid, bulk edits, waivers and the launch gate
approval   submit, approve, reject
proposals  budget proposals
meta_hook  Meta's Page webhook for an ad account
shared     what several of them share
"""
