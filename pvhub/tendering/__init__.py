"""Tendering: tenders, lots, bids, documents, scoring, awards and their publicity, OCDS."""
