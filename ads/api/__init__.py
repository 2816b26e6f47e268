"""The ads API under /api/v1/ads/, one module per resource (routes in `ads.api_urls`):

accounts   connected ad accounts and their sync
campaigns  campaigns, their launch, and approval (submit, approve, reject)
ad_sets    ad sets
ads        ads
insights   what each ad earned, summaries, and reports imported from other platforms
stops      the campaigns a pause stopped, and what resume restored
comments   comments under ads, and alerts on spikes of negative ones
templates  creative templates
feeds      product feeds
variants   creative variants
proposals  budget proposals
shared     what several of them share

Money is an integer in the currency's minor unit (`daily_budget: 150000` in IDR is Rp150,000;
`daily_budget: 2500` in USD is $25.00), with a `*_display` decimal string beside it. Computed
metrics (CTR %, CPC, CPM, CPA, ROAS) are decimal strings, null where undefined.
"""
