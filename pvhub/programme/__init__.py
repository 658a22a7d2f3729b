"""The programme's row: targets, deadline and district boundary that the office sets."""
