"""REST routes of tendering: tenders and bids, awards and objections."""
