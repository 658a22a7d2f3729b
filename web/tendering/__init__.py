"""Pages of tendering: tenders, bids, scoring, awards and objections."""
